"""Custom lead fields: definitions, validation of every type on every write, filters, on both databases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from crm.db import transaction
from crm.enums import CustomFieldType, TeamRole
from crm.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from crm.orm import AuditLog, DomainEvent, Lead
from crm.schemas.common import Actor
from crm.schemas.custom_fields import CustomFieldCreate, CustomFieldOrder, CustomFieldUpdate
from crm.schemas.leads import CustomFieldFilter, LeadFilter, LeadUpdate
from crm.services import custom_fields, leads
from crm.services.custom_fields import FieldDefinition, clean_values
from tests.factories import make_lead, make_member, make_team

T = CustomFieldType


def _define(actor: Actor, label: str, field_type: CustomFieldType, **extra: Any) -> FieldDefinition:
    return custom_fields.create_definition(actor, CustomFieldCreate(label=label, field_type=field_type, **extra))


def _owner() -> Actor:
    return make_member(make_team(), TeamRole.OWNER)


def _standard_fields(owner: Actor) -> dict[str, FieldDefinition]:
    return {
        "notes": _define(owner, "Lender notes", T.TEXT),
        "budget": _define(owner, "Max budget", T.NUMBER),
        "move": _define(owner, "Move-in by", T.DATE),
        "financing": _define(owner, "Financing", T.SELECT, choices=["Cash", "Mortgage", "FHA"]),
        "areas": _define(owner, "Preferred areas", T.MULTI_SELECT, choices=["Downtown", "Midtown", "Uptown"]),
        "approved": _define(owner, "Pre-approved", T.BOOLEAN),
    }


# --- values: one definition per type, valid and invalid input ------------------------------------

def _d(field_type: CustomFieldType, *, required: bool = False, choices: tuple[str, ...] = ()) -> FieldDefinition:
    return FieldDefinition(id=1, key="f", label="Field", field_type=field_type, required=required, choices=choices)


CHOICES = ("Cash", "Mortgage", "FHA")


@pytest.mark.parametrize(("field_type", "given", "stored"), [
    (T.TEXT, "  needs a garden ", "needs a garden"),
    (T.NUMBER, 1200, 1200),
    (T.NUMBER, 1200.0, 1200),
    (T.NUMBER, 1200.5, 1200.5),
    (T.DATE, "2027-03-15", "2027-03-15"),
    (T.DATE, dt.date(2027, 3, 15), "2027-03-15"),
    (T.SELECT, "mortgage", "Mortgage"),
    (T.MULTI_SELECT, ["FHA", "cash", "Cash"], ["Cash", "FHA"]),
    (T.BOOLEAN, False, False),
    (T.BOOLEAN, True, True),
])
def test_valid_values_are_stored_in_normal_form(field_type: CustomFieldType, given: Any, stored: Any) -> None:
    assert clean_values([_d(field_type, choices=CHOICES)], {"f": given}, creating=True) == {"f": stored}


@pytest.mark.parametrize(("field_type", "given"), [
    (T.TEXT, 12),
    (T.TEXT, "x" * 1001),
    (T.NUMBER, "12"),  # strings only from import files (coerce_text)
    (T.NUMBER, True),
    (T.NUMBER, float("nan")),
    (T.NUMBER, float("inf")),
    (T.DATE, "15/03/2027"),
    (T.DATE, "2027-02-30"),
    (T.DATE, 20270315),
    (T.SELECT, "Bitcoin"),
    (T.SELECT, ["Cash"]),
    (T.MULTI_SELECT, ["Cash", "Bitcoin"]),
    (T.MULTI_SELECT, "Cash"),
    (T.BOOLEAN, "yes"),
    (T.BOOLEAN, 1),
])
def test_invalid_values_are_refused_naming_the_field(field_type: CustomFieldType, given: Any) -> None:
    with pytest.raises(ValidationFailed) as err:
        clean_values([_d(field_type, choices=CHOICES)], {"f": given}, creating=True)
    assert err.value.field == "custom_fields.f"
    assert err.value.message.startswith("Field")


@pytest.mark.parametrize(("field_type", "given", "stored"), [
    (T.NUMBER, "$1,200.50", 1200.5),
    (T.NUMBER, "€ 950", 950),
    (T.NUMBER, "-3", -3),
    (T.DATE, "03/15/2027", "2027-03-15"),
    (T.DATE, "2027-03-15 00:00:00", "2027-03-15"),
    (T.DATE, dt.datetime(2027, 3, 15, 9, 30), "2027-03-15"),
    (T.BOOLEAN, "Yes", True),
    (T.BOOLEAN, "n", False),
    (T.BOOLEAN, "0", False),
    (T.MULTI_SELECT, "fha; Cash", ["Cash", "FHA"]),
    (T.MULTI_SELECT, "Mortgage, cash", ["Cash", "Mortgage"]),
    (T.TEXT, 42, "42"),
])
def test_import_strings_are_coerced(field_type: CustomFieldType, given: Any, stored: Any) -> None:
    cleaned = clean_values([_d(field_type, choices=CHOICES)], {"f": given}, creating=True, coerce_text=True)
    assert cleaned == {"f": stored}


@pytest.mark.parametrize(("field_type", "given"), [
    (T.NUMBER, "1.2.3"), (T.NUMBER, "12abc"), (T.NUMBER, "1,20"), (T.DATE, "15.03.2027"),
    (T.DATE, "13/13/2027"), (T.BOOLEAN, "maybe"),
])
def test_unreadable_import_strings_are_refused(field_type: CustomFieldType, given: Any) -> None:
    with pytest.raises(ValidationFailed):
        clean_values([_d(field_type)], {"f": given}, creating=True, coerce_text=True)


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(ValidationFailed) as err:
        clean_values([_d(T.TEXT)], {"nope": "x"}, creating=True)
    assert err.value.field == "custom_fields.nope"


def test_required_fields_must_be_given_on_create_and_stay_set_on_update() -> None:
    required = [_d(T.TEXT, required=True)]
    for missing in ({}, {"f": ""}, {"f": "   "}, {"f": None}):
        with pytest.raises(ValidationFailed, match="required"):
            clean_values(required, missing, creating=True)
    with pytest.raises(ValidationFailed, match="cannot be cleared"):
        clean_values(required, {"f": None}, existing={"f": "x"}, creating=False)
    # An update that leaves the field alone is fine, even for a lead from before the field existed.
    assert clean_values(required, {}, existing={}, creating=False) == {}
    assert clean_values([_d(T.BOOLEAN, required=True)], {"f": False}, creating=True) == {"f": False}


def test_update_merges_sets_and_clears() -> None:
    defs = [_d(T.TEXT), FieldDefinition(id=2, key="g", label="G", field_type=T.NUMBER)]
    merged = clean_values(defs, {"f": None, "g": 3}, existing={"f": "old", "gone": 1}, creating=False)
    assert merged == {"g": 3}


# --- definitions -------------------------------------------------------------------------------

def test_definitions_are_created_listed_edited_and_ordered(db: str) -> None:
    owner = _owner()
    member = make_member(owner.team_id, TeamRole.MEMBER)
    budget = _define(owner, "Max budget", T.NUMBER, required=True)
    areas = _define(owner, "Preferred areas", T.MULTI_SELECT, choices=["Downtown", "Midtown"])
    assert (budget.key, areas.key) == ("max_budget", "preferred_areas")
    assert [d.key for d in custom_fields.list_definitions(member)] == ["max_budget", "preferred_areas"]
    edited = custom_fields.update_definition(owner, areas.id, CustomFieldUpdate(
        label="Areas", required=True, choices=["Downtown", "Midtown", "Uptown"]))
    assert (edited.label, edited.required, edited.choices) == ("Areas", True, ("Downtown", "Midtown", "Uptown"))
    custom_fields.reorder_definitions(owner, CustomFieldOrder(ids=[areas.id, budget.id]))
    assert [d.key for d in custom_fields.list_definitions(owner)] == ["preferred_areas", "max_budget"]
    with pytest.raises(ValidationFailed):
        custom_fields.reorder_definitions(owner, CustomFieldOrder(ids=[areas.id]))
    with transaction() as session:
        actions = session.scalars(select(AuditLog.action).where(AuditLog.team_id == owner.team_id)).all()
        events = session.scalars(select(DomainEvent.type).where(DomainEvent.team_id == owner.team_id)).all()
    assert {"custom_field.create", "custom_field.update", "custom_field.reorder"} <= set(actions)
    assert {"custom_field.created", "custom_field.updated"} <= set(events)


def test_keys_are_unique_per_team_and_key_and_type_cannot_change(db: str) -> None:
    owner, other = _owner(), _owner()
    _define(owner, "Max budget", T.NUMBER)
    with pytest.raises(Conflict):
        _define(owner, "Max  Budget!", T.TEXT)
    _define(other, "Max budget", T.NUMBER)  # another team may use the same key
    assert _define(owner, "Budget", T.NUMBER, key="budget_2").key == "budget_2"
    with pytest.raises(ValidationError):
        CustomFieldUpdate.model_validate({"key": "other"})
    with pytest.raises(ValidationError):
        CustomFieldUpdate.model_validate({"field_type": "TEXT"})


def test_choices_must_fit_the_type(db: str) -> None:
    with pytest.raises(ValidationError):
        CustomFieldCreate(label="Financing", field_type=T.SELECT)
    with pytest.raises(ValidationError):
        CustomFieldCreate(label="Financing", field_type=T.SELECT, choices=["Cash", "cash"])
    with pytest.raises(ValidationError):
        CustomFieldCreate(label="Notes", field_type=T.TEXT, choices=["a"])
    with pytest.raises(ValidationError):
        CustomFieldCreate(label="Many", field_type=T.SELECT, choices=[f"c{i}" for i in range(101)])
    owner = _owner()
    notes = _define(owner, "Notes", T.TEXT)
    with pytest.raises(ValidationFailed):
        custom_fields.update_definition(owner, notes.id, CustomFieldUpdate(choices=["a"]))


def test_only_managers_of_the_team_manage_definitions(db: str) -> None:
    owner = _owner()
    field = _define(owner, "Max budget", T.NUMBER)
    for role in (TeamRole.MEMBER, TeamRole.MANAGER):
        actor = make_member(owner.team_id, role)
        with pytest.raises(PermissionDenied):
            _define(actor, "Other", T.TEXT)
        with pytest.raises(PermissionDenied):
            custom_fields.update_definition(actor, field.id, CustomFieldUpdate(label="x"))
        with pytest.raises(PermissionDenied):
            custom_fields.delete_definition(actor, field.id)
    stranger = _owner()
    with pytest.raises(NotFound):
        custom_fields.update_definition(stranger, field.id, CustomFieldUpdate(label="x"))
    with pytest.raises(NotFound):
        custom_fields.delete_definition(stranger, field.id)
    assert custom_fields.list_definitions(stranger) == []


def test_a_choice_in_use_cannot_be_removed(db: str) -> None:
    owner = _owner()
    f = _standard_fields(owner)
    make_lead(owner, custom_fields={"financing": "FHA", "preferred_areas": ["Uptown"]})
    make_lead(owner, custom_fields={"financing": "FHA"})
    with pytest.raises(Conflict, match="2 leads still use 'FHA'"):
        custom_fields.update_definition(owner, f["financing"].id, CustomFieldUpdate(choices=["Cash", "Mortgage"]))
    with pytest.raises(Conflict, match="1 lead still uses 'Uptown'"):
        custom_fields.update_definition(owner, f["areas"].id, CustomFieldUpdate(choices=["Downtown"]))
    # Unused choices go; another team's use of the same key does not count.
    other = _owner()
    _define(other, "Financing", T.SELECT, choices=["Cash"])
    make_lead(other, custom_fields={"financing": "Cash"})
    updated = custom_fields.update_definition(owner, f["financing"].id, CustomFieldUpdate(choices=["FHA"]))
    assert updated.choices == ("FHA",)


def test_deleting_a_definition_strips_its_values_from_every_lead_of_the_team(db: str) -> None:
    owner, other = _owner(), _owner()
    budget = _define(owner, "Max budget", T.NUMBER)
    _define(owner, "Pre-approved", T.BOOLEAN)
    _define(other, "Max budget", T.NUMBER)
    a = make_lead(owner, custom_fields={"max_budget": 500000, "pre_approved": True})
    b = make_lead(owner, custom_fields={"max_budget": 1})
    c = make_lead(owner)
    theirs = make_lead(other, custom_fields={"max_budget": 7})
    assert custom_fields.delete_definition(owner, budget.id) == 2
    assert leads.get_lead(owner, a.id).custom_fields == {"pre_approved": True}
    assert leads.get_lead(owner, b.id).custom_fields == {}
    assert leads.get_lead(owner, c.id).custom_fields == {}
    assert leads.get_lead(other, theirs.id).custom_fields == {"max_budget": 7}
    assert [d.key for d in custom_fields.list_definitions(owner)] == ["pre_approved"]
    with pytest.raises(ValidationFailed):
        leads.update_lead(owner, a.id, LeadUpdate(custom_fields={"max_budget": 3}))


# --- leads: writes go through validation -------------------------------------------------------

def test_leads_store_validated_values_and_merge_updates(db: str) -> None:
    owner = _owner()
    _standard_fields(owner)
    lead = make_lead(owner, custom_fields={"max_budget": 650000.0, "financing": "cash",
                                           "preferred_areas": ["Uptown", "Downtown"], "pre_approved": False})
    assert lead.custom_fields == {"max_budget": 650000, "financing": "Cash",
                                  "preferred_areas": ["Downtown", "Uptown"], "pre_approved": False}
    updated = leads.update_lead(owner, lead.id, LeadUpdate(custom_fields={"financing": None, "move_in_by": "2027-06-01"}))
    assert updated.custom_fields == {"max_budget": 650000, "preferred_areas": ["Downtown", "Uptown"],
                                     "pre_approved": False, "move_in_by": "2027-06-01"}
    with transaction() as session:
        audit = session.scalars(select(AuditLog.changes).where(
            AuditLog.action == "lead.update", AuditLog.resource_id == str(lead.id))).one()
    assert audit == {"custom_fields.financing": {"from": "Cash", "to": None},
                     "custom_fields.move_in_by": {"from": None, "to": "2027-06-01"}}
    with pytest.raises(ValidationFailed) as err:
        leads.update_lead(owner, lead.id, LeadUpdate(custom_fields={"max_budget": "lots"}))
    assert err.value.field == "custom_fields.max_budget"


def test_required_fields_on_lead_create_and_update(db: str) -> None:
    owner = _owner()
    _define(owner, "Max budget", T.NUMBER, required=True)
    with pytest.raises(ValidationFailed, match="Max budget is required"):
        make_lead(owner)
    lead = make_lead(owner, custom_fields={"max_budget": 10})
    with pytest.raises(ValidationFailed, match="cannot be cleared"):
        leads.update_lead(owner, lead.id, LeadUpdate(custom_fields={"max_budget": None}))
    assert leads.update_lead(owner, lead.id, LeadUpdate(city="Austin")).custom_fields == {"max_budget": 10}
    with transaction() as session:
        assert session.scalar(select(Lead.custom_fields).where(Lead.id == lead.id)) == {"max_budget": 10}


def test_values_of_another_teams_fields_are_refused(db: str) -> None:
    owner, other = _owner(), _owner()
    _define(other, "Max budget", T.NUMBER)
    with pytest.raises(ValidationFailed, match="Unknown custom field"):
        make_lead(owner, custom_fields={"max_budget": 1})


# --- filters ------------------------------------------------------------------------------------

def _ids(actor: Actor, *conditions: CustomFieldFilter) -> set[int]:
    page = leads.list_leads(actor, LeadFilter(custom=list(conditions), page_size=200))
    return {item.id for item in page.items}


def _c(key: str, op: str, value: Any = None) -> CustomFieldFilter:
    return CustomFieldFilter(key=key, op=op, value=value)  # type: ignore[arg-type]


def test_filters_select_the_right_leads_for_every_type_and_operator(db: str) -> None:
    owner = _owner()
    _standard_fields(owner)
    a = make_lead(owner, custom_fields={"lender_notes": "Wants a GARDEN flat", "max_budget": 450000,
                                        "move_in_by": "2027-03-15", "financing": "Cash",
                                        "preferred_areas": ["Downtown", "Midtown"], "pre_approved": True}).id
    b = make_lead(owner, custom_fields={"lender_notes": "no garden", "max_budget": 899999.5,
                                        "move_in_by": "2027-09-01", "financing": "FHA",
                                        "preferred_areas": ["Uptown"], "pre_approved": False}).id
    c = make_lead(owner, custom_fields={"lender_notes": "100% financed_", "max_budget": 80}).id
    d = make_lead(owner).id
    # Another team's lead with the same keys never shows up.
    other = _owner()
    _standard_fields(other)
    make_lead(other, custom_fields={"lender_notes": "garden", "max_budget": 450000, "financing": "Cash",
                                    "pre_approved": True, "preferred_areas": ["Downtown"]})

    assert _ids(owner, _c("lender_notes", "contains", "garden")) == {a, b}
    assert _ids(owner, _c("lender_notes", "contains", "% fin")) == {c}
    assert _ids(owner, _c("lender_notes", "contains", "d_")) == {c}
    assert _ids(owner, _c("lender_notes", "eq", "no GARDEN")) == {b}
    assert _ids(owner, _c("max_budget", "gte", 450000)) == {a, b}
    assert _ids(owner, _c("max_budget", "lte", 450000)) == {a, c}
    assert _ids(owner, _c("max_budget", "gte", 100), _c("max_budget", "lte", 899999.5)) == {a, b}
    assert _ids(owner, _c("max_budget", "eq", 80)) == {c}
    assert _ids(owner, _c("move_in_by", "gte", dt.date(2027, 3, 16))) == {b}
    assert _ids(owner, _c("move_in_by", "lte", "2027-03-15")) == {a}
    assert _ids(owner, _c("move_in_by", "eq", dt.date(2027, 9, 1))) == {b}
    assert _ids(owner, _c("financing", "eq", "cash")) == {a}
    assert _ids(owner, _c("financing", "any_of", ["Cash", "FHA"])) == {a, b}
    assert _ids(owner, _c("preferred_areas", "any_of", ["Midtown", "Uptown"])) == {a, b}
    assert _ids(owner, _c("preferred_areas", "any_of", ["Uptown"])) == {b}
    assert _ids(owner, _c("pre_approved", "eq", True)) == {a}
    assert _ids(owner, _c("pre_approved", "eq", False)) == {b}
    assert _ids(owner, _c("pre_approved", "is_set")) == {a, b}
    assert _ids(owner, _c("pre_approved", "is_empty")) == {c, d}
    assert _ids(owner, _c("max_budget", "is_empty")) == {d}
    assert _ids(owner, _c("financing", "is_set"), _c("max_budget", "gte", 500000)) == {b}


def test_filters_on_unknown_keys_or_unfit_operators_are_refused(db: str) -> None:
    owner = _owner()
    _standard_fields(owner)
    for condition in (_c("nope", "eq", "x"), _c("financing", "gte", 3), _c("max_budget", "contains", "1"),
                      _c("lender_notes", "any_of", ["x"]), _c("pre_approved", "lte", True),
                      _c("preferred_areas", "eq", "Downtown"), _c("max_budget", "gte", "lots"),
                      _c("move_in_by", "lte", 5), _c("pre_approved", "eq", "yes")):
        with pytest.raises(ValidationFailed):
            _ids(owner, condition)


def test_a_lead_without_values_stores_sql_null(db: str) -> None:
    owner = _owner()
    _define(owner, "Max budget", T.NUMBER)
    empty, full = make_lead(owner), make_lead(owner, custom_fields={"max_budget": 5})
    leads.update_lead(owner, full.id, LeadUpdate(custom_fields={"max_budget": None}))
    with transaction() as session:
        stored = session.scalars(select(Lead.id).where(Lead.custom_fields.is_(None))).all()
    assert sorted(stored) == sorted([empty.id, full.id])
    assert leads.get_lead(owner, full.id).custom_fields == {}
