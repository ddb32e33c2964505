"""The Leads page: new filters, the "More filters" popover, keyset paging, counts past the cap,
and smart lists (saved views) — saving, re-applying, sharing, managing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from crm.db import transaction
from crm.enums import CustomFieldType, LeadStatus
from crm.orm import Lead
from crm.schemas.custom_fields import CustomFieldCreate
from crm.schemas.leads import LeadFilter, LeadUpdate
from crm.schemas.saved_views import SavedViewCreate
from crm.schemas.tags import TagAssign
from crm.services import custom_fields, leads, saved_views, tags
from tests.factories import make_lead
from tests.ui.conftest import Brokerage, open_page, signed_in_app

PAGE = "pages/leads.py"


def shown_names(at: AppTest) -> list[str]:
    return sorted(at.dataframe[0].value["Name"]) if at.dataframe else []


def full_names(brokerage: Brokerage, *first_names: str) -> list[str]:
    return sorted(leads.get_lead(brokerage.owner, brokerage.leads[f]).full_name for f in first_names)


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def popover_labels(at: AppTest) -> list[str]:
    return [p.proto.popover.label for p in at.get("popover")]


def set_lead(lead_id: int, **values: object) -> None:
    with transaction() as session:
        session.execute(update(Lead).where(Lead.id == lead_id).values(**values))


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def test_tags_score_dates_and_never_contacted_narrow_the_list(brokerage: Brokerage) -> None:
    ids = brokerage.leads
    tags.add_tags_to_lead(brokerage.owner, ids["Alice"], TagAssign(names=["VIP"]))
    tags.add_tags_to_lead(brokerage.owner, ids["Eve"], TagAssign(names=["VIP", "Investor"]))
    tags.add_tags_to_lead(brokerage.owner, ids["Jack"], TagAssign(names=["Investor"]))
    vip = next(t.id for t in tags.list_tags(brokerage.owner) if t.name == "VIP")
    set_lead(ids["Alice"], score=90)
    set_lead(ids["Ben"], score=75)
    now = dt.datetime.now(dt.UTC)
    set_lead(ids["Cara"], created_at=now - dt.timedelta(days=400), last_contact_at=now - dt.timedelta(days=30))
    set_lead(ids["Dan"], last_contact_at=now - dt.timedelta(days=2))

    at = open_page(signed_in_app(brokerage.owner), PAGE)
    no_exception(at)
    assert "More filters" in popover_labels(at)
    at.multiselect(key="leads_tags").set_value([vip]).run()
    assert shown_names(at) == full_names(brokerage, "Alice", "Eve")
    at.multiselect(key="leads_tags").set_value([]).run()

    at.slider(key="leads_score").set_value((70, 100)).run()
    assert shown_names(at) == full_names(brokerage, "Alice", "Ben")
    assert "More filters (1)" in popover_labels(at)  # the badge counts the active hidden filters
    at.slider(key="leads_score").set_value((0, 100)).run()

    year_ago = (now - dt.timedelta(days=365)).date()
    at.date_input(key="leads_created_between").set_value((year_ago - dt.timedelta(days=100), year_ago)).run()
    assert shown_names(at) == full_names(brokerage, "Cara")
    at.date_input(key="leads_created_between").set_value(()).run()

    week_ago = (now - dt.timedelta(days=7)).date()
    at.date_input(key="leads_contacted_between").set_value((week_ago, now.date())).run()
    assert shown_names(at) == full_names(brokerage, "Dan")
    at.checkbox(key="leads_never_contacted").check().run()
    assert "More filters (2)" in popover_labels(at)
    at.date_input(key="leads_contacted_between").set_value(()).run()
    assert shown_names(at) == full_names(brokerage, *[f for f in ids if f not in ("Cara", "Dan")])

    at.button(key="leads_clear_filters").click().run()
    no_exception(at)
    assert len(shown_names(at)) == 10
    assert "More filters" in popover_labels(at)
    assert at.checkbox(key="leads_never_contacted").value is False


def test_custom_field_filters_narrow_the_list(brokerage: Brokerage) -> None:
    owner, ids = brokerage.owner, brokerage.leads
    custom_fields.create_definition(owner, CustomFieldCreate(label="Budget", key="budget",
                                                             field_type=CustomFieldType.NUMBER))
    custom_fields.create_definition(owner, CustomFieldCreate(label="Area", key="area", field_type=CustomFieldType.SELECT,
                                                             choices=["North", "South"]))
    leads.update_lead(owner, ids["Alice"], LeadUpdate(custom_fields={"budget": 800_000, "area": "North"}))
    leads.update_lead(owner, ids["Ben"], LeadUpdate(custom_fields={"budget": 300_000, "area": "North"}))
    leads.update_lead(owner, ids["Cara"], LeadUpdate(custom_fields={"budget": 900_000, "area": "South"}))
    at = open_page(signed_in_app(owner), PAGE)
    at.multiselect(key="leads_cf_area").set_value(["North"]).run()
    no_exception(at)
    assert shown_names(at) == full_names(brokerage, "Alice", "Ben")
    at.number_input(key="leads_cf_budget_min").set_value(500_000).run()
    assert shown_names(at) == full_names(brokerage, "Alice")
    assert "More filters (2)" in popover_labels(at)

    # Saved with the custom conditions, cleared, re-applied: the controls show them again.
    at.text_input(key="leads_view_new_name").input("Northern big budgets")
    at.button(key="leads_view_save").click().run()
    at.button(key="leads_clear_filters").click().run()
    assert len(shown_names(at)) == 10 and at.multiselect(key="leads_cf_area").value == []
    view = saved_views.list_views(owner)[0]
    at.selectbox(key="leads_view").set_value(view.id).run()
    no_exception(at)
    assert shown_names(at) == full_names(brokerage, "Alice")
    assert at.multiselect(key="leads_cf_area").value == ["North"]
    assert at.number_input(key="leads_cf_budget_min").value == 500_000


def test_next_and_previous_walk_the_pages_and_a_filter_change_starts_over(brokerage: Brokerage) -> None:
    for n in range(110):
        make_lead(brokerage.owner, first_name=f"Page{n:03d}", email=f"page{n}@buyers.com")
    at = open_page(signed_in_app(brokerage.owner), PAGE)
    assert "120 leads · Showing 1–50 of 120" in captions(at)
    assert at.button(key="leads_prev").disabled
    first_page = shown_names(at)
    at.button(key="leads_next").click().run()
    assert "120 leads · Showing 51–100 of 120" in captions(at)
    second_page = shown_names(at)
    assert not set(first_page) & set(second_page)
    at.button(key="leads_next").click().run()
    assert "120 leads · Showing 101–120 of 120" in captions(at)
    assert at.button(key="leads_next").disabled
    at.button(key="leads_prev").click().run()
    assert "120 leads · Showing 51–100 of 120" in captions(at)
    assert shown_names(at) == second_page
    at.selectbox(key="leads_sort").set_value("name").run()  # a new sort starts again at page 1
    assert "120 leads · Showing 1–50 of 120" in captions(at)
    at.button(key="leads_next").click().run()
    at.multiselect(key="leads_statuses").set_value([LeadStatus.NEW]).run()  # so does a filter
    assert any(c.startswith("112 leads · Showing 1–50 of 112") for c in captions(at))
    no_exception(at)


def _past_the_cap(brokerage: Brokerage, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The Leads page over 65 leads (10 from the brokerage, 55 more) with the list's count capped at 30."""
    monkeypatch.setattr("crm.services.leads.COUNT_CAP", 30)
    for n in range(55):
        make_lead(brokerage.owner, first_name=f"Cap{n:02d}", email=f"cap{n}@buyers.com")
    at = open_page(signed_in_app(brokerage.owner), PAGE)
    assert "50+ leads · Showing 1–50 of 50+" in captions(at)  # never less than the rows already shown
    return at


