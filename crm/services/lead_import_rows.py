"""Turning one row of an import file into lead values: the per-row hot path of an import.

A `RowConverter` is built once per import from the mapping; `convert` then does only dict and
string work per row (no Pydantic model per row: 1,000,000 of them would cost more than the
database insert). The rules are LeadCreate's: a name, an email or a phone, emails lower-cased,
phones in E.164 (through the exact fast paths of crm.services.lead_import_normalize), the
same maximum lengths; unrecognised sources/statuses/types/prices become notes, not failures.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crm.enums import LeadSource
from crm.errors import ValidationFailed
from crm.schemas.lead_import import ImportOptions
from crm.services.custom_fields import FieldDefinition, clean_values
from crm.services.lead_import_mapping import (
    CUSTOM_PREFIX,
    TARGETS,
    parse_lead_type,
    parse_source,
    parse_status,
    parse_value,
    split_full_name,
    split_tags,
)
from crm.services.lead_import_normalize import normalize_email, normalize_phone

# LeadCreate's max lengths.
MAX_LENGTHS = {"first_name": 100, "last_name": 100, "company": 200, "position": 200, "stage": 100,
               "city": 100, "state": 50, "zip_code": 20}
_TEXT_TARGETS = ("first_name", "last_name", "company", "position", "stage", "city", "state", "zip_code")


class RowError(Exception):
    """The row cannot become a lead; the message goes to the report."""


@dataclass(slots=True)
class RowValues:
    """What one row says: only non-empty cells (an update never blanks a field)."""

    values: dict[str, Any]
    custom: dict[str, str] = field(default_factory=dict)
    if_created: dict[str, Any] = field(default_factory=dict)  # fallbacks for a new lead only
    tags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_mapping(mapping: Mapping[str, str | None], headers: Sequence[str],
                  definitions: Sequence[FieldDefinition]) -> dict[str, str]:
    """Validate a header -> target mapping; return it without the ignored columns."""
    known = set(headers)
    custom_keys = {d.key for d in definitions}
    used: dict[str, str] = {}
    for header, target in mapping.items():
        if not target:
            continue
        if header not in known:
            raise ValidationFailed(f"The file has no column named '{header}'.", field="mapping")
        if target.startswith(CUSTOM_PREFIX):
            if target.removeprefix(CUSTOM_PREFIX) not in custom_keys:
                raise ValidationFailed(f"There is no custom field '{target.removeprefix(CUSTOM_PREFIX)}'.",
                                       field="mapping")
        elif target not in TARGETS:
            raise ValidationFailed(f"'{target}' is not a lead field an import can fill.", field="mapping")
        if target in used.values():
            raise ValidationFailed(f"Two columns are mapped to {TARGETS.get(target, target)}.", field="mapping")
        used[header] = target
    targets = set(used.values())
    if not targets & {"email", "phone"}:
        raise ValidationFailed("Map a column to Email or Phone: a lead needs one of them.", field="mapping")
    return used


class RowConverter:
    """Converts the cells of one row (in file column order) to RowValues, or raises RowError."""

    def __init__(self, headers: Sequence[str], mapping: Mapping[str, str], options: ImportOptions,
                 definitions: Sequence[FieldDefinition], members: Mapping[str, int]) -> None:
        index = {h: i for i, h in enumerate(headers)}
        self.columns = [(index[h], t) for h, t in mapping.items()]
        self.options = options
        self.definitions = list(definitions)
        self.members = members  # lower-cased email and name -> user id

    def convert(self, cells: Sequence[str]) -> RowValues:
        n = len(cells)
        values: dict[str, Any] = {}
        row = RowValues(values)
        for i, target in self.columns:
            cell = cells[i] if i < n else ""
            if not cell:
                continue
            if target in MAX_LENGTHS:
                if len(cell) > MAX_LENGTHS[target]:
                    raise RowError(f"{TARGETS[target]} is longer than {MAX_LENGTHS[target]} characters")
                values[target] = cell
            elif target == "email":
                try:
                    values["email"] = normalize_email(cell)
                except ValueError as exc:
                    raise RowError(str(exc)) from None
            elif target == "phone":
                try:
                    values["phone"] = normalize_phone(cell)
                except ValueError as exc:
                    raise RowError(str(exc)) from None
            elif target == "full_name":
                first, last = split_full_name(cell)
                if len(first) > 100 or len(last) > 100:
                    raise RowError("Full name is longer than 100 characters")
                if first:
                    values.setdefault("first_name", first)
                if last:
                    values.setdefault("last_name", last)
            else:
                self._other(row, target, cell)
        if "email" not in values and "phone" not in values:
            raise RowError("a lead needs an email or a phone number")
        return row

    def _other(self, row: RowValues, target: str, cell: str) -> None:
        values = row.values
        if target == "source":
            source = parse_source(cell)
            if source is None:
                row.notes.append(f"source '{cell}' not recognised: Other")
                row.if_created["source"] = LeadSource.OTHER  # an update keeps the lead's known source
            else:
                values["source"] = source
        elif target == "status":
            status = parse_status(cell)
            if status is None:
                row.notes.append(f"status '{cell}' not recognised: {self.options.default_status.value.title()}")
            else:
                values["status"] = status
        elif target == "lead_type":
            lead_type = parse_lead_type(cell)
            if lead_type is None:
                row.notes.append(f"lead type '{cell}' not recognised: "
                                 f"{self.options.default_lead_type.value.title()}")
            else:
                values["lead_type"] = lead_type
        elif target == "value":
            value = parse_value(cell)
            if value is None:
                row.notes.append(f"price '{cell}' is not an amount: left empty")
            else:
                values["value"] = value
        elif target == "tags":
            row.tags = split_tags(cell)
        elif target == "assigned_to":
            user_id = self.members.get(cell.lower())
            if user_id is None:
                row.notes.append(f"'{cell}' is not a member of this team: not assigned from the file")
            else:
                values["assigned_to_id"] = user_id
        elif target.startswith(CUSTOM_PREFIX):
            row.custom[target.removeprefix(CUSTOM_PREFIX)] = cell

    def custom_for_create(self, row: RowValues) -> dict[str, Any] | None:
        """The custom-field object of a new lead (required fields checked), or None."""
        if not self.definitions:
            return None
        try:
            return clean_values(self.definitions, row.custom, creating=True, coerce_text=True) or None
        except ValidationFailed as exc:
            raise RowError(exc.message) from None

    def custom_for_update(self, row: RowValues, existing: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if not row.custom:
            return None
        try:
            return clean_values(self.definitions, row.custom, existing=existing, creating=False, coerce_text=True)
        except ValidationFailed as exc:
            raise RowError(exc.message) from None


Converted = tuple[int, "RowValues | RowError"]
_DONE = object()
# The reader thread gives up the GIL every this many rows (~0.5 ms of work). Without it, each time
# the import thread's query returns while this thread converts, the import thread waits out the
# 5 ms switch interval for the GIL, often several times per statement: a 4 ms round trip took
# 40-80 ms (5,000 ids: 46 ms per batch, 6 ms with the yield).
_YIELD_EVERY = 32


class PrefetchedBatches:
    """Batches of converted rows, read and converted by a helper thread one or two batches ahead.

    While the import thread waits for the database (psycopg and sqlite3 release the GIL), the
    next batch is parsed and normalised. At most `ahead` batches wait in the queue, so memory
    stays flat. Use as a context manager: leaving it stops the thread.
    """

    def __init__(self, rows: Iterator[tuple[int, list[str]]], converter: RowConverter, batch_size: int,
                 ahead: int = 2) -> None:
        self._rows, self._converter, self._size = rows, converter, batch_size
        self._queue: queue.Queue[object] = queue.Queue(maxsize=ahead)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="lead-import-reader", daemon=True)

    def __enter__(self) -> PrefetchedBatches:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.05)  # unblock a producer waiting on a full queue
            except queue.Empty:
                pass
        self._thread.join()

    def __iter__(self) -> Iterator[list[Converted]]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        convert = self._converter.convert
        try:
            while not self._stop.is_set():
                batch: list[Converted] = []
                for row_number, cells in itertools.islice(self._rows, self._size):
                    if row_number % _YIELD_EVERY == 0:
                        time.sleep(0)  # let a waiting import thread in (see _YIELD_EVERY)
                    try:
                        batch.append((row_number, convert(cells)))
                    except RowError as exc:
                        batch.append((row_number, exc))
                if not batch:
                    break
                if not self._put(batch):
                    return
            self._put(_DONE)
        except BaseException as exc:  # handed to the import thread, which fails the job
            self._put(exc)
