"""Custom lead fields in the app: Settings section, create form, lead Overview (view and edit)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from crm.enums import CustomFieldType
from crm.schemas.custom_fields import CustomFieldCreate
from crm.schemas.leads import LeadFilter
from crm.services import custom_fields, leads
from tests.ui.conftest import Brokerage, open_page, signed_in_app

T = CustomFieldType


def _define(brokerage: Brokerage) -> None:
    for data in (CustomFieldCreate(label="Max budget", field_type=T.NUMBER, required=True),
                 CustomFieldCreate(label="Preferred areas", field_type=T.MULTI_SELECT,
                                   choices=["Downtown", "Back Bay", "Seaport"]),
                 CustomFieldCreate(label="Pre-approved", field_type=T.BOOLEAN)):
        custom_fields.create_definition(brokerage.owner, data)


def _button(at: AppTest, label: str):  # noqa: ANN202 - AppTest's Button type is internal
    return next(b for b in at.button if b.label == label)


def test_a_defined_field_is_in_the_create_form_and_the_lead_shows_its_value(brokerage: Brokerage) -> None:
    _define(brokerage)
    at = open_page(signed_in_app(brokerage.owner), "pages/leads.py")
    assert not at.exception, [e.message for e in at.exception]
    assert at.number_input(key="leads_new_cf_max_budget").label == "Max budget *"
    at.text_input(key="leads_new_first_name").input("Nora")
    at.text_input(key="leads_new_email").input("nora@buyers.com")
    at = _button(at, "Create lead").click().run()
    # Required and missing: refused with the field's name, nothing saved.
    assert "Max budget is required." in " ".join(e.value for e in at.error)
    at.number_input(key="leads_new_cf_max_budget").set_value(650000)
    at.multiselect(key="leads_new_cf_preferred_areas").set_value(["Seaport", "Downtown"])
    at.selectbox(key="leads_new_cf_pre_approved").set_value(True)
    at = _button(at, "Create lead").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    created = next(x for x in leads.list_leads(brokerage.owner, LeadFilter()).items if x.email == "nora@buyers.com")
    detail = leads.get_lead(brokerage.owner, created.id)
    assert detail.custom_fields == {"max_budget": 650000, "preferred_areas": ["Downtown", "Seaport"],
                                    "pre_approved": True}

    at.session_state["lead_detail_id"] = created.id
    at.switch_page("pages/lead_detail.py").run()
    assert not at.exception
    overview = "\n".join(m.value for m in at.markdown)
    assert "**Max budget:** 650,000" in overview
    assert "**Preferred areas:** Downtown; Seaport" in overview
    assert "approved:** Yes" in overview  # the label is markdown-escaped ("Pre\\-approved")
    # Edit on the Overview: only the changed custom field is sent.
    at.multiselect(key="lead_detail_edit_cf_preferred_areas").set_value(["Back Bay"])
    at = _button(at, "Save changes").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert leads.get_lead(brokerage.owner, created.id).custom_fields == {
        "max_budget": 650000, "preferred_areas": ["Back Bay"], "pre_approved": True}


def test_settings_section_adds_and_deletes_fields_for_owners_and_is_read_only_for_agents(
        brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.owner), "pages/settings.py")
    assert "Custom fields" in [t.label for t in at.tabs]
    at.text_input(key="settings_cf_add_label").input("Move-in by")
    at.selectbox(key="settings_cf_add_type").set_value(T.DATE)
    at = _button(at, "Add field").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [(d.key, d.field_type) for d in custom_fields.list_definitions(brokerage.owner)] == [("move_in_by", T.DATE)]
    at.text_input(key="settings_cf_add_label").input("Financing")
    at.selectbox(key="settings_cf_add_type").set_value(T.SELECT)
    at = _button(at, "Add field").click().run()
    assert "at least one choice" in " ".join(e.value for e in at.error)
    field = custom_fields.list_definitions(brokerage.owner)[0]
    at = at.button(key=f"settings_cf_{field.id}_delete").click().run()
    at = _button(at, "Delete for good").click().run()
    assert not at.exception
    assert custom_fields.list_definitions(brokerage.owner) == []

    _define(brokerage)
    agent_view = open_page(signed_in_app(brokerage.agent), "pages/settings.py")
    assert not agent_view.exception
    assert not [b for b in agent_view.button if b.label in ("Add field", "Delete…")]
    assert "Team owners and admins can change them." in " ".join(c.value for c in agent_view.caption)


def test_without_custom_fields_the_create_form_has_no_extra_inputs(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.agent), "pages/leads.py")
    assert not at.exception
    assert not [w for w in at.number_input if str(w.key).startswith("leads_new_cf_")]