def test_counts_past_the_cap_read_as_a_lower_bound_and_bulk_actions_report_the_real_number(
        brokerage: Brokerage, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _past_the_cap(brokerage, monkeypatch)
    at.button(key="leads_next").click().run()
    assert "65 leads · Showing 51–65 of 65" in captions(at)  # the last page: now the total is known
    at.button(key="leads_prev").click().run()

    at.toggle(key="leads_bulk_mode").set_value(True).run()
    at.radio(key="leads_bulk_scope").set_value("all").run()
    scope = at.radio(key="leads_bulk_scope")
    assert [scope.format_func(o) for o in scope.options][1] == "All 50+ matching leads"
    at.selectbox(key="leads_bulk_action").set_value("status").run()
    at.selectbox(key="leads_bulk_status").set_value(LeadStatus.LOST)
    at.button(key="leads_bulk_apply").click().run()
    no_exception(at)
    assert "Status set to Lost on 65 leads." in [s.value for s in at.success]  # the real number, not "50+"
    with transaction() as session:
        assert session.query(Lead).filter_by(team_id=brokerage.team_id, status=LeadStatus.LOST).count() == 65


def test_count_all_replaces_the_lower_bound_with_the_exact_total_for_that_view(
        brokerage: Brokerage, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _past_the_cap(brokerage, monkeypatch)
    at.button(key="leads_count_all").click().run()
    assert "65 leads · Showing 1–50 of 65" in captions(at)
    assert "leads_count_all" not in [b.key for b in at.button]  # nothing left to count
    at.button(key="leads_next").click().run()
    at.button(key="leads_prev").click().run()
    assert "65 leads · Showing 1–50 of 65" in captions(at)  # remembered for this view
    at.multiselect(key="leads_statuses").set_value([LeadStatus.NEW]).run()  # another view: capped again
    assert any(c.endswith("of 50+") for c in captions(at))
    no_exception(at)


def test_bulk_delete_over_a_capped_count_confirms_without_a_false_number(
        brokerage: Brokerage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("crm.services.leads.COUNT_CAP", 5)
    monkeypatch.setattr("crm.services.leads.SMALL_VIEW", 5)  # three statuses are not walked in one window
    for n in range(50):
        make_lead(brokerage.owner, first_name=f"Gone{n:02d}", email=f"gone{n}@buyers.com")
    at = open_page(signed_in_app(brokerage.owner), PAGE)
    at.multiselect(key="leads_statuses").set_value([LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.WON]).run()
    assert "50+ leads · Showing 1–50 of 50+" in captions(at)
    at.toggle(key="leads_bulk_mode").set_value(True).run()
    at.radio(key="leads_bulk_scope").set_value("all").run()
    at.selectbox(key="leads_bulk_action").set_value("delete").run()
    assert at.checkbox(key="leads_bulk_confirm").label.startswith("Yes, delete every matching lead (50+)")
    at.checkbox(key="leads_bulk_confirm").check().run()
    at.button(key="leads_bulk_apply").click().run()
    no_exception(at)
    assert "Deleted 56 leads." in [s.value for s in at.success]  # the 50 new ones and 6 of the 10
    assert leads.list_leads(brokerage.owner, LeadFilter()).total == 4


def test_save_a_view_then_reapply_it_after_clearing_the_filters(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.manager), PAGE)
    at.multiselect(key="leads_statuses").set_value([LeadStatus.NEW, LeadStatus.CONTACTED]).run()
    at.selectbox(key="leads_sort").set_value("value").run()
    at.checkbox(key="leads_never_contacted").check().run()
    expected = shown_names(at)
    assert len(expected) == 4
    at.text_input(key="leads_view_new_name").input("Fresh leads")
    at.button(key="leads_view_save").click().run()
    no_exception(at)
    assert "Saved view **Fresh leads**." in [s.value for s in at.success]
    view = next(v for v in saved_views.list_views(brokerage.manager) if v.name == "Fresh leads")
    assert at.selectbox(key="leads_view").value == view.id
    assert view.filters is not None and view.filters.statuses == [LeadStatus.NEW, LeadStatus.CONTACTED]
    assert view.filters.never_contacted and view.sort == "value"

    at.button(key="leads_clear_filters").click().run()
    assert at.selectbox(key="leads_view").value == 0
    assert len(shown_names(at)) == 10
    at.selectbox(key="leads_sort").set_value("newest").run()

    at.selectbox(key="leads_view").set_value(view.id).run()
    no_exception(at)
    assert shown_names(at) == expected
    assert at.multiselect(key="leads_statuses").value == [LeadStatus.NEW, LeadStatus.CONTACTED]
    assert at.selectbox(key="leads_sort").value == "value"
    assert at.checkbox(key="leads_never_contacted").value is True
    assert "More filters (1)" in popover_labels(at)


def test_a_shared_view_is_offered_to_a_teammate_and_shows_only_their_leads(brokerage: Brokerage) -> None:
    saved_views.create_view(brokerage.manager, SavedViewCreate(
        name="Zillow and referrals", shared=True,
        filters=LeadFilter(sources=["ZILLOW", "REFERRAL"])))
    saved_views.create_view(brokerage.manager, SavedViewCreate(name="Manager only"))
    at = open_page(signed_in_app(brokerage.agent), PAGE)
    picker = at.selectbox(key="leads_view")
    assert picker.options == ["All leads (no smart list)", "Zillow and referrals · shared by Max Manager"]
    picker.select_index(1).run()
    no_exception(at)
    # Ben, Eve and Gina match too, but they are agent2's: the view cannot widen the agent's rows.
    assert shown_names(at) == full_names(brokerage, "Cara", "Jack")
    assert "Shared by Max Manager" in captions(at)
    assert not [b for b in at.button if b.key == "leads_view_delete"]  # not theirs to change


def test_the_owner_renames_shares_updates_and_deletes_their_view(brokerage: Brokerage) -> None:
    view = saved_views.create_view(brokerage.agent, SavedViewCreate(name="Mine", filters=LeadFilter(
        statuses=[LeadStatus.WON])))
    at = open_page(signed_in_app(brokerage.agent), PAGE)
    at.selectbox(key="leads_view").set_value(view.id).run()
    assert shown_names(at) == full_names(brokerage, "Hank")
    assert at.button(key="leads_view_update").disabled  # nothing to save yet

    at.text_input(key=f"leads_view_rename_{view.id}").input("Closed deals").run()
    at.button(key="leads_view_rename").click().run()
    assert saved_views.get_view(brokerage.agent, view.id).name == "Closed deals"
    at.button(key="leads_view_share").click().run()
    assert saved_views.get_view(brokerage.agent, view.id).shared
    assert "**Closed deals** is now shared with your team." in [s.value for s in at.success]

    at.multiselect(key="leads_statuses").set_value([LeadStatus.WON, LeadStatus.LOST]).run()
    assert any("Filters changed since" in c for c in captions(at))
    at.button(key="leads_view_update").click().run()
    stored = saved_views.get_view(brokerage.agent, view.id).filters
    assert stored is not None and stored.statuses == [LeadStatus.WON, LeadStatus.LOST]

    assert at.button(key="leads_view_delete").disabled  # needs the confirmation
    at.checkbox(key="leads_view_confirm_delete").check().run()
    at.button(key="leads_view_delete").click().run()
    no_exception(at)
    assert saved_views.list_views(brokerage.agent) == []
    assert at.selectbox(key="leads_view").value == 0
    assert shown_names(at) == full_names(brokerage, "Hank", "Jack")  # the filters stay


def test_a_view_that_no_longer_applies_is_flagged(brokerage: Brokerage) -> None:
    field = custom_fields.create_definition(brokerage.owner, CustomFieldCreate(
        label="Budget", key="budget", field_type=CustomFieldType.NUMBER))
    view = saved_views.create_view(brokerage.owner, SavedViewCreate(name="Big budgets", filters=LeadFilter(
        custom=[{"key": "budget", "op": "gte", "value": 500000}])))
    custom_fields.delete_definition(brokerage.owner, field.id)
    at = open_page(signed_in_app(brokerage.owner), PAGE)
    picker = at.selectbox(key="leads_view")
    assert picker.options == ["All leads (no smart list)", "Big budgets ⚠"]
    picker.set_value(view.id).run()
    no_exception(at)
    assert any("cannot be applied: the custom field budget no longer exists" in w.value for w in at.warning)
    assert len(shown_names(at)) == 10  # the filter bar was left as it was
