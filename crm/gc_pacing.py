"""Short garbage collections in a long-running server (the API; the list benchmark models it).

A full collection walks every object the collector tracks. Once a server has warmed up, most of
them are caches that live as long as the process: SQLAlchemy keeps each compiled statement with
about 1,400 objects, some 300,000 for the ~200 statement shapes of the leads list alone. Every
full collection (about one per 200 list calls) then stalled a request for 150-200 ms (measured
at 1M leads, bench/leads_list.py). Python 3.11 has no incremental collector, but `gc.freeze()`
moves the objects alive now out of the collector's reach.

`GcPacer` watches the full collections. When one was slow, what survived it is long-lived: the
pacer freezes it at the next quiet point (`settle()`, after a request), and later full
collections walk only newer objects (6-8 ms instead of 150-200 ms in the same measurement).
A frozen object that later becomes cyclic garbage (an evicted cache entry) is not reclaimed while
frozen, so every `thaw_every`-th time the pacer unfreezes instead: the next full collection
reclaims it, is slow once, and the pacer freezes again after it.
"""

from __future__ import annotations

import gc
import time
from typing import Any


class GcPacer:
    """Freeze long-lived objects after a slow full collection; now and then thaw them."""

    def __init__(self, *, slow_ms: float = 20.0, thaw_every: int = 20) -> None:
        self.slow_ms = slow_ms
        self.thaw_every = thaw_every
        self.freezes = 0  # settle() calls that froze or thawed
        self._started: float | None = None
        self._slow = False

    def install(self) -> None:
        if self._watch not in gc.callbacks:
            gc.callbacks.append(self._watch)

    def uninstall(self) -> None:
        if self._watch in gc.callbacks:
            gc.callbacks.remove(self._watch)

    def _watch(self, phase: str, info: dict[str, Any]) -> None:
        # Called by the collector itself: only note the time here, act later in settle().
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None and (time.perf_counter() - self._started) * 1000 > self.slow_ms:
            self._slow = True

    def settle(self) -> None:
        """Between requests: freeze what survived a slow full collection (or, now and then, thaw)."""
        if not self._slow:
            return
        self._slow = False
        self.freezes += 1
        if self.freezes % self.thaw_every == 0:
            gc.unfreeze()
        else:
            gc.collect(1)  # the young garbage of the request just served is not frozen with them
            gc.freeze()
