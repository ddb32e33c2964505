"""The import rules of the architecture guide, enforced."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Page scripts are not a package, so import-linter cannot see them: parse them here.
FORBIDDEN_IN_PAGES = ("sqlalchemy", "crm.db", "crm.orm", "crm.providers", "psycopg", "requests",
                      "httpx", "pipelines", "crm.api", "stripe", "twilio", "sendgrid")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_pages_and_app_only_use_services_and_ui_helpers() -> None:
    scripts = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    offenders = {
        f"{p.relative_to(ROOT)}: {name}"
        for p in scripts if p.exists()
        for name in _imports(p)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_IN_PAGES)
    }
    assert not offenders, f"pages must go through crm.services / crm.ui: {sorted(offenders)}"


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
