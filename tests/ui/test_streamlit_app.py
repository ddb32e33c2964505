"""The Streamlit app, driven through AppTest against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from crm.db import transaction
from crm.enums import LeadSource, LeadStatus, TeamRole
from crm.orm import TeamMember
from crm.schemas.leads import LeadFilter
from crm.services import leads
from tests.conftest import reset_caches
from tests.factories import PASSWORD, make_lead
from tests.ui.conftest import (
    LEAD_SPECS,
    OPEN_VALUE,
    PAGES,
    Brokerage,
    anonymous_app,
    open_page,
    signed_in_app,
)

NOT_VISIBLE = "This lead does not exist or is not visible to you."


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def button(at: AppTest, label: str):  # noqa: ANN201 - AppTest's Button type is internal
    return next(b for b in at.button if b.label == label)


def markdown_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def shown_names(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["Name"])


def sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="sign_in_email").input(email)
    at.text_input(key="sign_in_password").input(password)
    return button(at, "Sign in").click().run()


# (a) every page, every role


@pytest.mark.parametrize("role", [TeamRole.OWNER, TeamRole.MANAGER, TeamRole.MEMBER])
def test_every_page_renders_without_exception_for_each_role(brokerage: Brokerage, role: TeamRole) -> None:
    at = signed_in_app(brokerage.by_role(role))
    at.session_state["lead_detail_id"] = brokerage.leads["Alice"]  # assigned to the agent: all roles see it
    at.run()
    assert not at.exception
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, f"{page} as {role}: {[e.message for e in at.exception]}"
        assert at.title, f"{page} as {role} rendered no title"


def test_anonymous_visitor_only_gets_the_sign_in_page(brokerage: Brokerage) -> None:
    at = anonymous_app().run()
    assert not at.exception
    assert at.text_input(key="sign_in_password").label == "Password"
    assert not at.metric


# (b) sign-in


def test_wrong_password_shows_the_error_and_stays_on_sign_in(brokerage: Brokerage) -> None:
    at = sign_in(anonymous_app().run(), "owner@harbortest.com", "not-the-password")
    assert not at.exception
    assert [e.value for e in at.error] == ["Email or password is incorrect."]
    assert "auth" not in at.session_state
    assert at.text_input(key="sign_in_email").value == "owner@harbortest.com"
    assert not at.metric


def test_empty_sign_in_form_asks_for_credentials(brokerage: Brokerage) -> None:
    at = button(anonymous_app().run(), "Sign in").click().run()
    assert [e.value for e in at.error] == ["Enter your email and password."]


def test_right_password_lands_on_the_dashboard_with_kpis(brokerage: Brokerage) -> None:
    at = sign_in(anonymous_app().run(), "Owner@HarborTest.com ", PASSWORD)
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "Dashboard"
    assert metrics(at)["Total leads"] == "10"
    assert at.session_state["auth"]["user_id"] == brokerage.owner.user_id


def test_signing_in_from_a_link_to_a_page_lands_on_that_page(brokerage: Brokerage) -> None:
    at = anonymous_app()
    at.switch_page("pages/leads.py")  # before the first run: resolved by file name, i.e. the /leads URL
    at.run()
    assert at.text_input(key="sign_in_email")  # the sign-in form answers at /leads
    at = sign_in(at, "owner@harbortest.com", PASSWORD)
    assert not at.exception
    assert at.title[0].value == "Leads"


def test_sign_out_returns_to_the_sign_in_page(brokerage: Brokerage) -> None:
    at = signed_in_app(brokerage.owner).run()
    at = button(at, "Sign out").click().run()
    assert not at.exception
    assert "auth" not in at.session_state
    assert at.text_input(key="sign_in_email").value == ""


# (c) dashboard


def test_dashboard_kpis_match_the_team_data_for_the_owner(brokerage: Brokerage) -> None:
    at = signed_in_app(brokerage.owner).run()
    assert metrics(at) == {
        "Total leads": "10",
        "New this month": "10",
        "Conversion rate": "20.0%",  # 2 won of 10
        "Open pipeline value": f"${OPEN_VALUE:,}",
        "Tasks due today": "1",
    }
    assert len(at.get("plotly_chart")) == 3


def test_dashboard_kpis_of_an_agent_count_only_own_and_unassigned_leads(brokerage: Brokerage) -> None:
    at = signed_in_app(brokerage.agent).run()
    visible = [s for s in LEAD_SPECS if s[4] in ("agent", None)]
    open_value = sum(s[5] for s in visible if s[2].is_open)
    assert metrics(at) == {
        "Total leads": str(len(visible)),
        "New this month": str(len(visible)),
        "Conversion rate": "16.7%",  # 1 won of 6
        "Open pipeline value": f"${open_value:,}",
        "Tasks due today": "1",
    }


def test_team_switcher_shows_the_other_teams_data(brokerage: Brokerage) -> None:
    with transaction() as session:
        session.add(TeamMember(team_id=brokerage.rival_team_id, user_id=brokerage.agent.user_id,
                               role=TeamRole.MEMBER))
    at = signed_in_app(brokerage.agent).run()
    assert metrics(at)["Total leads"] == "6"
    at.selectbox(key="app_team").set_value(brokerage.rival_team_id).run()
    assert not at.exception
    assert metrics(at)["Total leads"] == "1"  # the rival's single, unassigned lead
    assert at.session_state["auth"]["team_id"] == brokerage.rival_team_id


# (d) leads list


def test_leads_search_and_filters_narrow_the_results(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.owner), "pages/leads.py")
    assert any(c.value.startswith("10 leads · Showing 1–10 of 10") for c in at.caption)
    assert len(shown_names(at)) == 10

    at.text_input(key="leads_search").input("alice").run()
    assert shown_names(at) == ["Alice Anders"]
    assert any(c.value.startswith("1 lead ·") for c in at.caption)

    at.text_input(key="leads_search").input("").run()
    at.multiselect(key="leads_statuses").set_value([LeadStatus.WON]).run()
    assert sorted(shown_names(at)) == ["Hank Hill", "Ivy Irwin"]

    at.multiselect(key="leads_sources").set_value([LeadSource.SOCIAL]).run()
    assert shown_names(at) == ["Ivy Irwin"]

    at.multiselect(key="leads_statuses").set_value([]).run()
    at.multiselect(key="leads_sources").set_value([]).run()
    at.selectbox(key="leads_assignee").set_value("unassigned").run()
    assert sorted(shown_names(at)) == ["Dan Dunn", "Jack Jones"]

    at.selectbox(key="leads_assignee").set_value(brokerage.agent2.user_id).run()
    assert sorted(shown_names(at)) == ["Ben Brooks", "Eve Evans", "Gina Gray", "Ivy Irwin"]
    assert not at.exception


def test_leads_are_paged_fifty_at_a_time(brokerage: Brokerage) -> None:
    for n in range(55):
        make_lead(brokerage.owner, first_name=f"Bulk{n:02d}", email=f"bulk{n}@buyers.com")
    at = open_page(signed_in_app(brokerage.owner), "pages/leads.py")
    assert any(c.value == "65 leads · Showing 1–50 of 65" for c in at.caption)
    assert len(shown_names(at)) == 50
    at.button(key="leads_next").click().run()
    assert any(c.value == "65 leads · Showing 51–65 of 65" for c in at.caption)
    assert len(shown_names(at)) == 15
    at.text_input(key="leads_search").input("bulk").run()  # a new search starts again at page 1
    assert any(c.value == "55 leads · Showing 1–50 of 55" for c in at.caption)
    at.button(key="leads_next").click().run()
    assert any(c.value == "55 leads · Showing 51–55 of 55" for c in at.caption)
    assert at.button(key="leads_next").disabled  # the last page
    at.button(key="leads_prev").click().run()
    assert any(c.value == "55 leads · Showing 1–50 of 55" for c in at.caption)
    assert at.button(key="leads_prev").disabled
    assert not at.exception


def test_agent_sees_only_own_and_unassigned_leads_in_the_list(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.agent), "pages/leads.py")
    expected = {f"{s[0]} {s[1]}" for s in LEAD_SPECS if s[4] in ("agent", None)}
    assert set(shown_names(at)) == expected
    assert "Zed Foreign" not in shown_names(at)


def test_leads_sort_by_value_puts_the_biggest_deal_first(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.owner), "pages/leads.py")
    at.selectbox(key="leads_sort").set_value("value").run()
    assert shown_names(at)[0] == "Gina Gray"


def test_leads_open_button_opens_the_lead_page(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.owner), "pages/leads.py")
    at.selectbox(key="leads_open_choice").set_value(brokerage.leads["Finn"]).run()
    at.button(key="leads_open_button").click().run()
    assert not at.exception
    assert at.title[0].value == "Finn Fox"
    assert at.session_state["lead_detail_id"] == brokerage.leads["Finn"]


# (e) new lead form


def fill_new_lead(at: AppTest, **values: str) -> AppTest:
    for field, value in values.items():
        at.text_input(key=f"leads_new_{field}").input(value)
    return button(at, "Create lead").click().run()


def test_new_lead_with_an_invalid_email_shows_a_readable_error_and_saves_nothing(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.owner), "pages/leads.py")
    at = fill_new_lead(at, first_name="Nora", last_name="Novak", email="not-an-email")
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "Email: 'not-an-email' is not a valid email address" in errors
    assert "Traceback" not in errors
    assert leads.list_leads(brokerage.owner, LeadFilter()).total == 10
    assert at.text_input(key="leads_new_first_name").value == "Nora"  # the input is kept for fixing


def test_new_lead_without_contact_or_name_lists_each_problem(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.owner), "pages/leads.py")
    at = fill_new_lead(at, company="Acme")
    errors = " ".join(e.value for e in at.error)
    assert "First name is required." in errors
    at = fill_new_lead(at, first_name="Nora")
    assert "A lead needs an email or a phone number." in " ".join(e.value for e in at.error)
    assert leads.list_leads(brokerage.owner, LeadFilter()).total == 10


def test_new_lead_with_a_duplicate_email_is_refused(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.owner), "pages/leads.py")
    at = fill_new_lead(at, first_name="Alicia", email="ALICE@buyers.com")
    assert [e.value for e in at.error] == ["A lead with email alice@buyers.com already exists in this team."]
    assert leads.list_leads(brokerage.owner, LeadFilter()).total == 10


def test_new_lead_with_valid_data_appears_in_the_list_and_dashboard(brokerage: Brokerage) -> None:
    at = signed_in_app(brokerage.owner).run()
    assert metrics(at)["Total leads"] == "10"  # now cached
    at.switch_page("pages/leads.py").run()
    at.number_input(key="leads_new_value").set_value(525_000)
    at.selectbox(key="leads_new_assigned_to_id").set_value(brokerage.agent.user_id)
    at = fill_new_lead(at, first_name="Nora", last_name="Novak", email="nora@buyers.com",
                       phone="(617) 555-0142", city="Boston")
    assert not at.exception
    assert not at.error
    assert any("Nora Novak" in s.value for s in at.success)
    assert "Nora Novak" in shown_names(at)
    assert at.text_input(key="leads_new_first_name").value == ""  # the form was emptied
    created = next(x for x in leads.list_leads(brokerage.owner, LeadFilter()).items if x.email == "nora@buyers.com")
    assert created.phone == "+16175550142"
    assert created.assigned_to is not None and created.assigned_to.id == brokerage.agent.user_id
    at.switch_page("pages/dashboard.py").run()
    assert metrics(at)["Total leads"] == "11"  # the write cleared the cached overview


def test_agent_new_lead_form_has_no_assignee_and_assigns_to_the_agent(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.agent), "pages/leads.py")
    assert not [s for s in at.selectbox if s.key == "leads_new_assigned_to_id"]
    at = fill_new_lead(at, first_name="Omar", email="omar@buyers.com")
    assert not at.error
    created = next(x for x in leads.list_leads(brokerage.owner, LeadFilter(search="omar")).items)
    assert created.assigned_to is not None and created.assigned_to.id == brokerage.agent.user_id


# (f) lead page


def open_lead(brokerage: Brokerage, actor_role: TeamRole, first_name: str) -> AppTest:
    at = signed_in_app(brokerage.by_role(actor_role))
    at.session_state["lead_detail_id"] = brokerage.leads[first_name]
    return open_page(at, "pages/lead_detail.py")


def test_lead_page_shows_the_timeline_and_a_status_change_adds_an_entry(brokerage: Brokerage) -> None:
    at = open_lead(brokerage, TeamRole.OWNER, "Alice")
    assert at.title[0].value == "Alice Anders"
    assert "Lead created by Olga Owner" in markdown_text(at)
    assert "Status changed" not in markdown_text(at)

    at.selectbox(key="lead_detail_status").set_value(LeadStatus.CONTACTED)
    at.button(key="lead_detail_change_status").click().run()
    assert not at.exception
    assert "Status changed from New to Contacted" in markdown_text(at)
    assert any(s.value == "Status changed to Contacted." for s in at.success)
    assert leads.get_lead(brokerage.owner, brokerage.leads["Alice"]).status is LeadStatus.CONTACTED


def test_lead_page_adds_a_note_to_the_timeline(brokerage: Brokerage) -> None:
    at = open_lead(brokerage, TeamRole.MEMBER, "Cara")
    at.text_area(key="lead_detail_note").input("Wants a 3-bed near the harbor")
    at = button(at, "Add note").click().run()
    assert not at.exception
    assert "Wants a 3-bed near the harbor" in [t.value for t in at.text]
    assert at.text_area(key="lead_detail_note").value == ""


def test_lead_page_edit_saves_only_changed_fields(brokerage: Brokerage) -> None:
    at = open_lead(brokerage, TeamRole.MANAGER, "Eve")
    at = button(at, "Save changes").click().run()
    assert any("Nothing to save" in i.value for i in at.info)

    at.text_input(key="lead_detail_edit_city").input("Salem")
    at.text_input(key="lead_detail_edit_email").input("not-an-email")
    at = button(at, "Save changes").click().run()
    assert any("is not a valid email address" in e.value for e in at.error)
    assert leads.get_lead(brokerage.owner, brokerage.leads["Eve"]).city is None

    at.text_input(key="lead_detail_edit_email").input("eve@buyers.com")
    at = button(at, "Save changes").click().run()
    assert not at.error
    lead = leads.get_lead(brokerage.owner, brokerage.leads["Eve"])
    assert (lead.city, lead.email) == ("Salem", "eve@buyers.com")


# (g) visibility


def test_agent_opening_another_agents_lead_sees_not_found(brokerage: Brokerage) -> None:
    at = open_lead(brokerage, TeamRole.MEMBER, "Ben")  # Ben belongs to the other agent
    assert not at.exception
    assert [e.value for e in at.error] == [NOT_VISIBLE]
    assert "Ben Brooks" not in markdown_text(at)
    assert not at.title


def test_another_teams_lead_id_in_the_url_answers_not_found(brokerage: Brokerage) -> None:
    at = signed_in_app(brokerage.owner).run()
    at.query_params["id"] = str(brokerage.foreign_lead_id)
    at.switch_page("pages/lead_detail.py").run()
    assert [e.value for e in at.error] == [NOT_VISIBLE]
    at.query_params["id"] = "nonsense"
    at.run()
    assert [e.value for e in at.error] == [NOT_VISIBLE]


# (h) demo accounts on the sign-in page


def test_demo_sign_ins_are_offered_in_demo_mode_and_fill_the_form(
    brokerage: Brokerage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DEMO_MODE", raising=False)
    reset_caches()
    at = anonymous_app().run()
    hint = " ".join(i.value for i in at.info)
    assert "Demo mode" in hint
    shown = markdown_text(at)
    for email in ("owner@harborandoak.com", "manager@harborandoak.com", "agent@harborandoak.com"):
        assert email in shown
    assert "demo-password-2026" in shown
    at.button(key="sign_in_use_2").click().run()
    assert at.text_input(key="sign_in_email").value == "agent@harborandoak.com"
    assert at.text_input(key="sign_in_password").value == "demo-password-2026"


def test_demo_sign_ins_are_hidden_when_demo_mode_is_off(
    brokerage: Brokerage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_MODE", "false")
    reset_caches()
    at = anonymous_app().run()
    assert not at.exception
    assert not at.info
    assert "harborandoak.com" not in markdown_text(at)
    assert not [b for b in at.button if b.label == "Use"]
