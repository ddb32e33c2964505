"""A lead import killed with SIGKILL mid-way leaves whole batches only and resumes without duplicates."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.config import get_settings
from crm.db import transaction
from crm.enums import DuplicateMode, ImportStatus, TeamRole
from crm.errors import Conflict
from crm.orm import Lead, LeadImport, LeadImportRow, lead_tags
from crm.schemas.common import Actor
from crm.schemas.lead_import import ImportOptions
from crm.services import lead_import
from tests.factories import make_member, make_team

ROOT = Path(__file__).resolve().parents[2]
ROWS = 6000
BATCH = 250

# Runs the import in a separate process, slowed down a little per batch so the test can kill it.
WORKER = textwrap.dedent("""
    import sys, time
    from crm.enums import TeamRole
    from crm.schemas.common import Actor
    from crm.services import lead_import
    user_id, team_id, job_id = map(int, sys.argv[1:4])
    actor = Actor(user_id=user_id, team_id=team_id, team_role=TeamRole.MANAGER)
    lead_import.run_import(actor, job_id, batch_size=%d, lease_seconds=1,
                           progress=lambda p: time.sleep(0.15))
""") % BATCH


def _file() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["First Name", "Last Name", "Email", "Phone", "Tags"])
    for i in range(ROWS):
        n = i if i % 10 else i // 2  # every tenth row repeats an earlier email (often in an earlier batch)
        writer.writerow([f"First{i}", f"Last{i}", f"Person{n}@Mail.com", f"(415) 5{i % 90 + 10:02d}-{i % 10000:04d}",
                         "imported; batch" if i % 3 else ""])
    return out.getvalue().encode()


def _state(team_id: int, job_id: int) -> dict[str, object]:
    with transaction() as session:
        job = session.get(LeadImport, job_id)
        assert job is not None
        leads = session.execute(select(Lead.email, Lead.phone, Lead.first_name).where(Lead.team_id == team_id)).all()
        reported = session.scalar(select(func.count()).select_from(LeadImportRow)
                                  .where(LeadImportRow.import_id == job_id))
        orphans = session.scalar(select(func.count()).select_from(Lead).where(
            Lead.team_id == team_id,
            Lead.id.not_in(select(LeadImportRow.lead_id).where(LeadImportRow.import_id == job_id,
                                                              LeadImportRow.lead_id.is_not(None)))))
        tag_links = session.scalar(select(func.count()).select_from(lead_tags).join(Lead, Lead.id == lead_tags.c.lead_id)
                                   .where(Lead.team_id == team_id))
        return {"processed": job.processed_rows, "created": job.created_count, "skipped": job.skipped_count,
                "status": job.status, "leads": sorted(leads), "reported": reported, "orphans": orphans,
                "tag_links": tag_links}


def test_a_killed_import_resumes_to_the_same_result_as_a_clean_one(db: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATAR_DIR", str(tmp_path / "avatars"))
    get_settings.cache_clear()
    data = _file()
    manager = make_member(make_team(), TeamRole.MANAGER)
    job = lead_import.create_import(manager, io.BytesIO(data), "big.csv", None,
                                    ImportOptions(duplicate_mode=DuplicateMode.SKIP))
    env = {**os.environ, "DATABASE_URL": db, "AVATAR_DIR": str(tmp_path / "avatars"), "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(manager.user_id), str(manager.team_id),
                               str(job.id)], env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while _state(manager.team_id, job.id)["processed"] < 3 * BATCH:
            assert worker.poll() is None, "the worker ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    finally:
        if worker.poll() is None:
            worker.kill()
    killed = _state(manager.team_id, job.id)
    assert killed["status"] is ImportStatus.RUNNING and 0 < killed["processed"] < ROWS
    assert killed["processed"] % BATCH == 0  # only whole batches were committed
    # Every committed row has its report line and every lead its row; nothing past the checkpoint.
    assert killed["reported"] == killed["processed"] and killed["orphans"] == 0
    assert len(killed["leads"]) == killed["created"]

    if not lead_import.get_import(manager, job.id).resumable:  # a slow machine may already be past the lease
        with pytest.raises(Conflict, match="already running"):
            lead_import.resume_import(manager, job.id)
    time.sleep(1.2)  # the dead worker's lease expires
    resumed = lead_import.resume_import(manager, job.id, batch_size=BATCH)
    assert resumed.status is ImportStatus.COMPLETED and resumed.total_rows == ROWS

    clean_actor: Actor = make_member(make_team(), TeamRole.MANAGER)
    clean = lead_import.create_import(clean_actor, io.BytesIO(data), "big.csv", None, ImportOptions())
    lead_import.run_import(clean_actor, clean.id, batch_size=BATCH)
    after, expected = _state(manager.team_id, job.id), _state(clean_actor.team_id, clean.id)
    for key in ("processed", "created", "skipped", "leads", "reported", "orphans", "tag_links"):
        assert after[key] == expected[key], key
    assert after["created"] == ROWS - ROWS // 10 + ROWS // 20  # half of the repeated emails were new
    assert len({email for email, _, _ in after["leads"]}) == len(after["leads"])  # no duplicates
