"""Duplicates: groups of leads that look like the same person, and merging two of them after a
side-by-side comparison (pick the surviving value of every field that differs) — or marking them
"not duplicates", so that they are not suggested again (with an undo, and the list of such marks
for managers)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from crm.schemas.duplicates import (
    REASON_LABELS,
    DismissDuplicates,
    DuplicateGroup,
    DuplicateLead,
    DuplicateQuery,
    DuplicateReason,
    MergePreview,
    MergeRequest,
)
from crm.services import duplicate_dismissals, duplicates, lead_merge, leads
from crm.services.permissions import Action, can
from crm.ui import cached, session
from crm.ui.errors import attempt
from crm.ui.format import enum_label, md_escape, money, relative_time

PAGE_SIZE = 20
PAIR_KEY = "duplicates_pair"  # (survivor id, merged id)
CANDIDATES_KEY = "duplicates_candidates"  # the leads the pair is picked from
CURSORS_KEY = "duplicates_cursors"  # cursors of the pages before the one shown
NOTICE_KEY = "duplicates_notice"  # (message, survivor id, survivor name) after a merge
DISMISSED_KEY = "duplicates_dismissed"  # (message, lead ids) after "Not duplicates", for its undo
RESTORED_KEY = "duplicates_restored"  # message after an undo or a restore
REASON_COLORS = {DuplicateReason.EMAIL: "blue", DuplicateReason.PHONE: "green",
                 DuplicateReason.NAME_COMPANY: "orange", DuplicateReason.NAME_PHONE: "violet"}

actor = session.require_actor()


def label(lead: DuplicateLead) -> str:
    return f"{lead.full_name or 'Unnamed'} (#{lead.id})"


def reason_badges(reasons: list[DuplicateReason]) -> None:
    for reason in reasons:
        st.badge(REASON_LABELS[reason], color=REASON_COLORS[reason])


def compare(candidates: list[DuplicateLead], survivor_id: int, merged_id: int) -> None:
    """Open the comparison of two leads (the older one kept by default)."""
    for key in [k for k in st.session_state if str(k).startswith("duplicates_choice_")]:
        del st.session_state[key]
    st.session_state[CANDIDATES_KEY] = [lead.model_dump(mode="json") for lead in candidates]
    st.session_state[PAIR_KEY] = (survivor_id, merged_id)
    st.session_state["duplicates_keep"] = survivor_id
    st.session_state["duplicates_merge"] = merged_id


def close_comparison() -> None:
    for key in (PAIR_KEY, CANDIDATES_KEY, "duplicates_keep", "duplicates_merge"):
        st.session_state.pop(key, None)


def not_duplicates(lead_ids: list[int]) -> None:
    """Mark the leads as different people, then offer to undo it."""
    request = attempt(lambda: DismissDuplicates(lead_ids=lead_ids))
    if request is None or attempt(lambda: duplicate_dismissals.dismiss_duplicates(actor, request)) is None:
        return
    if set(st.session_state.get(PAIR_KEY) or ()) <= set(request.lead_ids):
        close_comparison()  # that comparison is settled
    st.session_state[DISMISSED_KEY] = (f"Marked {len(request.lead_ids)} leads as not duplicates: they will "
                                       "not be suggested together again.", request.lead_ids)
    st.rerun()


def restore(lead_ids: list[int], message: str) -> None:
    """Undo "not duplicates" (also the Undo button's on_click): they may be suggested together again."""
    request = attempt(lambda: DismissDuplicates(lead_ids=lead_ids))
    if request is not None and attempt(lambda: duplicate_dismissals.restore_duplicates(actor, request)) is not None:
        st.session_state[RESTORED_KEY] = message


def dismissed_notice() -> None:
    """Once, after "Not duplicates": what happened, and an Undo (its on_click runs on the next
    run, even though the notice is gone by then)."""
    if restored := st.session_state.pop(RESTORED_KEY, None):
        st.toast(restored, icon=":material/undo:")
        st.info(restored, icon=":material/undo:")
    if not (dismissed := st.session_state.pop(DISMISSED_KEY, None)):
        return
    message, lead_ids = dismissed
    st.toast(message, icon=":material/check_circle:")
    text, undo = st.columns([5, 1], vertical_alignment="center")
    text.success(message, icon=":material/check_circle:")
    undo.button("Undo", key="duplicates_undo", icon=":material/undo:", on_click=restore,
                args=(lead_ids, "Undone: those leads may be suggested together again."))


def dismissed_list() -> None:
    """Managers: the pairs marked "not duplicates", newest first, each with a Restore."""
    if not can(actor, Action.VIEW_ALL_TEAM_DATA):
        return
    with st.expander("Marked as not duplicates", icon=":material/do_not_disturb_on:"):
        page = attempt(lambda: duplicate_dismissals.list_dismissals(actor, limit=PAGE_SIZE))
        if page is None:
            return
        if not page.items:
            st.caption("Nothing yet: \"Not duplicates\" on a group puts its pairs here.")
        for pair in page.items:
            names, by, button = st.columns([4, 2, 1], vertical_alignment="center")
            names.markdown(" · ".join(f"**{md_escape(label(lead))}**" for lead in pair.leads))
            by.caption(f"{pair.dismissed_by or 'A former member'}, {relative_time(pair.created_at)}")
            if button.button("Restore", key=f"duplicates_restore_{pair.id}", icon=":material/undo:"):
                restore([lead.id for lead in pair.leads], f"Restored: {' and '.join(label(x) for x in pair.leads)} "
                        "may be suggested together again.")
                st.rerun()
        if page.next_cursor:
            st.caption(f"Showing the latest {len(page.items)}.")


def group_card(group: DuplicateGroup, n: int) -> None:
    with st.container(border=True):
        with st.container(horizontal=True, gap="small"):
            reason_badges(group.reasons)
            more = f" (showing {len(group.leads)})" if group.size > len(group.leads) else ""
            st.caption(f"{group.size} leads{more}")
        for lead in group.leads:
            st.markdown(f"**{md_escape(label(lead))}** · {md_escape(lead.email or '—')} · "
                        f"{md_escape(lead.phone or '—')} · {md_escape(lead.company or '—')} · "
                        f"{enum_label(lead.status)} · added {relative_time(lead.created_at)}")
        oldest = sorted(group.leads, key=lambda lead: (lead.created_at, lead.id))
        with st.container(horizontal=True, gap="small"):
            st.button("Compare and merge", key=f"duplicates_compare_{n}", icon=":material/compare_arrows:",
                      on_click=compare, args=(group.leads, oldest[0].id, oldest[1].id))
            if st.button("Not duplicates", key=f"duplicates_dismiss_{n}", icon=":material/do_not_disturb_on:",
                         help="These are different people: do not suggest them together again."):
                not_duplicates([lead.id for lead in group.leads])


def shown(value: Any, field: str, team: dict[int, str]) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "— (empty)"
    if field == "assigned_to_id":
        return team.get(int(value), "Former member")
    if field == "value":
        return money(value)
    if field in ("status", "source", "lead_type"):
        return enum_label(str(value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def field_choices(preview: MergePreview, team: dict[int, str]) -> dict[str, str]:
    survivor, merged = preview.survivor.id, preview.merged.id
    differing = [f for f in preview.fields if f.differs]
    choices: dict[str, str] = {}
    if differing:
        st.markdown("**Pick the value to keep for each field that differs**")
    for f in differing:
        choices[f.field] = st.radio(
            f.label, ["survivor", "merged"], index=0 if f.default == "survivor" else 1, horizontal=True,
            key=f"duplicates_choice_{survivor}_{merged}_{f.field}",
            format_func=lambda side, f=f: shown(f.survivor_value if side == "survivor" else f.merged_value,
                                                f.field, team))
    same = [f for f in preview.fields if not f.differs and f.survivor_value not in (None, "", [], {})]
    with st.expander(f"{len(same)} fields are the same on both", icon=":material/check:"):
        for f in same:
            st.markdown(f"{f.label}: {md_escape(shown(f.survivor_value, f.field, team))}")
    return choices


def moving_summary(preview: MergePreview) -> None:
    st.markdown("**What moves to the lead you keep**")
    if not preview.moving:
        st.caption("Nothing but the values you picked: the other lead has no history.")
    for kind, n in preview.moving.items():
        st.markdown(f"- {kind}: {n}")
    st.caption("Tags and property interests are united; history (activities, notes, tasks, messages…) moves over.")


def merge_panel(candidates: list[DuplicateLead]) -> None:
    by_id = {lead.id: lead for lead in candidates}
    ids = list(by_id)
    st.subheader("Compare and merge")
    keep, drop, close = st.columns([3, 3, 1], vertical_alignment="bottom")
    survivor_id = keep.selectbox("Keep", ids, format_func=lambda i: label(by_id[i]), key="duplicates_keep")
    others = [i for i in ids if i != survivor_id]
    if st.session_state.get("duplicates_merge") not in others:
        st.session_state["duplicates_merge"] = others[0]
    merged_id = drop.selectbox("Merge into it (then delete)", others, format_func=lambda i: label(by_id[i]),
                               key="duplicates_merge")
    close.button("Close", key="duplicates_close", on_click=close_comparison, icon=":material/close:")
    if st.button("Not duplicates", key="duplicates_dismiss_pair", icon=":material/do_not_disturb_on:",
                 help="These two are different people: do not suggest them together again."):
        not_duplicates([survivor_id, merged_id])
    preview = attempt(lambda: lead_merge.merge_preview(actor, survivor_id, merged_id))
    if preview is None:
        return
    team = {user.id: user.name for user in cached.assignees(actor)}
    choices = field_choices(preview, team)
    moving_summary(preview)
    if not can(actor, Action.DELETE_LEADS):
        st.caption("Only managers, admins and owners can merge leads.")
        return
    kept, gone = label(preview.survivor), label(preview.merged)
    confirmed = st.checkbox(f"Yes, merge {gone} into {kept}; {gone} will be deleted",
                            key=f"duplicates_confirm_{survivor_id}_{merged_id}")
    if st.button("Merge", key="duplicates_merge_button", type="primary", icon=":material/merge:",
                 disabled=not confirmed):
        request = attempt(lambda: MergeRequest(survivor_id=survivor_id, merged_id=merged_id, chosen=choices))
        if request is not None and attempt(lambda: lead_merge.merge_leads(actor, request)) is not None:
            cached.forget_reads()
            close_comparison()
            st.session_state[NOTICE_KEY] = (f"Merged {gone} into {kept}.", survivor_id, kept)
            st.rerun()


def lead_from_link() -> None:
    """Coming from a lead's page (`?lead=<id>`): compare it with its possible duplicates."""
    raw = st.query_params.get("lead")
    if not raw or not raw.isdigit() or st.session_state.get("duplicates_linked") == raw:
        return
    st.session_state["duplicates_linked"] = raw
    matches = attempt(lambda: duplicates.duplicates_of(actor, int(raw)))
    if not matches:
        if matches is not None:
            st.info("This lead has no likely duplicates any more.", icon=":material/check_circle:")
        return
    lead = attempt(lambda: leads.get_lead(actor, int(raw)))
    if lead is None:
        return
    me = DuplicateLead(id=lead.id, first_name=lead.first_name, last_name=lead.last_name, email=lead.email,
                       phone=lead.phone, company=lead.company, status=lead.status,
                       assigned_to_id=lead.assigned_to.id if lead.assigned_to else None,
                       created_at=lead.created_at, updated_at=lead.updated_at)
    compare([me, *(m.lead for m in matches)], me.id, matches[0].lead.id)


st.title("Duplicates")
st.caption("Leads that look like the same person: the same email (Gmail dots and +tags ignored), the same "
           "phone, or a similar name at the same company or with the same phone.")

if notice := st.session_state.pop(NOTICE_KEY, None):
    message, survivor_id, name = notice
    st.toast(message, icon=":material/check_circle:")
    st.success(message, icon=":material/check_circle:")
    st.page_link("pages/lead_detail.py", label=f"Open {name}", icon=":material/arrow_forward:",
                 query_params={"id": str(survivor_id)})

dismissed_notice()
lead_from_link()
if st.session_state.get(PAIR_KEY):
    with st.container(border=True):
        merge_panel([DuplicateLead.model_validate(raw) for raw in st.session_state[CANDIDATES_KEY]])

reasons = st.pills("Show", list(DuplicateReason), format_func=lambda r: REASON_LABELS[r], selection_mode="multi",
                   key="duplicates_reasons", default=list(DuplicateReason))
if st.session_state.get("duplicates_reasons_seen") != reasons:  # another filter: back to the first page
    st.session_state["duplicates_reasons_seen"] = reasons
    st.session_state[CURSORS_KEY] = []
cursors: list[str | None] = st.session_state.setdefault(CURSORS_KEY, [])
cursor = cursors[-1] if cursors else None
page = attempt(lambda: duplicates.find_duplicates(
    actor, DuplicateQuery(reasons=reasons or list(DuplicateReason), cursor=cursor, limit=PAGE_SIZE)))
if page is not None:
    if not page.groups:
        st.info("No likely duplicates here." if not cursors else "No more likely duplicates.",
                icon=":material/check_circle:")
    for n, group in enumerate(page.groups):
        group_card(group, n)
    back, forward = st.columns(2)
    if cursors and back.button("Previous", key="duplicates_previous", icon=":material/arrow_back:"):
        cursors.pop()
        st.rerun()
    if page.next_cursor and forward.button("More duplicates", key="duplicates_next", icon=":material/arrow_forward:"):
        cursors.append(page.next_cursor)
        st.rerun()
dismissed_list()
