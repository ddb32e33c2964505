"""Lead import service: duplicates, normalisation, report, tags/assignee/custom fields, dry run, roles."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from crm.config import get_settings
from crm.db import transaction
from crm.enums import (
    ActivityType,
    DuplicateMode,
    ImportOutcome,
    ImportStatus,
    LeadSource,
    LeadStatus,
    TeamRole,
)
from crm.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from crm.orm import Activity, AuditLog, DomainEvent, Lead, LeadImportRow, Tag
from crm.schemas.common import Actor
from crm.schemas.custom_fields import CustomFieldCreate
from crm.schemas.lead_import import ImportOptions
from crm.services import custom_fields, lead_import, lead_import_timeline, leads
from tests.factories import make_lead, make_member, make_team


@pytest.fixture
def world(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Actor, Actor]]:
    """A team with a manager (who imports) and an agent; uploads stored under tmp_path."""
    monkeypatch.setenv("AVATAR_DIR", str(tmp_path / "avatars"))
    get_settings.cache_clear()
    team = make_team()
    yield make_member(team, TeamRole.MANAGER, name="Maya Manager"), make_member(team, TeamRole.MEMBER,
                                                                               name="Andy Agent",
                                                                               email="andy@brokerage.com")
    get_settings.cache_clear()


def _csv(rows: list[list[str]]) -> io.BytesIO:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return io.BytesIO(out.getvalue().encode())


def _import(actor: Actor, rows: list[list[str]], mapping: dict | None = None, *, batch_size: int = 5000,
            **options: object):
    job = lead_import.create_import(actor, _csv(rows), "leads.csv", mapping, ImportOptions(**options))
    return lead_import.run_import(actor, job.id, batch_size=batch_size)


def _report(actor: Actor, job_id: int) -> dict[int, tuple[ImportOutcome, int | None, str | None]]:
    return {r.row_number: (r.outcome, r.lead_id, r.message)
            for r in lead_import.report_lines(actor, job_id, limit=1000)}


def _team_leads(team_id: int) -> list[Lead]:
    with transaction() as session:
        return list(session.scalars(select(Lead).where(Lead.team_id == team_id).order_by(Lead.id)))


HEADER = ["First Name", "Last Name", "E-mail", "Mobile", "Lead Source", "Stage", "Budget"]


def test_rows_become_leads_with_normalised_email_phone_and_enums(world) -> None:
    manager, _ = world
    job = _import(manager, [HEADER, ["Ann", "Lee", "  ANN.Lee@Example.COM ", "(415) 555-0101", "zillow.com",
                                     "Hot", "$450,000"],
                            ["Bob", "", "", "+1 415.555.0102", "Billboard", "Closed Won", "n/a"]])
    assert (job.status, job.created_count, job.failed_count) == (ImportStatus.COMPLETED, 2, 0)
    ann, bob = _team_leads(manager.team_id)
    assert (ann.email, ann.phone, ann.source, ann.status, ann.value) == (
        "ann.lee@example.com", "+14155550101", LeadSource.ZILLOW, LeadStatus.QUALIFIED, 450000)
    assert (bob.email, bob.phone, bob.source, bob.status, bob.value) == (
        None, "+14155550102", LeadSource.OTHER, LeadStatus.WON, None)
    report = _report(manager, job.id)
    assert report[1] == (ImportOutcome.CREATED, ann.id, None)
    assert report[2][0] is ImportOutcome.CREATED
    assert "source 'Billboard' not recognised" in report[2][2] and "price 'n/a'" in report[2][2]
    # The timeline says where the lead came from.
    assert any(e.title == "Imported from leads.csv" for e in leads.get_lead(manager, ann.id).timeline)


def test_each_failed_row_has_its_reason(world) -> None:
    manager, _ = world
    job = _import(manager, [HEADER, ["Ann", "", "not-an-email", "", "", "", ""],
                            ["Bob", "", "", "123", "", "", ""],
                            ["Cy", "", "", "", "", "", ""],
                            ["", "", "noname@x.com", "", "", "", ""],
                            ["D" * 101, "", "d@x.com", "", "", "", ""],
                            ["Eve", "", "eve@x.com", "", "", "", ""]])
    report = _report(manager, job.id)
    assert [report[n][0] for n in range(1, 7)] == [ImportOutcome.FAILED] * 5 + [ImportOutcome.CREATED]
    assert "not a valid email address" in report[1][2]
    assert "not a valid phone number" in report[2][2] or "not a phone number" in report[2][2]
    assert report[3][2] == "a lead needs an email or a phone number"
    assert report[4][2] == "first name is empty"
    assert "longer than 100" in report[5][2]
    assert (job.failed_count, job.created_count) == (5, 1)


@pytest.mark.parametrize("batch_size", [5000, 2])  # 2: duplicates fall in later batches (found in the db)
def test_skip_mode_skips_existing_leads_and_earlier_rows_by_email_then_phone(world, batch_size: int) -> None:
    manager, _ = world
    old = make_lead(manager, email="old@x.com", phone="4155550100", first_name="Old")
    job = _import(manager, [HEADER, ["A", "", "OLD@x.com", "", "", "", ""],
                            ["B", "", "", "415-555-0100", "", "", ""],
                            ["C", "", "c@x.com", "4155550111", "", "", ""],
                            ["D", "", "C@X.COM", "", "", "", ""],
                            ["E", "", "e@x.com", "(415) 555-0111", "", "", ""]], batch_size=batch_size)
    report = _report(manager, job.id)
    assert report[1][:2] == (ImportOutcome.SKIPPED, old.id) and "same email" in report[1][2]
    assert report[2][:2] == (ImportOutcome.SKIPPED, old.id) and "same phone" in report[2][2]
    created_c = report[3][1]
    assert report[3][0] is ImportOutcome.CREATED
    assert report[4][:2] == (ImportOutcome.SKIPPED, created_c)
    assert report[5][:2] == (ImportOutcome.SKIPPED, created_c)
    assert len(_team_leads(manager.team_id)) == 2
    assert (job.created_count, job.skipped_count) == (1, 4)


@pytest.mark.parametrize("batch_size", [5000, 1])
def test_update_mode_fills_existing_leads_and_never_blanks_a_field(world, batch_size: int) -> None:
    manager, _ = world
    old = make_lead(manager, email="old@x.com", first_name="Old", company="Acme", source=LeadSource.WEBSITE)
    job = _import(manager, [HEADER + ["Company"],
                            ["Olivia", "Stone", "old@x.com", "4155550123", "", "Qualified", "500k", ""],
                            ["New", "", "new@x.com", "", "", "", "", ""],
                            ["", "Later", "NEW@x.com", "", "Zillow", "", "", "Initech"]],
                  batch_size=batch_size, duplicate_mode=DuplicateMode.UPDATE)
    report = _report(manager, job.id)
    assert report[1][:2] == (ImportOutcome.UPDATED, old.id)
    assert report[3][0] is ImportOutcome.UPDATED and report[3][1] == report[2][1]
    by_email = {lead.email: lead for lead in _team_leads(manager.team_id)}
    assert len(by_email) == 2
    olivia = by_email["old@x.com"]
    assert (olivia.first_name, olivia.last_name, olivia.phone, olivia.company, olivia.source, olivia.status,
            olivia.value) == ("Olivia", "Stone", "+14155550123", "Acme", LeadSource.WEBSITE, LeadStatus.QUALIFIED,
                              500000)
    new = by_email["new@x.com"]
    assert (new.first_name, new.last_name, new.company, new.source) == ("New", "Later", "Initech", LeadSource.ZILLOW)
    assert (job.created_count, job.updated_count) == (1, 2)


@pytest.mark.parametrize("batch_size", [5000, 1])
def test_create_mode_creates_phone_duplicates_but_never_a_second_email(world, batch_size: int) -> None:
    manager, _ = world
    old = make_lead(manager, email="old@x.com", phone="4155550100", first_name="Old")
    job = _import(manager, [HEADER, ["A", "", "old@x.com", "", "", "", ""],
                            ["B", "", "", "4155550100", "", "", ""],
                            ["C", "", "c@x.com", "", "", "", ""],
                            ["D", "", "c@x.com", "", "", "", ""]],
                  batch_size=batch_size, duplicate_mode=DuplicateMode.CREATE)
    report = _report(manager, job.id)
    assert report[1][:2] == (ImportOutcome.SKIPPED, old.id) and "same email" in report[1][2]
    assert report[2][0] is ImportOutcome.CREATED and f"lead #{old.id}" in report[2][2]
    assert report[3][0] is ImportOutcome.CREATED
    assert report[4][0] is ImportOutcome.SKIPPED
    emails = [lead.email for lead in _team_leads(manager.team_id)]
    assert sorted(e for e in emails if e) == ["c@x.com", "old@x.com"] and len(emails) == 3


def test_leads_of_another_team_are_not_duplicates(world) -> None:
    manager, _ = world
    make_lead(make_member(make_team(), TeamRole.OWNER), email="shared@x.com")
    job = _import(manager, [HEADER, ["A", "", "shared@x.com", "", "", "", ""]])
    assert job.created_count == 1


def test_tags_assignee_and_custom_fields_are_applied(world) -> None:
    manager, agent = world
    custom_fields.create_definition(make_member(manager.team_id, TeamRole.OWNER),
                                    CustomFieldCreate(label="Budget max", field_type="NUMBER"))
    with transaction() as session:
        session.add(Tag(team_id=manager.team_id, name="existing"))
    existing_id = next(t.id for t in _tags(manager.team_id) if t.name == "existing")
    job = lead_import.create_import(
        manager, _csv([["Name", "Email", "Tags", "Assigned To", "Budget max"],
                       ["Ann Lee", "ann@x.com", "vip; buyer", "andy@brokerage.com", "$1,200"],
                       ["Bob Roe", "bob@x.com", "", "", ""],
                       ["Cy", "cy@x.com", "", "Nobody Known", ""]]),
        "crm-export.csv", None, ImportOptions(tag_ids=[existing_id], tag_names=["spring import"],
                                              assigned_to_id=manager.user_id))
    assert job.mapping == {"Name": "full_name", "Email": "email", "Tags": "tags", "Assigned To": "assigned_to",
                           "Budget max": "custom:budget_max"}
    job = lead_import.run_import(manager, job.id)
    ann, bob, cy = _team_leads(manager.team_id)
    assert (ann.first_name, ann.last_name, ann.assigned_to_id, ann.custom_fields) == (
        "Ann", "Lee", agent.user_id, {"budget_max": 1200})
    assert bob.assigned_to_id == manager.user_id and not bob.custom_fields
    assert sorted(leads.get_lead(manager, ann.id).tags) == ["buyer", "existing", "spring import", "vip"]
    assert sorted(leads.get_lead(manager, bob.id).tags) == ["existing", "spring import"]
    assert cy.assigned_to_id == manager.user_id
    assert "not a member of this team" in _report(manager, job.id)[3][2]


def test_a_required_custom_field_fails_the_rows_without_it(world) -> None:
    manager, _ = world
    custom_fields.create_definition(make_member(manager.team_id, TeamRole.OWNER),
                                    CustomFieldCreate(label="Area", field_type="TEXT", required=True))
    job = _import(manager, [["Name", "Email", "Area"], ["Ann", "ann@x.com", "North"], ["Bob", "bob@x.com", ""]])
    report = _report(manager, job.id)
    assert report[1][0] is ImportOutcome.CREATED and report[2][0] is ImportOutcome.FAILED
    assert "Area" in report[2][2]


def test_dry_run_writes_no_lead_but_keeps_its_report(world) -> None:
    manager, _ = world
    make_lead(manager, email="old@x.com")
    before = len(_team_leads(manager.team_id))
    tags_before = len(_tags(manager.team_id))
    job = _import(manager, [["Name", "Email", "Tags"], ["Ann", "ann@x.com", "brand new tag"],
                            ["Old", "old@x.com", ""], ["Dup", "ANN@x.com", ""], ["Bad", "nope", ""]],
                  batch_size=1, dry_run=True, tag_names=["dry"])
    assert job.status is ImportStatus.COMPLETED and job.dry_run
    assert (job.created_count, job.skipped_count, job.failed_count) == (1, 2, 1)
    assert len(_team_leads(manager.team_id)) == before and len(_tags(manager.team_id)) == tags_before
    report = _report(manager, job.id)
    assert report[1] == (ImportOutcome.CREATED, None, None)
    assert report[3][0] is ImportOutcome.SKIPPED and "row 1" in report[3][2]  # across batches, in memory on disk
    with transaction() as session:
        assert session.scalar(select(func.count()).select_from(Activity).where(
            Activity.type == ActivityType.LEAD_CREATED, Activity.team_id == manager.team_id)) == before
        assert session.scalar(select(func.count()).select_from(DomainEvent).where(
            DomainEvent.type == "leads.imported")) == 0


def test_an_import_writes_one_audit_entry_and_one_event(world) -> None:
    manager, _ = world
    job = _import(manager, [HEADER] + [[f"L{i}", "", f"l{i}@x.com", "", "", "", ""] for i in range(7)],
                  batch_size=3)
    with transaction() as session:
        events = session.scalars(select(DomainEvent).where(DomainEvent.type == "leads.imported")).all()
        assert [e.payload["created"] for e in events] == [7]
        assert session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "lead_import.complete", AuditLog.resource_id == str(job.id))) == 1


def test_report_csv_lists_every_row_and_neutralises_formulas(world) -> None:
    manager, _ = world
    job = _import(manager, [HEADER, ["=cmd", "", "x@x.com", "", "=HYPERLINK(1)", "", ""],
                            ["B", "", "bad", "", "", "", ""]])
    text = b"".join(lead_import.report_csv(manager, job.id)).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Row", "Outcome", "Lead ID", "Reason"] and [r[1] for r in rows[1:]] == ["CREATED", "FAILED"]
    assert rows[1][3].startswith("source '=HYPERLINK") and rows[2][3].startswith("'bad'")


def test_a_mapping_without_email_or_phone_and_bad_targets_are_refused(world) -> None:
    manager, _ = world
    for mapping in ({"Name": "full_name"}, {"Name": "full_name", "Email": "email", "Other": "email"},
                    {"Name": "password_hash", "Email": "email"}, {"Nope": "email"},
                    {"Email": "email", "Name": "custom:missing"}):
        with pytest.raises(ValidationFailed):
            lead_import.create_import(manager, _csv([["Name", "Email", "Other"], ["a", "a@x.com", "b"]]), "x.csv",
                                      mapping, ImportOptions())


def test_agents_cannot_import_and_other_teams_cannot_see_an_import(world) -> None:
    manager, agent = world
    with pytest.raises(PermissionDenied):
        lead_import.create_import(agent, _csv([["Email"], ["a@x.com"]]), "x.csv")
    job = lead_import.create_import(manager, _csv([["Email", "Name"], ["a@x.com", "A"]]), "x.csv")
    stranger = make_member(make_team(), TeamRole.OWNER)
    for call in (lead_import.get_import, lead_import.run_import, lead_import.cancel_import,
                 lead_import.report_csv):
        with pytest.raises(NotFound):
            call(stranger, job.id)
    assert lead_import.list_imports(stranger) == []
    with pytest.raises(NotFound):
        lead_import.create_import(manager, _csv([["Email"], ["a@x.com"]]), "x.csv", None,
                                  ImportOptions(assigned_to_id=stranger.user_id))


def test_a_job_runs_once_and_a_cancelled_job_stays_cancelled(world) -> None:
    manager, _ = world
    job = lead_import.create_import(manager, _csv([["Email", "Name"], ["a@x.com", "A"]]), "x.csv")
    assert lead_import.run_import(manager, job.id).status is ImportStatus.COMPLETED
    with pytest.raises(Conflict):
        lead_import.run_import(manager, job.id)
    with pytest.raises(Conflict):
        lead_import.resume_import(manager, job.id)
    other = lead_import.create_import(manager, _csv([["Email", "Name"], ["b@x.com", "B"]]), "y.csv")
    assert lead_import.cancel_import(manager, other.id).status is ImportStatus.CANCELLED
    with pytest.raises(Conflict):
        lead_import.run_import(manager, other.id)
    assert [j.id for j in lead_import.list_imports(manager)] == [other.id, job.id]


def test_preview_shows_mapped_values_and_problems_of_the_first_rows(world) -> None:
    manager, _ = world
    upload = _csv([HEADER, ["Ann", "Lee", "ANN@x.com", "415 555 0101", "FB", "", ""],
                   ["", "", "nobody@x.com", "", "", "", ""]] + [["X", "", f"x{i}@x.com", "", "", "", ""]
                                                                for i in range(30)])
    result = lead_import.preview(manager, file=upload, filename="leads.csv", n=20)
    assert result.suggested_mapping["E-mail"] == "email" and len(result.rows) == 20
    assert result.rows[0].values["email"] == "ann@x.com" and result.rows[0].values["source"] == "SOCIAL"
    assert result.rows[1].outcome is ImportOutcome.FAILED and result.rows[1].problems == ["first name is empty"]


def test_a_lead_row_is_reported_exactly_once(world) -> None:
    manager, _ = world
    job = _import(manager, [HEADER] + [[f"L{i}", "", f"l{i % 5}@x.com", "", "", "", ""] for i in range(23)],
                  batch_size=4)
    with transaction() as session:
        numbers = session.scalars(select(LeadImportRow.row_number).where(LeadImportRow.import_id == job.id)).all()
    assert sorted(numbers) == list(range(1, 24)) and job.total_rows == 23


def _tags(team_id: int) -> list[Tag]:
    with transaction() as session:
        return list(session.scalars(select(Tag).where(Tag.team_id == team_id)))




def test_the_imported_from_entry_is_built_from_the_report_with_the_time_and_author_of_the_import(world) -> None:
    manager, _ = world
    _import(manager, [HEADER, ["Ann", "", "ann@x.com", "", "", "", ""]])
    ann = _team_leads(manager.team_id)[0]
    with transaction() as session:
        # No activity row per new lead (the import's costliest write after the leads themselves).
        assert session.scalar(select(func.count()).select_from(Activity).where(Activity.lead_id == ann.id)) == 0
        entries = lead_import_timeline.import_timeline_entries(session, ann.id)
    assert [(e.kind, e.type, e.title, e.body, e.author, e.at) for e in entries] == [
        ("activity", ActivityType.LEAD_CREATED, "Imported from leads.csv", None, "Maya Manager", ann.created_at)]
    with transaction() as session:
        # A lead imported before the entry was synthesised keeps its activity row: shown once.
        session.add(Activity(team_id=manager.team_id, lead_id=ann.id, user_id=manager.user_id,
                             type=ActivityType.LEAD_CREATED, title="Imported from leads.csv",
                             created_at=ann.created_at))
    with transaction() as session:
        assert lead_import_timeline.import_timeline_entries(session, ann.id) == []


def test_timeline_says_imported_and_a_big_import_refreshes_the_planner_statistics(world, monkeypatch) -> None:
    manager, _ = world
    old = make_lead(manager, email="old@x.com", first_name="Old")
    monkeypatch.setattr(lead_import, "ANALYZE_AFTER", 2)  # "big" for the test: two new leads
    with transaction() as session:
        if session.get_bind().dialect.name == "sqlite":
            session.execute(text("DROP TABLE IF EXISTS sqlite_stat1"))
    _import(manager, [HEADER, ["Old", "", "old@x.com", "", "", "", ""], ["Ann", "", "ann@x.com", "", "", "", ""],
                      ["Bo", "", "bo@x.com", "", "", "", ""]], duplicate_mode=DuplicateMode.UPDATE)
    entries = {entry.title: entry.type for entry in leads.get_lead(manager, old.id).timeline}
    assert entries["Updated by the import of leads.csv"] is ActivityType.LEAD_IMPORTED
    ann = next(lead for lead in _team_leads(manager.team_id) if lead.email == "ann@x.com")
    assert {e.title for e in leads.get_lead(manager, ann.id).timeline} >= {"Imported from leads.csv"}
    with transaction() as session:
        if session.get_bind().dialect.name == "sqlite":
            # SQLite keeps no statistics unless ANALYZE runs; without them it misplans list filters.
            assert session.scalar(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'leads'"))
