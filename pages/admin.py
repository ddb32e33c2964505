"""Admin: the audit log with filters (team owners/admins: their team; system admins: everything)
and, for system admins, every user account with activate / deactivate."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from crm.enums import SystemRole
from crm.schemas.admin import AuditFilter, UserFilter
from crm.schemas.common import Actor
from crm.services import admin
from crm.ui import session
from crm.ui.account import notice, show_notice
from crm.ui.errors import attempt
from crm.ui.format import DASH, absolute_time
from crm.ui.gates import require_two_factor

RESOURCES = ["", "user", "team", "team_member", "team_invitation", "lead", "provider_secret", "user_session"]


def audit_section(actor: Actor) -> None:
    with st.container(border=True):
        a, b, c, d = st.columns(4)
        action = a.text_input("Action starts with", key="admin_audit_action", placeholder="auth.")
        resource = b.selectbox("Resource", RESOURCES, key="admin_audit_resource",
                               format_func=lambda r: r or "Any")
        since = c.date_input("From", value=None, key="admin_audit_since")
        until = d.date_input("To (inclusive)", value=None, key="admin_audit_until")
    page_no = int(st.session_state.get("admin_audit_page", 1))
    try:
        filters = AuditFilter(
            action=action or None, resource=resource or None,
            since=dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC) if since else None,
            until=dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC) if until else None,
            page=page_no,
        )
    except ValueError:
        st.error("“From” must be before “To”.", icon=":material/error:")
        return
    result = attempt(lambda: admin.list_audit_logs(actor, filters))
    if result is None:
        return
    st.caption(f"{result.total:,} entries · page {result.page} of {result.pages}")
    st.dataframe(
        pd.DataFrame([{
            "When (UTC)": e.created_at.strftime("%Y-%m-%d %H:%M:%S"), "Who": e.user_name or DASH,
            "Action": e.action, "Resource": e.resource, "Id": e.resource_id or "",
            "Changes": "" if not e.changes else str(e.changes), "IP": e.ip_address or "",
            "User agent": e.user_agent or "",
        } for e in result.items]),
        hide_index=True, width="stretch",
    )
    if result.pages > 1:
        st.number_input("Page", min_value=1, max_value=result.pages, step=1, key="admin_audit_page")


def users_section(actor: Actor) -> None:
    left, right = st.columns([3, 1])
    search = left.text_input("Search name or email", key="admin_users_search")
    status = right.selectbox("Status", ["All", "Active", "Deactivated"], key="admin_users_status")
    active = {"All": None, "Active": True, "Deactivated": False}[status]
    result = attempt(lambda: admin.list_users(actor, UserFilter(search=search or None, active=active)))
    if result is None:
        return
    st.caption(f"{result.total:,} users")
    st.dataframe(
        pd.DataFrame([{
            "Name": u.name, "Email": u.email, "System role": u.system_role.value.title(),
            "Active": u.is_active, "Email verified": u.email_verified, "2FA": u.two_factor_enabled,
            "Teams": ", ".join(m.team_name for m in u.memberships), "Last sign-in": absolute_time(u.last_login_at),
        } for u in result.items]),
        hide_index=True, width="stretch",
    )
    users = {u.id: u for u in result.items if u.id != actor.user_id}
    if not users:
        return
    with st.container(border=True):
        pick, act = st.columns([3, 1], vertical_alignment="bottom")
        who = pick.selectbox("Account", list(users), key="admin_users_pick",
                             format_func=lambda uid: f"{users[uid].name} · {users[uid].email}"
                                                     f"{'' if users[uid].is_active else ' (deactivated)'}")
        target = users[who]
        label = "Deactivate" if target.is_active else "Activate"
        if act.button(label, key="admin_users_toggle", type="primary" if not target.is_active else "secondary"):
            if attempt(lambda: admin.set_user_active(actor, who, not target.is_active)):
                notice("success", f"{target.email} is now {'deactivated: signed out everywhere' if target.is_active else 'active'}.")
                st.rerun()


actor = session.require_actor()
st.title("Admin")
require_two_factor(actor)
show_notice()
if actor.system_role is SystemRole.ADMIN:
    audit_tab, users_tab = st.tabs(["Audit log", "Users"])
    with audit_tab:
        audit_section(actor)
    with users_tab:
        users_section(actor)
else:
    st.caption("Your team's audit log: every sign-in decision and every change, newest first.")
    audit_section(actor)
