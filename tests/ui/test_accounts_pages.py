"""Accounts, teams and access pages through AppTest on SQLite and PostgreSQL: every new page × role,
the 2FA gate, team management, the public pages reached from emails, and the browser session."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from streamlit.testing.v1 import AppTest

from crm.db import transaction
from crm.enums import SystemRole, TeamRole
from crm.orm import User
from crm.schemas.common import Actor
from crm.schemas.teams import InviteInput
from crm.services import auth, sessions, teams, two_factor
from crm.services.mailer import last_email_to
from crm.ui import browser_session
from crm.ui import session as ui_session
from tests.factories import PASSWORD, make_member
from tests.ui.conftest import Brokerage, anonymous_app, open_page, signed_in_app

NEW_PAGES = ["pages/team.py", "pages/settings.py", "pages/admin.py"]
ROLES = [TeamRole.OWNER, TeamRole.ADMIN, TeamRole.MANAGER, TeamRole.MEMBER]
GATE = "Turn on two-factor authentication in Settings before opening this page."
STRONG = "quiet harbor lanterns drift 2026"


def actor_for(brokerage: Brokerage, role: TeamRole) -> Actor:
    if role is TeamRole.ADMIN:
        return make_member(brokerage.team_id, TeamRole.ADMIN, name="Ada Admin", email="admin@harbortest.com")
    return brokerage.by_role(role)


def enable_two_factor(actor: Actor) -> str:
    """Turn 2FA on through the service; return the TOTP secret."""
    setup = two_factor.begin_setup(actor)
    two_factor.confirm_setup(actor, pyotp.TOTP(setup.secret).now())
    return setup.secret


def texts(at: AppTest, kind: str) -> str:
    return "\n".join(str(e.value) for e in getattr(at, kind))


def button(at: AppTest, label: str):  # noqa: ANN201 - AppTest's Button type is internal
    return next(b for b in at.button if b.label == label)


def link_token(address: str, path: str) -> str:
    with transaction() as session:
        email = last_email_to(session, address)
        assert email is not None, f"no email to {address}"
        match = re.search(rf"{re.escape(path)}\?token=([\w\-]+)", email.body)
        assert match, email.body
        return match.group(1)


def public_page(page: str, token: str | None = None) -> AppTest:
    at = anonymous_app()
    if token is not None:
        at.query_params["token"] = token
    return open_page(at, page)


# every new page × every role


@pytest.mark.parametrize("role", ROLES)
def test_every_new_page_renders_for_each_role(brokerage: Brokerage, role: TeamRole) -> None:
    at = signed_in_app(actor_for(brokerage, role)).run()
    sees_admin = role in (TeamRole.OWNER, TeamRole.ADMIN)
    for page in NEW_PAGES if sees_admin else [p for p in NEW_PAGES if p != "pages/admin.py"]:
        started = time.perf_counter()
        at.switch_page(page).run()
        elapsed = time.perf_counter() - started
        assert not at.exception, f"{page} as {role}: {[e.message for e in at.exception]}"
        assert at.title, f"{page} as {role} rendered no title"
        assert elapsed < 10, f"{page} took {elapsed:.1f} s"
    if not sees_admin:  # managers and agents have no Admin page at all
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page("pages/admin.py")


@pytest.mark.parametrize("role", ROLES)
def test_team_page_shows_management_only_to_owners_and_admins(brokerage: Brokerage, role: TeamRole) -> None:
    at = open_page(signed_in_app(actor_for(brokerage, role)), "pages/team.py")
    assert not at.exception
    labels = {b.label for b in at.button}
    manages = role in (TeamRole.OWNER, TeamRole.ADMIN)
    assert ("Send invitation" in labels) is manages
    assert ("Change role" in labels) is manages
    assert ("Remove from team" in labels) is manages
    assert ("Transfer ownership" in labels) is (role is TeamRole.OWNER)
    assert "Leave team" in labels
    members = at.dataframe[0].value
    assert "olga owner" in " ".join(members["Name"]).lower()
    table = at.dataframe[-1].value  # the permission table
    assert list(table.columns) == ["Action", "Owner", "Admin", "Manager", "Member"]
    assert len(table) >= 15


@pytest.mark.parametrize("page", ["pages/admin.py", "pages/settings.py"])
def test_owner_without_two_factor_is_stopped_at_sensitive_pages(brokerage: Brokerage, page: str) -> None:
    at = open_page(signed_in_app(brokerage.owner), page)
    assert not at.exception
    assert GATE in texts(at, "warning")
    if page == "pages/admin.py":
        assert not at.dataframe
    else:
        assert not [t for t in at.text_input if t.key == "settings_ai_key"]


def test_owner_with_two_factor_reads_the_audit_log_and_api_keys(brokerage: Brokerage) -> None:
    enable_two_factor(brokerage.owner)
    at = open_page(signed_in_app(brokerage.owner), "pages/admin.py")
    assert not at.exception
    assert GATE not in texts(at, "warning")
    log = at.dataframe[0].value
    assert "2fa.enabled" in set(log["Action"])
    at.switch_page("pages/settings.py").run()
    assert [t for t in at.text_input if t.key == "settings_ai_key"]


def test_a_member_is_not_gated_and_has_no_admin_page(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.agent), "pages/settings.py")
    assert GATE not in texts(at, "warning")
    assert [t for t in at.text_input if t.key == "settings_ai_key"]


def test_system_admin_deactivates_a_user_who_is_then_signed_out(brokerage: Brokerage) -> None:
    root = make_member(brokerage.team_id, TeamRole.MEMBER, name="Sys Admin", email="root@harbortest.com",
                       system_role=SystemRole.ADMIN)
    token = sessions.start_browser_session(brokerage.agent2.user_id, brokerage.team_id)
    gated = open_page(signed_in_app(root), "pages/admin.py")
    assert GATE in texts(gated, "warning")  # system admins need two-factor too
    enable_two_factor(root)
    at = open_page(signed_in_app(root), "pages/admin.py")
    assert not at.exception
    users = at.dataframe[1].value
    assert "agent2@harbortest.com" in set(users["Email"])
    at.selectbox(key="admin_users_pick").set_value(brokerage.agent2.user_id).run()
    at = button(at, "Deactivate").click().run()
    assert not at.exception
    assert "deactivated" in texts(at, "success")
    assert sessions.resume_browser_session(token) is None


# team management


def test_owner_invites_from_the_team_page(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.owner), "pages/team.py")
    at.text_input(key="team_invite_email").input("newagent@harbortest.com")
    at.selectbox(key="team_invite_role").set_value(TeamRole.MANAGER)
    at = button(at, "Send invitation").click().run()
    assert not at.exception
    assert "Invitation sent to newagent@harbortest.com" in texts(at, "success")
    invitations = teams.list_invitations(brokerage.owner)
    assert [(i.email, i.role) for i in invitations] == [("newagent@harbortest.com", TeamRole.MANAGER)]
    assert link_token("newagent@harbortest.com", "/accept-invite")
    assert "newagent@harbortest.com" in "\n".join(m.value for m in at.markdown)
    at = button(at, "Revoke").click().run()
    assert "revoked" in texts(at, "success")


def test_owner_changes_a_role_and_the_last_owner_cannot_leave(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.owner), "pages/team.py")
    at.selectbox(key="team_member_pick").set_value(brokerage.agent.user_id)
    at.selectbox(key="team_member_role").set_value(TeamRole.MANAGER)
    at = button(at, "Change role").click().run()
    assert not at.exception
    assert "Andy Agent is now Manager." in texts(at, "success")
    assert auth.get_actor(brokerage.agent.user_id, brokerage.team_id).team_role is TeamRole.MANAGER
    at.checkbox(key="team_leave_confirm").check().run()
    at = button(at, "Leave team").click().run()
    assert "at least one owner" in texts(at, "error")


def test_a_member_who_tries_to_invite_through_the_service_is_refused_readably(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.agent), "pages/team.py")
    assert not [t for t in at.text_input if t.key == "team_invite_email"]


# sign-in: 2FA step, throttling, browser session


def fill_sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="sign_in_email").input(email)
    at.text_input(key="sign_in_password").input(password)
    return button(at, "Sign in").click().run()


def test_sign_in_with_two_factor_asks_for_the_code(brokerage: Brokerage) -> None:
    secret = enable_two_factor(brokerage.manager)
    at = fill_sign_in(anonymous_app().run(), "manager@harbortest.com", PASSWORD)
    assert not at.exception
    assert "auth" not in at.session_state
    at.text_input(key="sign_in_code").input("000000")
    at = button(at, "Verify").click().run()
    assert "not right" in texts(at, "error")
    # The next 30-s step is accepted too (one step of clock drift), and was not used yet.
    at.text_input(key="sign_in_code").input(pyotp.TOTP(secret).at(time.time() + 30))
    at = button(at, "Verify").click().run()
    assert not at.exception
    assert at.title[0].value == "Dashboard"
    assert at.session_state["auth"]["user_id"] == brokerage.manager.user_id


def test_the_sixth_bad_password_shows_how_long_to_wait(brokerage: Brokerage) -> None:
    at = anonymous_app().run()
    for n in range(5):
        at = fill_sign_in(at, "owner@harbortest.com", f"wrong-password-{n}")
        assert texts(at, "error") == "Email or password is incorrect."
    at = fill_sign_in(at, "owner@harbortest.com", PASSWORD)  # even the right password now waits
    assert re.search(r"Try again in \d+ minutes?", texts(at, "error")), texts(at, "error")
    assert "auth" not in at.session_state


def test_sign_in_starts_a_browser_session_and_hands_the_cookie_over(brokerage: Brokerage) -> None:
    at = fill_sign_in(anonymous_app().run(), "agent@harbortest.com", PASSWORD)
    token = at.session_state["auth"]["token"]
    assert sessions.resume_browser_session(token).user_id == brokerage.agent.user_id
    ticket = at.session_state["app_cookie_ticket"]
    scripts = "\n".join(h.proto.body for h in at.get("html"))
    assert "/_auth/session" in scripts and ticket in scripts and token not in scripts
    assert browser_session.redeem_ticket(ticket) == token
    assert browser_session.redeem_ticket(ticket) is None  # single use


def test_a_new_browser_session_resumes_from_the_cookie_on_the_same_page(
    brokerage: Brokerage, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = sessions.start_browser_session(brokerage.agent.user_id, brokerage.team_id)
    cookie = {browser_session.COOKIE_NAME: browser_session.sign(token)}
    monkeypatch.setattr(ui_session, "browser_cookies", lambda: cookie)
    at = anonymous_app()
    at.switch_page("pages/leads.py")  # a reload of /leads
    at.run()
    assert not at.exception
    assert at.title[0].value == "Leads"
    # a forged or tampered cookie is ignored
    monkeypatch.setattr(ui_session, "browser_cookies", lambda: {browser_session.COOKIE_NAME: cookie[
        browser_session.COOKIE_NAME][:-2] + "xx"})
    at = anonymous_app().run()
    assert at.text_input(key="sign_in_email")


def test_sign_out_ends_every_session_of_the_user(brokerage: Brokerage, monkeypatch: pytest.MonkeyPatch) -> None:
    other_device = sessions.start_browser_session(brokerage.agent.user_id, brokerage.team_id)
    at = fill_sign_in(anonymous_app().run(), "agent@harbortest.com", PASSWORD)
    mine = at.session_state["auth"]["token"]
    at = button(at, "Sign out").click().run()
    assert not at.exception
    assert at.text_input(key="sign_in_email")
    assert sessions.resume_browser_session(mine) is None
    assert sessions.resume_browser_session(other_device) is None
    assert "/_auth/logout" in "\n".join(h.proto.body for h in at.get("html"))
    # The old cookie no longer signs anyone in.
    monkeypatch.setattr(ui_session, "browser_cookies",
                        lambda: {browser_session.COOKIE_NAME: browser_session.sign(mine)})
    assert anonymous_app().run().text_input(key="sign_in_email")


# public pages reached from emails


def test_sign_up_then_verify_the_email(brokerage: Brokerage) -> None:
    at = public_page("pages/sign_up.py")
    assert not at.exception
    at.text_input(key="sign_up_name").input("Nina New")
    at.text_input(key="sign_up_email").input("nina@newbrokerage.com")
    at.text_input(key="sign_up_team").input("Nina Homes")
    at.text_input(key="sign_up_password").input("password123456")
    at.text_input(key="sign_up_confirm").input("password123456")
    at = button(at, "Create account").click().run()
    assert "commonly used" in texts(at, "error")  # a common password is refused readably
    at.text_input(key="sign_up_password").input(STRONG)
    at.text_input(key="sign_up_confirm").input(STRONG)
    at = button(at, "Create account").click().run()
    assert not at.exception
    assert "Check your inbox" in texts(at, "success")

    at = public_page("pages/verify_email.py", link_token("nina@newbrokerage.com", "/verify-email"))
    assert not at.exception
    assert "verified" in texts(at, "success")
    with transaction() as session:
        user = session.query(User).filter_by(email="nina@newbrokerage.com").one()
        assert user.email_verified
    at = public_page("pages/verify_email.py", "not-a-real-token-at-all")
    assert at.error


def test_forgot_then_reset_the_password(brokerage: Brokerage) -> None:
    at = public_page("pages/forgot_password.py")
    at.text_input(key="forgot_password_email").input("agent@harbortest.com")
    at = button(at, "Send the link").click().run()
    assert "If an account exists" in texts(at, "success")
    token = link_token("agent@harbortest.com", "/reset-password")

    at = public_page("pages/reset_password.py", token)
    at.text_input(key="reset_password_new").input(STRONG)
    at.text_input(key="reset_password_again").input(STRONG)
    at = button(at, "Change password").click().run()
    assert not at.exception
    assert "password was changed" in texts(at, "success")
    at = fill_sign_in(anonymous_app().run(), "agent@harbortest.com", STRONG)
    assert at.title[0].value == "Dashboard"


def test_forgot_password_for_an_unknown_email_looks_the_same(brokerage: Brokerage) -> None:
    at = public_page("pages/forgot_password.py")
    at.text_input(key="forgot_password_email").input("nobody@nowhere.com")
    at = button(at, "Send the link").click().run()
    assert "If an account exists" in texts(at, "success")


def test_accept_an_invitation_as_a_new_user(brokerage: Brokerage) -> None:
    teams.invite_member(brokerage.owner, InviteInput(email="fresh@harbortest.com", role=TeamRole.MEMBER))
    token = link_token("fresh@harbortest.com", "/accept-invite")
    at = public_page("pages/accept_invite.py", token)
    assert not at.exception
    assert "Harbor Test Realty" in "\n".join(m.value for m in at.markdown)
    at.text_input(key="accept_invite_name").input("Fred Fresh")
    at.text_input(key="accept_invite_password").input(STRONG)
    at.text_input(key="accept_invite_confirm").input(STRONG)
    at = button(at, "Create account").click().run()
    assert not at.exception
    assert "joined the team" in texts(at, "success")
    member = next(m for m in teams.list_members(brokerage.owner) if m.email == "fresh@harbortest.com")
    assert member.role is TeamRole.MEMBER


def test_accept_an_invitation_as_a_signed_in_user(brokerage: Brokerage) -> None:
    from tests.factories import make_team

    other = make_team("Second Office")
    other_owner = make_member(other, TeamRole.OWNER, email="boss@second.com")
    teams.invite_member(other_owner, InviteInput(email="agent@harbortest.com", role=TeamRole.MEMBER))
    token = link_token("agent@harbortest.com", "/accept-invite")
    at = signed_in_app(brokerage.agent)
    at.query_params["token"] = token
    at = open_page(at, "pages/accept_invite.py")
    at = button(at, "Join Second Office").click().run()
    assert not at.exception
    assert "Welcome to Second Office" in texts(at, "success")
    assert at.session_state["auth"]["team_id"] == other


# settings: profile, password, two-factor


def test_settings_two_factor_setup_shows_the_qr_code_and_recovery_codes_once(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.agent), "pages/settings.py")
    at = button(at, "Set up two-factor").click().run()
    assert not at.exception
    setup = at.session_state["settings_2fa_setup"]
    assert at.image  # the QR code
    at.text_input(key="settings_2fa_code").input(pyotp.TOTP(setup.secret).now())
    at = button(at, "Turn on two-factor").click().run()
    assert not at.exception
    codes = at.session_state["settings_2fa_codes"]
    assert len(codes) == 10
    assert codes[0] in "\n".join(c.value for c in at.code)
    at = button(at, "I saved my recovery codes").click().run()
    assert "settings_2fa_codes" not in at.session_state
    assert not any(codes[0] in c.value for c in at.code)
    assert auth.get_actor(brokerage.agent.user_id).two_factor_enabled


def test_settings_password_change_keeps_this_session_and_ends_others(brokerage: Brokerage) -> None:
    other_device = sessions.start_browser_session(brokerage.agent.user_id, brokerage.team_id)
    at = fill_sign_in(anonymous_app().run(), "agent@harbortest.com", PASSWORD)
    at.switch_page("pages/settings.py").run()
    at.text_input(key="settings_password_current").input(PASSWORD)
    at.text_input(key="settings_password_new").input(STRONG)
    at.text_input(key="settings_password_again").input(STRONG)
    at = button(at, "Change password").click().run()
    assert not at.exception
    assert "Password changed" in texts(at, "success")
    assert sessions.resume_browser_session(other_device) is None
    assert sessions.resume_browser_session(at.session_state["auth"]["token"]) is not None


def test_settings_profile_saves_name_time_zone_and_language(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.agent), "pages/settings.py")
    assert not at.exception
    at.text_input(key="settings_profile_name").input("Andy A. Agent")
    at.selectbox(key="settings_profile_tz").set_value("Europe/Lisbon")
    at.selectbox(key="settings_profile_language").set_value("pt")
    at = button(at, "Save profile").click().run()
    assert not at.exception
    assert "Profile saved." in texts(at, "success")
    from crm.services import profile

    me = profile.get_profile(auth.get_actor(brokerage.agent.user_id))
    assert (me.name, me.timezone, me.language) == ("Andy A. Agent", "Europe/Lisbon", "pt")


def test_an_idle_browser_session_ends_after_30_minutes(brokerage: Brokerage) -> None:
    import datetime as dt

    from sqlalchemy import update

    from crm.orm import UserSession

    at = fill_sign_in(anonymous_app().run(), "agent@harbortest.com", PASSWORD)
    assert at.title[0].value == "Dashboard"
    with transaction() as session:
        session.execute(update(UserSession).where(UserSession.user_id == brokerage.agent.user_id)
                        .values(last_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31)))
    at.run()
    assert not at.exception
    assert at.text_input(key="sign_in_email")
    assert "/_auth/logout" in "\n".join(h.proto.body for h in at.get("html"))  # the browser drops the cookie


def test_switching_team_moves_the_browser_session(brokerage: Brokerage) -> None:
    make_member(brokerage.rival_team_id, TeamRole.MANAGER, name="Dual", email="dual@harbortest.com")
    at = fill_sign_in(anonymous_app().run(), "dual@harbortest.com", PASSWORD)
    token = at.session_state["auth"]["token"]
    assert at.session_state["auth"]["team_id"] == brokerage.rival_team_id
    with transaction() as session:
        user_id = session.query(User).filter_by(email="dual@harbortest.com").one().id
    from crm.orm import TeamMember

    with transaction() as session:
        session.add(TeamMember(team_id=brokerage.team_id, user_id=user_id, role=TeamRole.MEMBER))
    from crm.ui import cached

    cached.memberships.clear()
    at.run()
    at.selectbox(key="app_team").set_value(brokerage.team_id).run()
    assert not at.exception
    assert at.session_state["auth"]["team_id"] == brokerage.team_id
    assert sessions.resume_browser_session(token).team_id == brokerage.team_id  # survives a reload


def test_audit_log_filters_by_action(brokerage: Brokerage) -> None:
    enable_two_factor(brokerage.owner)
    fill_sign_in(anonymous_app().run(), "agent@harbortest.com", "wrong-password-1")
    at = open_page(signed_in_app(brokerage.owner), "pages/admin.py")
    at.text_input(key="admin_audit_action").input("2fa.").run()
    actions = set(at.dataframe[0].value["Action"])
    assert actions and all(a.startswith("2fa.") for a in actions)


def test_settings_avatar_upload_shows_the_picture_and_refuses_non_images(
    brokerage: Brokerage, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    import io

    from PIL import Image

    from tests.conftest import reset_caches

    monkeypatch.setenv("AVATAR_DIR", str(tmp_path))
    reset_caches()
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, format="PNG")
    at = open_page(signed_in_app(brokerage.agent), "pages/settings.py")
    assert not at.image
    at.get("file_uploader")[0].set_value(("me.png", b"not really an image", "image/png"))
    at = button(at.run(), "Upload picture").click().run()
    assert not at.exception
    assert at.error  # refused by its content, whatever the name says
    at.get("file_uploader")[0].set_value(("me.png", buffer.getvalue(), "image/png"))
    at = button(at.run(), "Upload picture").click().run()
    assert not at.exception
    assert "Your picture was updated." in texts(at, "success")
    assert at.image
