"""What every tests/security/registry_<area>.py shares: a handle on the isolation-matrix module."""

from __future__ import annotations

import sys
import types


def matrix_module() -> types.ModuleType:
    """The isolation-matrix module (pytest may have imported it under its bare file name).

    The registries build their entries from the matrix's own Svc/Route/scope helpers on first
    access, so they must find the module that is importing them rather than import a second copy.
    """
    for module in list(sys.modules.values()):
        if getattr(module, "__file__", "") and module.__file__.endswith("test_isolation_matrix.py") \
                and hasattr(module, "Svc"):
            return module
    import tests.security.test_isolation_matrix as module  # noqa: PLC0415

    return module
