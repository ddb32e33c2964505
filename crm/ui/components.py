"""Small reusable pieces of UI: status badge, tag chips, contact lines, the lead timeline."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from crm.enums import ActivityType, LeadStatus
from crm.schemas.leads import LeadDetail, TimelineEntry
from crm.ui.format import absolute_time, enum_label, md_escape, relative_time

BadgeColor = Literal["red", "orange", "yellow", "blue", "green", "violet", "gray", "primary"]

STATUS_BADGES: dict[LeadStatus, tuple[BadgeColor, str]] = {
    LeadStatus.NEW: ("blue", ":material/fiber_new:"),
    LeadStatus.CONTACTED: ("primary", ":material/call:"),
    LeadStatus.QUALIFIED: ("violet", ":material/verified:"),
    LeadStatus.PROPOSAL: ("yellow", ":material/description:"),
    LeadStatus.NEGOTIATION: ("orange", ":material/handshake:"),
    LeadStatus.WON: ("green", ":material/emoji_events:"),
    LeadStatus.LOST: ("gray", ":material/block:"),
}

ACTIVITY_ICONS: dict[ActivityType, str] = {
    ActivityType.EMAIL_SENT: ":material/outgoing_mail:",
    ActivityType.EMAIL_OPENED: ":material/drafts:",
    ActivityType.EMAIL_CLICKED: ":material/ads_click:",
    ActivityType.SMS_SENT: ":material/sms:",
    ActivityType.SMS_DELIVERED: ":material/mark_chat_read:",
    ActivityType.CALL_MADE: ":material/phone_forwarded:",
    ActivityType.CALL_RECEIVED: ":material/phone_callback:",
    ActivityType.MEETING_SCHEDULED: ":material/event:",
    ActivityType.MEETING_COMPLETED: ":material/event_available:",
    ActivityType.NOTE_ADDED: ":material/sticky_note_2:",
    ActivityType.STATUS_CHANGED: ":material/swap_horiz:",
    ActivityType.STAGE_CHANGED: ":material/linear_scale:",
    ActivityType.LEAD_CREATED: ":material/person_add:",
    ActivityType.LEAD_MERGED: ":material/merge:",
    ActivityType.LEAD_IMPORTED: ":material/upload_file:",
    ActivityType.LEAD_ASSIGNED: ":material/assignment_ind:",
    ActivityType.CAMPAIGN_LAUNCHED: ":material/campaign:",
    ActivityType.CAMPAIGN_COMPLETED: ":material/flag:",
    ActivityType.PROPERTY_VIEWED: ":material/home:",
    ActivityType.SHOWING_COMPLETED: ":material/key:",
}
NOTE_ICON = ":material/sticky_note_2:"
DEFAULT_ICON = ":material/history:"
KIND_ICONS = {"task": ":material/task_alt:", "message": ":material/forum:"}


def status_badge(status: LeadStatus) -> None:
    color, icon = STATUS_BADGES.get(status, ("gray", ":material/label:"))
    st.badge(enum_label(status), icon=icon, color=color)


def tag_chips(tags: list[str]) -> None:
    if not tags:
        st.caption("No tags")
        return
    with st.container(horizontal=True, gap="small"):
        for tag in tags:
            st.badge(tag, icon=":material/sell:", color="gray")


def contact_lines(lead: LeadDetail) -> None:
    """Email, phone, company and place — only the lines the lead has."""
    lines = []
    if lead.email:
        lines.append(f":material/mail: {md_escape(lead.email)}")
    if lead.phone:
        lines.append(f":material/call: {md_escape(lead.phone)}")
    if lead.company or lead.position:
        work = ", ".join(p for p in (lead.position, lead.company) if p)
        lines.append(f":material/business: {md_escape(work)}")
    place = ", ".join(p for p in (lead.city, lead.state) if p)
    if lead.zip_code:
        place = f"{place} {lead.zip_code}".strip()
    if place:
        lines.append(f":material/location_on: {md_escape(place)}")
    st.markdown("  \n".join(lines) if lines else "_No contact details_")


def timeline(entries: list[TimelineEntry]) -> None:
    """Activities and notes, newest first (the service already sorts them)."""
    if not entries:
        st.caption("No activity yet.")
        return
    for entry in entries:
        if entry.kind == "note":
            icon = NOTE_ICON
        elif entry.kind in KIND_ICONS:
            icon = KIND_ICONS[entry.kind]
        else:
            icon = ACTIVITY_ICONS.get(entry.type, DEFAULT_ICON) if entry.type else DEFAULT_ICON
        with st.container(border=True):
            st.markdown(f"{icon} **{md_escape(entry.title)}**")
            if entry.body:
                st.text(entry.body)
            who = md_escape(entry.author) if entry.author else "System"
            st.caption(f"{who} · {relative_time(entry.at)} · {absolute_time(entry.at)}")
