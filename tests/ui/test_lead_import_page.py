"""The Import leads page: upload, mapping pre-filled from the headers, preview, dry run, import, resume."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy import update

from crm.config import get_settings
from crm.db import transaction
from crm.enums import ImportStatus
from crm.orm import LeadImport
from crm.services import lead_import
from tests.ui.conftest import Brokerage, open_page, signed_in_app

FILE = (b"Given name,Surname,E-mail Address,Cell,Lead Source,Favourite colour\n"
        b"Nina,North,NINA@new.com,(415) 555-0177,zillow.com,blue\n"
        b"Omar,,not-an-email,,,red\n"
        b"Pia,Park,pia@new.com,,Billboard,\n")


@pytest.fixture(autouse=True)
def _uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATAR_DIR", str(tmp_path / "avatars"))
    get_settings.cache_clear()


def _uploaded(brokerage: Brokerage):
    at = open_page(signed_in_app(brokerage.manager), "pages/lead_import.py")
    assert not at.exception
    at.file_uploader[0].set_value(("crm-export.csv", FILE, "text/csv")).run()
    assert not at.exception
    return at


def test_mapping_is_prefilled_and_the_preview_shows_problems(brokerage: Brokerage) -> None:
    at = _uploaded(brokerage)
    chosen = {box.label: box.value for box in at.selectbox if box.key and "_map_" in box.key}
    assert chosen == {"Given name": "first_name", "Surname": "last_name", "E-mail Address": "email",
                      "Cell": "phone", "Lead Source": "source", "Favourite colour": ""}
    table = at.dataframe[0].value
    assert list(table["Outcome"]) == ["OK", "Fails", "OK"]
    assert "not a valid email address" in table["Problems"][1]
    assert "source 'Billboard' not recognised" in table["Problems"][2]


def test_dry_run_then_import_show_counts_and_create_the_leads(brokerage: Brokerage) -> None:
    at = _uploaded(brokerage)
    next(b for b in at.button if b.key and b.key.endswith("_dry")).click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Created (would be)"] == "2" and metrics["Failed"] == "1"
    assert lead_import.list_imports(brokerage.manager)[0].dry_run
    next(b for b in at.button if b.key and b.key.endswith("_go")).click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Created"] == "2" and metrics["Failed"] == "1"
    jobs = lead_import.list_imports(brokerage.manager)
    assert [j.dry_run for j in jobs] == [False, True] and jobs[0].status is ImportStatus.COMPLETED
    assert any("crm-export.csv" in md.value and "Dry run" in md.value for md in at.markdown)


def test_an_interrupted_import_can_be_resumed_from_the_list(brokerage: Brokerage) -> None:
    job = lead_import.create_import(brokerage.manager, io.BytesIO(FILE), "stuck.csv")
    with transaction() as session:  # a worker claimed it, then died: its lease ran out
        session.execute(update(LeadImport).where(LeadImport.id == job.id).values(
            status=ImportStatus.RUNNING, lease_until=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    at = open_page(signed_in_app(brokerage.manager), "pages/lead_import.py")
    assert any("interrupted" in md.value for md in at.markdown)
    at.button(key=f"lead_import_resume_{job.id}").click().run()
    assert not at.exception
    assert lead_import.get_import(brokerage.manager, job.id).status is ImportStatus.COMPLETED


def test_the_page_is_listed_for_managers_only(brokerage: Brokerage) -> None:
    at = signed_in_app(brokerage.agent)
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/lead_import.py")
    at = open_page(signed_in_app(brokerage.owner), "pages/lead_import.py")
    assert not at.exception and at.file_uploader
