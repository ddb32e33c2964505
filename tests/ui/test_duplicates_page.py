"""The Duplicates page (groups, side-by-side comparison, merge) and the lead page's Properties
tab and "possible duplicates" notice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from streamlit.testing.v1 import AppTest

from crm.db import transaction
from crm.enums import InterestKind, PropertyStatus, PropertyType
from crm.errors import NotFound
from crm.orm import LeadPropertyInterest, Property
from crm.schemas.leads import LeadUpdate
from crm.services import lead_merge, leads
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
