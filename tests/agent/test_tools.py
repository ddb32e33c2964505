"""The assistant's tools, driven through the real agent loop: they act as the signed-in user only."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage

from crm.agent.agent import build_agent
from crm.agent.tools import TOOLS, AgentContext
from crm.enums import CustomFieldType, LeadSource, LeadStatus, TeamRole
from crm.schemas.common import Actor
from crm.schemas.custom_fields import CustomFieldCreate
from crm.schemas.leads import LeadFilter, NoteCreate
from crm.services import custom_fields, leads
from tests.agent.fakes import call, say, scripted
from tests.factories import make_lead, make_member, make_team


def run_tool(actor: Actor, name: str, **args: Any) -> ToolMessage:
    """Let a scripted model call one tool through the agent; return the tool's result message."""
    model = scripted(call(name, **args), say("Done."))
    out = build_agent(model).invoke({"messages": [{"role": "user", "content": "go"}]},
                                    context=AgentContext(actor))
    results = [m for m in out["messages"] if isinstance(m, ToolMessage)]
    assert len(results) == 1, out["messages"]
    assert isinstance(out["messages"][-1], AIMessage) and out["messages"][-1].content == "Done."
    return results[0]


def test_search_leads_shows_a_member_only_their_own_and_unassigned_leads(db: str) -> None:
    team, other_team = make_team(), make_team()
    owner = make_member(team, TeamRole.OWNER)
    me, colleague = make_member(team), make_member(team)
    mine = make_lead(me, first_name="Mine")
    make_lead(colleague, first_name="Theirs")
    pool = make_lead(owner, first_name="Pool")  # owners' new leads stay unassigned
    make_lead(make_member(other_team, TeamRole.OWNER), first_name="Foreign")

    result = json.loads(run_tool(me, "search_leads").content)

    assert {row["id"] for row in result["leads"]} == {mine.id, pool.id}
    assert result["total"] == 2
    assert {row["name"] for row in result["leads"]} == {"Mine Buyer", "Pool Buyer"}


def test_search_leads_never_returns_another_teams_lead_even_by_exact_text(db: str) -> None:
    team, other_team = make_team(), make_team()
    owner = make_member(team, TeamRole.OWNER)
    make_lead(make_member(other_team, TeamRole.OWNER), first_name="Zelda", email="zelda@rival.com")

    result = json.loads(run_tool(owner, "search_leads", search="zelda").content)

    assert result == {"total": 0, "leads": []}


def test_search_leads_filters_sorts_and_returns_compact_rows(db: str) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    agent = make_member(team, name="Ada Agent")
    make_lead(owner, first_name="Low", status=LeadStatus.QUALIFIED, value=Decimal("100000"))
    high = make_lead(owner, first_name="High", status=LeadStatus.QUALIFIED, value=Decimal("900000"),
                     source=LeadSource.ZILLOW, assigned_to_id=agent.user_id)
    make_lead(owner, first_name="New", status=LeadStatus.NEW, value=Decimal("5000000"))

    result = json.loads(run_tool(owner, "search_leads", statuses=["QUALIFIED"], sort="value", limit=1).content)

    assert result["total"] == 2
    assert result["leads"] == [{"id": high.id, "name": "High Buyer", "status": "QUALIFIED", "source": "ZILLOW",
                                "score": high.score, "value_usd": "900000.00", "assignee": "Ada Agent"}]


def test_search_leads_refuses_more_than_25_results_readably(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)

    result = run_tool(owner, "search_leads", limit=500)

    assert result.status == "error"
    assert "limit" in result.content and "25" in result.content


def test_create_lead_creates_it_in_the_actors_team(db: str) -> None:
    team, other_team = make_team(), make_team()
    me = make_member(team)
    outsider = make_member(other_team, TeamRole.OWNER)

    result = run_tool(me, "create_lead", first_name="Dana", last_name="Lee", email="Dana@Example.com",
                      source="ZILLOW", value=450000)

    created = json.loads(result.content)
    assert result.status == "success" and created["created"] is True
    page = leads.list_leads(me, LeadFilter())
    assert [(lead.id, lead.full_name, lead.email, lead.source) for lead in page.items] == [
        (created["id"], "Dana Lee", "dana@example.com", LeadSource.ZILLOW)]
    assert page.items[0].assigned_to is not None and page.items[0].assigned_to.id == me.user_id
    assert page.items[0].value == Decimal("450000")
    assert leads.list_leads(outsider, LeadFilter()).total == 0


