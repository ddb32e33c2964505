"""The pipeline board: columns per status, filters, moving a card changes the lead's status."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from crm.enums import LeadSource, LeadStatus, TeamRole
from crm.services import leads
from tests.ui.conftest import LEAD_SPECS, Brokerage, open_page, signed_in_app

PAGE = "pages/pipeline.py"


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def card_names(at: AppTest) -> set[str]:
    return {link.label for link in at.get("page_link")}


@pytest.mark.parametrize("role", [TeamRole.OWNER, TeamRole.MANAGER, TeamRole.MEMBER])
def test_board_renders_for_each_role(brokerage: Brokerage, role: TeamRole) -> None:
    at = open_page(signed_in_app(brokerage.by_role(role)), PAGE)
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "Pipeline"
    expected = {f"{s[0]} {s[1]}" for s in LEAD_SPECS
                if role is not TeamRole.MEMBER or s[4] in ("agent", None)}
    assert card_names(at) == expected
    assert "Zed Foreign" not in card_names(at)


def test_columns_show_counts_and_values(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.owner), PAGE)
    shown = captions(at)
    assert "**2** leads · $750,000" in shown  # NEW: Alice 300k + Ben 450k
    assert "**2** leads · $750,000" in shown  # WON: Hank 400k + Ivy 350k
    assert "**1** lead · $200,000" in shown  # LOST: Jack


def test_moving_a_card_changes_the_status(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.agent), PAGE)
    alice = brokerage.leads["Alice"]
    at.selectbox(key=f"pipeline_move_{alice}").set_value(LeadStatus.QUALIFIED).run()
    assert not at.exception
    assert any(s.value == "Alice Anders moved to Qualified." for s in at.success)
    assert leads.get_lead(brokerage.owner, alice).status is LeadStatus.QUALIFIED
    assert at.selectbox(key=f"pipeline_move_{alice}").value == LeadStatus.QUALIFIED
    detail = leads.get_lead(brokerage.owner, alice)
    assert any(e.title == "Status changed from New to Qualified" for e in detail.timeline)


def test_filters_by_assignee_and_source(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.owner), PAGE)
    at.selectbox(key="pipeline_assignee").set_value(brokerage.agent2.user_id).run()
    assert card_names(at) == {"Ben Brooks", "Eve Evans", "Gina Gray", "Ivy Irwin"}
    assert "**1** lead · $450,000" in captions(at)  # NEW column, filtered: Ben only
    at.multiselect(key="pipeline_sources").set_value([LeadSource.ZILLOW]).run()
    assert card_names(at) == {"Ben Brooks", "Eve Evans"}
    at.selectbox(key="pipeline_assignee").set_value("unassigned").run()
    assert card_names(at) == {"Jack Jones"}
    assert not at.exception


def test_columns_show_only_the_top_cards_by_score(brokerage: Brokerage) -> None:
    from tests.factories import make_lead

    for n in range(7):
        make_lead(brokerage.owner, first_name=f"Extra{n}", email=f"extra{n}@buyers.com", status=LeadStatus.NEW)
    at = open_page(signed_in_app(brokerage.owner), PAGE)
    assert "+ 4 more" in captions(at)  # 9 NEW leads, 5 cards
    at.selectbox(key="pipeline_cards").set_value(10).run()
    assert "+ 4 more" not in captions(at)
    assert not at.exception


def test_board_renders_quickly(brokerage: Brokerage) -> None:
    at = signed_in_app(brokerage.owner).run()
    at.switch_page(PAGE)
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    assert not at.exception
    assert elapsed < 5, f"pipeline render took {elapsed:.2f}s"
