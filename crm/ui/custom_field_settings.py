"""The "Custom fields" section of Settings: every member sees the team's fields, MANAGE_TEAM edits them."""

from __future__ import annotations

import streamlit as st

from crm.enums import CustomFieldType
from crm.schemas.common import Actor
from crm.schemas.custom_fields import CHOICE_TYPES, CustomFieldCreate, CustomFieldOrder, CustomFieldUpdate
from crm.services import custom_fields
from crm.services.custom_fields import FieldDefinition
from crm.services.permissions import Action, can
from crm.ui.account import notice
from crm.ui.custom_field_inputs import forget_definitions
from crm.ui.errors import attempt
from crm.ui.format import md_escape

TYPE_LABELS = {
    CustomFieldType.TEXT: "Text", CustomFieldType.NUMBER: "Number", CustomFieldType.DATE: "Date",
    CustomFieldType.SELECT: "Select (one choice)", CustomFieldType.MULTI_SELECT: "Multi-select",
    CustomFieldType.BOOLEAN: "Yes / no",
}
CONFIRM_KEY = "settings_cf_confirm_delete"  # id of the field whose deletion awaits confirmation


def custom_fields_section(actor: Actor) -> None:
    st.subheader("Custom lead fields")
    fields = attempt(lambda: custom_fields.list_definitions(actor))
    if fields is None:
        return
    manager = can(actor, Action.MANAGE_TEAM)
    st.caption("Your team's own lead fields, shown in lead forms, filters, import and export."
               + ("" if manager else " Team owners and admins can change them."))
    if fields:
        st.dataframe(
            [{"Label": f.label, "Key": f.key, "Type": TYPE_LABELS[f.field_type], "Required": f.required,
              "Choices": "; ".join(f.choices)} for f in fields],
            hide_index=True, width="stretch",
        )
    else:
        st.info("No custom fields yet.", icon=":material/dataset:")
    if not manager:
        return
    for n, field in enumerate(fields):
        _edit_field(actor, field, fields, n)
    _add_field(actor)


def _add_field(actor: Actor) -> None:
    with st.expander("Add a field", icon=":material/add:"), st.form("settings_cf_add_form", clear_on_submit=True):
        label = st.text_input("Label", max_chars=100, key="settings_cf_add_label")
        field_type = st.selectbox("Type", list(CustomFieldType), format_func=TYPE_LABELS.__getitem__,
                                  key="settings_cf_add_type")
        required = st.checkbox("Required on every lead", key="settings_cf_add_required")
        choices = st.text_area("Choices (select and multi-select: one per line)", key="settings_cf_add_choices")
        added = st.form_submit_button("Add field", type="primary", icon=":material/add:")
    if added:
        created = attempt(lambda: custom_fields.create_definition(actor, CustomFieldCreate(
            label=label, field_type=field_type, required=required,
            choices=_lines(choices) if field_type in CHOICE_TYPES else [])))
        if created is not None:
            _changed(f"Added the field {created.label}.")


def _edit_field(actor: Actor, field: FieldDefinition, fields: list[FieldDefinition], n: int) -> None:
    prefix = f"settings_cf_{field.id}"
    with st.expander(f"{field.label} · {TYPE_LABELS[field.field_type]}", icon=":material/edit:"):
        with st.form(f"{prefix}_form"):
            label = st.text_input("Label", value=field.label, max_chars=100, key=f"{prefix}_label")
            required = st.checkbox("Required on every lead", value=field.required, key=f"{prefix}_required")
            choices = (st.text_area("Choices (one per line)", value="\n".join(field.choices), key=f"{prefix}_choices")
                       if field.field_type in CHOICE_TYPES else None)
            saved = st.form_submit_button("Save", type="primary", icon=":material/save:")
        if saved and _valid_label(label) and attempt(lambda: custom_fields.update_definition(
                actor, field.id, CustomFieldUpdate(label=label, required=required,
                                                   choices=_lines(choices) if choices is not None else None))):
            _changed(f"Saved {label}.")
        st.caption(f"Key `{field.key}` and type are fixed once created.")
        up, delete = st.columns(2)
        if n > 0 and up.button("Move up", key=f"{prefix}_up", icon=":material/arrow_upward:"):
            order = [f.id for f in fields]
            order[n - 1], order[n] = order[n], order[n - 1]
            if attempt(lambda: custom_fields.reorder_definitions(actor, CustomFieldOrder(ids=order))):
                _changed(f"Moved {field.label} up.")
        if st.session_state.get(CONFIRM_KEY) == field.id:
            st.warning(f"Delete **{md_escape(field.label)}** and remove its value from every lead of the team? "
                       "This cannot be undone.", icon=":material/warning:")
            yes, no = st.columns(2)
            if yes.button("Delete for good", key=f"{prefix}_delete_yes", type="primary"):
                st.session_state.pop(CONFIRM_KEY, None)
                stripped = attempt(lambda: custom_fields.delete_definition(actor, field.id))
                if stripped is not None:
                    _changed(f"Deleted {field.label} (removed from {stripped} lead{'s' if stripped != 1 else ''}).")
            if no.button("Keep it", key=f"{prefix}_delete_no"):
                st.session_state.pop(CONFIRM_KEY, None)
                st.rerun()
        elif delete.button("Delete…", key=f"{prefix}_delete", icon=":material/delete:"):
            st.session_state[CONFIRM_KEY] = field.id
            st.rerun()


def _valid_label(label: str) -> bool:
    if label.strip():
        return True
    st.error("Give the field a label.", icon=":material/error:")
    return False


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _changed(message: str) -> None:
    forget_definitions()
    notice("success", message)
    st.rerun()