def test_create_lead_fills_the_teams_custom_fields_and_names_a_missing_required_one(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    custom_fields.create_definition(owner, CustomFieldCreate(label="Budget", field_type=CustomFieldType.NUMBER,
                                                             required=True))

    missing = run_tool(owner, "create_lead", first_name="Ana", email="ana@example.com")
    assert missing.status == "error" and "Budget" in missing.content and "required" in missing.content
    assert leads.list_leads(owner, LeadFilter()).total == 0

    created = json.loads(run_tool(owner, "create_lead", first_name="Ana", email="ana@example.com",
                                  custom_fields={"budget": 450000}).content)
    shown = json.loads(run_tool(owner, "get_lead", lead_id=created["id"]).content)
    assert shown["custom_fields"] == {"budget": 450000}


def test_create_lead_with_an_invalid_email_tells_the_model_and_creates_nothing(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)

    result = run_tool(owner, "create_lead", first_name="Bad", email="not-an-email")

    assert result.status == "error"
    assert result.content.startswith("Could not create the lead: email:")
    assert "not a valid email address" in result.content
    assert "Traceback" not in result.content and "pydantic" not in result.content
    assert leads.list_leads(owner, LeadFilter()).total == 0


def test_create_lead_without_email_or_phone_and_duplicates_are_readable_errors(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    make_lead(owner, email="taken@buyer.com")

    unreachable = run_tool(owner, "create_lead", first_name="Ghost")
    duplicate = run_tool(owner, "create_lead", first_name="Again", email="taken@buyer.com")

    assert unreachable.content == "Could not create the lead: a lead needs an email or a phone number"
    assert duplicate.content == ("Could not create the lead: "
                                 "A lead with email taken@buyer.com already exists in this team.")
    assert leads.list_leads(owner, LeadFilter()).total == 1


def test_create_lead_cannot_assign_to_someone_outside_the_team(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    outsider = make_member(make_team(), TeamRole.OWNER)

    result = run_tool(owner, "create_lead", first_name="X", email="x@y.com", assigned_to_id=outsider.user_id)

    assert result.status == "error" and "not a member of this team" in result.content
    assert leads.list_leads(owner, LeadFilter()).total == 0


def test_get_lead_returns_details_and_the_ten_latest_timeline_entries(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER, name="Olive Owner")
    lead = make_lead(owner, first_name="Tim", company="Acme")
    for i in range(12):
        leads.add_note(owner, lead.id, NoteCreate(content=f"note {i} " + "x" * 400))

    detail = json.loads(run_tool(owner, "get_lead", lead_id=lead.id).content)

    assert detail["id"] == lead.id and detail["name"] == "Tim Buyer" and detail["company"] == "Acme"
    assert len(detail["recent_timeline"]) == 10
    assert detail["recent_timeline"][0]["body"].startswith("note 11 ")
    assert len(detail["recent_timeline"][0]["body"]) <= 301  # long notes are clipped
    assert detail["recent_timeline"][0]["by"] == "Olive Owner"


def test_get_lead_of_another_team_answers_not_found(db: str) -> None:
    me = make_member(make_team(), TeamRole.OWNER)
    foreign = make_lead(make_member(make_team(), TeamRole.OWNER), first_name="Secret")

    result = run_tool(me, "get_lead", lead_id=foreign.id)

    assert result.status == "error"
    assert result.content == f"Could not open the lead: Lead {foreign.id} was not found."
    assert "Secret" not in result.content


def test_get_lead_of_a_colleagues_lead_answers_not_found_to_a_member(db: str) -> None:
    team = make_team()
    me, colleague = make_member(team), make_member(team)
    theirs = make_lead(colleague)

    result = run_tool(me, "get_lead", lead_id=theirs.id)

    assert result.content == f"Could not open the lead: Lead {theirs.id} was not found."


def test_pipeline_summary_matches_the_data(db: str) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    make_lead(owner, status=LeadStatus.NEW, value=Decimal("100000.00"))
    make_lead(owner, status=LeadStatus.NEW, value=Decimal("50000.50"))
    make_lead(owner, status=LeadStatus.QUALIFIED, value=None)
    make_lead(owner, status=LeadStatus.WON, value=Decimal("300000.00"))
    make_lead(owner, status=LeadStatus.LOST, value=Decimal("70000.00"))
    make_lead(make_member(make_team(), TeamRole.OWNER), status=LeadStatus.WON, value=Decimal("999.00"))

    summary = json.loads(run_tool(owner, "pipeline_summary").content)

    stages = {s["status"]: (s["count"], s["value_usd"]) for s in summary["stages"]}
    assert stages == {"NEW": (2, "150000.50"), "CONTACTED": (0, "0.00"), "QUALIFIED": (1, "0.00"),
                      "PROPOSAL": (0, "0.00"), "NEGOTIATION": (0, "0.00"), "WON": (1, "300000.00"),
                      "LOST": (1, "70000.00")}
    assert summary["total_leads"] == 5
    assert summary["open_value_usd"] == "150000.50"
    assert summary["won_value_usd"] == "300000.00"
    assert summary["conversion_rate_percent"] == 20.0


def test_pipeline_summary_of_a_member_counts_only_what_they_see(db: str) -> None:
    team = make_team()
    me, colleague = make_member(team), make_member(team)
    make_lead(me, status=LeadStatus.WON, value=Decimal("10.00"))
    make_lead(colleague, status=LeadStatus.WON, value=Decimal("20.00"))

    summary = json.loads(run_tool(me, "pipeline_summary").content)

    assert summary["total_leads"] == 1 and summary["won_value_usd"] == "10.00"


def test_no_tool_schema_lets_the_model_choose_who_it_acts_for() -> None:
    for t in TOOLS:
        schema = json.dumps(t.tool_call_schema.model_json_schema()).lower()
        for leaked in ("runtime", "actor", "team_id", "user_id", "context"):
            assert leaked not in schema, (t.name, leaked)
        assert t.description and "Args:" not in t.description


def test_the_schemas_bound_to_the_model_carry_no_runtime_or_actor(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    model = scripted(say("Hi."))

    build_agent(model).invoke({"messages": [{"role": "user", "content": "hi"}]}, context=AgentContext(owner))

    assert sorted(t["function"]["name"] for t in model.bound_tools) == [
        "create_lead", "get_lead", "pipeline_summary", "search_leads"]
    for bound in model.bound_tools:
        params = bound["function"]["parameters"].get("properties", {})
        assert not {"runtime", "actor", "team_id", "user_id"} & set(params), bound
