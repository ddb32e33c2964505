"""The Duplicates page (groups, side-by-side comparison, merge, "not duplicates" with its undo and
list), the lead page's Properties tab and "possible duplicates" notice, and the new-lead form's
warning of likely duplicates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from streamlit.testing.v1 import AppTest

from crm.db import transaction
from crm.enums import InterestKind, PropertyStatus, PropertyType
from crm.errors import NotFound
from crm.orm import LeadPropertyInterest, Property
from crm.schemas.duplicates import DismissDuplicates
from crm.schemas.leads import LeadFilter, LeadUpdate
from crm.services import duplicate_dismissals, duplicates, lead_merge, leads
from tests.ui.conftest import Brokerage, open_page, signed_in_app

PAGE = "pages/duplicates.py"


def markdown_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def twin_phones(b: Brokerage) -> None:
    """Dan (unassigned) and Jack (unassigned) share a phone; Dan's city differs from Jack's."""
    leads.update_lead(b.owner, b.leads["Dan"], LeadUpdate(phone="+14155550170", city="Austin"))
    leads.update_lead(b.owner, b.leads["Jack"], LeadUpdate(phone="+14155550170", city="Boston"))


def test_groups_are_listed_with_their_reasons(brokerage: Brokerage) -> None:
    twin_phones(brokerage)
    at = open_page(signed_in_app(brokerage.manager), PAGE)
    assert not at.exception, [e.message for e in at.exception]
    text = markdown_text(at)
    assert "Same phone" in text and "Dan Dunn" in text and "Jack Jones" in text
    assert "Alice Anders" not in text


def test_an_empty_team_says_there_are_no_duplicates(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.manager), PAGE)
    assert not at.exception
    assert any("No likely duplicates" in i.value for i in at.info)


def test_a_manager_compares_picks_values_and_merges(brokerage: Brokerage) -> None:
    twin_phones(brokerage)
    dan, jack = brokerage.leads["Dan"], brokerage.leads["Jack"]
    at = open_page(signed_in_app(brokerage.manager), PAGE)
    at.button(key="duplicates_compare_0").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="duplicates_keep").value == dan  # the older lead is kept by default
    city = at.radio(key=f"duplicates_choice_{dan}_{jack}_city")
    assert city.value == "merged"  # Jack was edited last: the newer value is suggested
    city.set_value("survivor")
    at.run()
    assert at.button(key="duplicates_merge_button").disabled
    at.checkbox(key=f"duplicates_confirm_{dan}_{jack}").check().run()
    at.button(key="duplicates_merge_button").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Merged Jack Jones" in s.value for s in at.success)
    assert leads.get_lead(brokerage.owner, dan).city == "Austin"
    with pytest.raises(NotFound):
        leads.get_lead(brokerage.owner, jack)
    assert [h.merged_lead_id for h in lead_merge.merge_history(brokerage.owner, dan)] == [jack]


def test_an_agent_compares_but_cannot_merge(brokerage: Brokerage) -> None:
    twin_phones(brokerage)
    at = open_page(signed_in_app(brokerage.agent), PAGE)
    at.button(key="duplicates_compare_0").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert not [b for b in at.button if b.key == "duplicates_merge_button"]
    assert any("Only managers" in c.value for c in at.caption)


def test_the_lead_page_warns_of_duplicates_and_links_to_the_comparison(brokerage: Brokerage) -> None:
    twin_phones(brokerage)
    at = signed_in_app(brokerage.manager)
    at.session_state["lead_detail_id"] = brokerage.leads["Dan"]
    at = open_page(at, "pages/lead_detail.py")
    assert not at.exception, [e.message for e in at.exception]
    assert any("1 possible duplicate of this lead." in w.value for w in at.warning)
    linked = signed_in_app(brokerage.manager)
    linked.run()
    linked.query_params["lead"] = str(brokerage.leads["Dan"])
    linked.switch_page(PAGE).run()
    assert not linked.exception, [e.message for e in linked.exception]
    assert linked.selectbox(key="duplicates_keep").value == brokerage.leads["Dan"]
    assert linked.selectbox(key="duplicates_merge").value == brokerage.leads["Jack"]


def test_the_properties_tab_lists_the_leads_listings(brokerage: Brokerage) -> None:
    alice = brokerage.leads["Alice"]
    with transaction() as s:
        home = Property(team_id=brokerage.team_id, address="77 Harbor Way", city="Tampa", state="FL",
                        zip_code="33602", list_price=Decimal("615000"), property_type=PropertyType.CONDO,
                        status=PropertyStatus.ACTIVE, beds=2, baths=Decimal("2"))
        s.add(home)
        s.flush()
        for kind in (InterestKind.VIEWED, InterestKind.SAVED):
            s.add(LeadPropertyInterest(team_id=brokerage.team_id, lead_id=alice, property_id=home.id, kind=kind,
                                       created_at=dt.datetime(2026, 10, 2, tzinfo=dt.UTC)))
    at = signed_in_app(brokerage.agent)
    at.session_state["lead_detail_id"] = alice
    at = open_page(at, "pages/lead_detail.py")
    assert not at.exception, [e.message for e in at.exception]
    assert [t.label for t in at.tabs][-1] == "Properties"
    table = at.dataframe[0].value
    assert list(table["Address"]) == ["77 Harbor Way, Tampa, FL 33602"]
    assert list(table["Interest"]) == ["Viewed, Saved"]
    assert not any("possible duplicate" in w.value for w in at.warning)


def test_a_lead_without_listings_says_so(brokerage: Brokerage) -> None:
    at = signed_in_app(brokerage.owner)
    at.session_state["lead_detail_id"] = brokerage.leads["Ben"]
    at = open_page(at, "pages/lead_detail.py")
    assert not at.exception
    assert any("No listings yet" in i.value for i in at.info)


def test_not_duplicates_hides_the_group_and_undo_brings_it_back(brokerage: Brokerage) -> None:
    twin_phones(brokerage)
    dan, jack = brokerage.leads["Dan"], brokerage.leads["Jack"]
    at = open_page(signed_in_app(brokerage.agent), PAGE)  # any role that sees both leads
    at.button(key="duplicates_dismiss_0").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Marked 2 leads as not duplicates" in s.value for s in at.success)
    assert any("No likely duplicates" in i.value for i in at.info)
    assert duplicates.duplicates_of(brokerage.owner, dan) == []
    at.button(key="duplicates_undo").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Undone" in i.value for i in at.info)
    assert "Dan Dunn" in markdown_text(at) and "Jack Jones" in markdown_text(at)
    assert [m.lead.id for m in duplicates.duplicates_of(brokerage.owner, dan)] == [jack]


def test_a_manager_restores_a_pair_from_the_list_of_not_duplicates(brokerage: Brokerage) -> None:
    twin_phones(brokerage)
    dan, jack = brokerage.leads["Dan"], brokerage.leads["Jack"]
    duplicate_dismissals.dismiss_duplicates(brokerage.agent, DismissDuplicates(lead_ids=[dan, jack]))
    at = open_page(signed_in_app(brokerage.manager), PAGE)
    assert not at.exception, [e.message for e in at.exception]
    assert "Same phone" not in markdown_text(at)
    [pair] = duplicate_dismissals.list_dismissals(brokerage.manager).items
    assert any("Andy Agent" in c.value for c in at.caption)  # who said so
    at.button(key=f"duplicates_restore_{pair.id}").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Restored" in i.value for i in at.info)
    assert "Same phone" in markdown_text(at) and "Dan Dunn" in markdown_text(at)
    agent = open_page(signed_in_app(brokerage.agent), PAGE)
    assert not [e for e in agent.expander if e.label == "Marked as not duplicates"]  # managers only


def test_the_comparison_opened_from_a_lead_page_can_be_marked_not_duplicates(brokerage: Brokerage) -> None:
    twin_phones(brokerage)
    linked = signed_in_app(brokerage.manager)
    linked.run()
    linked.query_params["lead"] = str(brokerage.leads["Dan"])
    linked.switch_page(PAGE).run()
    linked.button(key="duplicates_dismiss_pair").click().run()
    assert not linked.exception, [e.message for e in linked.exception]
    assert not [s for s in linked.selectbox if s.key == "duplicates_keep"]  # the comparison is closed
    assert duplicates.duplicates_of(brokerage.manager, brokerage.leads["Dan"]) == []
    at = signed_in_app(brokerage.manager)
    at.session_state["lead_detail_id"] = brokerage.leads["Dan"]
    at = open_page(at, "pages/lead_detail.py")
    assert not any("possible duplicate" in w.value for w in at.warning)


# The new-lead form of the Leads page warns of likely duplicates before creating.

LEADS_PAGE = "pages/leads.py"


def fill_new_lead(at: AppTest, **values: str) -> AppTest:
    for field, value in values.items():
        at.text_input(key=f"leads_new_{field}").input(value)
    return next(b for b in at.button if b.label == "Create lead").click().run()


def page_links(at: AppTest) -> list[tuple[str, str]]:
    """(label, query string) of every page link shown."""
    return [(e.proto.label, e.proto.query_string) for e in at.get("page_link")]


def test_the_new_lead_form_warns_of_look_alikes_and_creates_only_when_confirmed(brokerage: Brokerage) -> None:
    dan = brokerage.leads["Dan"]
    leads.update_lead(brokerage.owner, dan, LeadUpdate(phone="+14155550170"))
    at = open_page(signed_in_app(brokerage.owner), LEADS_PAGE)
    at = fill_new_lead(at, first_name="Daniel", last_name="Dunn", email="dan+zillow@buyers.com",
                       phone="(415) 555-0170")
    assert not at.exception, [e.message for e in at.exception]
    assert any("looks like 1 lead you already have" in w.value for w in at.warning)
    assert [(label, query) for label, query in page_links(at) if "Dan Dunn" in label] == [
        ("Dan Dunn — dan@buyers.com · +14155550170 (same email, same phone)", f"id={dan}")]
    assert leads.list_leads(brokerage.owner, LeadFilter(search="daniel")).total == 0  # not yet
    at.button(key="leads_new_create_anyway").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Daniel Dunn" in s.value for s in at.success)
    assert not at.warning
    created = leads.list_leads(brokerage.owner, LeadFilter(search="daniel")).items
    assert [lead.email for lead in created] == ["dan+zillow@buyers.com"]


def test_the_new_lead_form_creates_straight_away_without_look_alikes(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.agent), LEADS_PAGE)
    at = fill_new_lead(at, first_name="Nora", last_name="Novak", email="nora@buyers.com")
    assert not at.exception, [e.message for e in at.exception]
    assert not at.warning
    assert any("Nora Novak" in s.value for s in at.success)
    assert leads.list_leads(brokerage.agent, LeadFilter(search="nora")).total == 1


def test_dont_create_keeps_the_form_for_editing_and_creates_nothing(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.manager), LEADS_PAGE)
    at = fill_new_lead(at, first_name="Alice", last_name="Anders", email="alice+2@buyers.com")
    assert any("looks like 1 lead" in w.value for w in at.warning)
    at.button(key="leads_new_duplicates_cancel").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.warning
    assert at.text_input(key="leads_new_first_name").value == "Alice"
    assert leads.list_leads(brokerage.owner, LeadFilter(search="alice")).total == 1
