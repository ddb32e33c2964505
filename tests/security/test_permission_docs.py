"""docs/permissions.md is the permission table rendered from code; this test fails when it is stale.

Regenerate with: .venv/bin/python -m tests.security.test_permission_docs
"""

from __future__ import annotations

from pathlib import Path

from crm.enums import TeamRole
from crm.services.permissions import PERMISSIONS, Action, permission_matrix

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"

INTRO = """\
# Who may do what

Generated from `crm.services.permissions.permission_matrix()` — the table the services
enforce. Do not edit by hand: run `.venv/bin/python -m tests.security.test_permission_docs`.

Rows an agent (MEMBER) sees: the leads assigned to them plus unassigned ones; MANAGER and
above see all of the team's data. Another team's data is never visible (its ids answer
"not found"). Only an OWNER can invite, promote, demote or remove an ADMIN or OWNER; the
last OWNER cannot leave, be removed or be demoted. User accounts (list, activate,
deactivate) are managed by the system role ADMIN only; team OWNERs and ADMINs read their
team's audit log.
"""


def render() -> str:
    rows = permission_matrix()
    roles = [r.value.title() for r in TeamRole]
    lines = ["| Action | " + " | ".join(roles) + " |", "|---|" + "---|" * len(roles)]
    lines += ["| " + row["action"] + " | " + " | ".join(row[r] for r in roles) + " |" for row in rows]
    return INTRO + "\n" + "\n".join(lines) + "\n"


def test_docs_permission_table_is_current() -> None:
    assert DOC.exists() and DOC.read_text() == render(), (
        "docs/permissions.md is stale: run .venv/bin/python -m tests.security.test_permission_docs")


def test_rendered_table_has_every_action_and_role() -> None:
    text = render()
    assert all(action.value in text for action in Action)
    owner_row = next(r for r in permission_matrix() if r["action"] == Action.DELETE_TEAM.value)
    assert owner_row == {"action": Action.DELETE_TEAM.value, "Owner": "✓", "Admin": "—", "Manager": "—", "Member": "—"}
    assert set(PERMISSIONS) == set(TeamRole)


if __name__ == "__main__":
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(render())
    print(f"wrote {DOC}")
