"""Sign-in and tokens: generic failures, deactivation, rotation under concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from crm.enums import TeamRole
from crm.errors import AuthenticationFailed
from crm.schemas.auth import LoginInput
from crm.services import auth
from tests.factories import PASSWORD, make_member, make_team


def test_unknown_email_and_wrong_password_fail_alike(db: str) -> None:
    actor = make_member(make_team(), TeamRole.OWNER)
    with pytest.raises(AuthenticationFailed) as wrong:
        auth.authenticate(LoginInput(email=actor.email, password="not-the-password"))
    with pytest.raises(AuthenticationFailed) as unknown:
        auth.authenticate(LoginInput(email="nobody@nowhere.com", password="not-the-password"))
    assert wrong.value.message == unknown.value.message == auth.BAD_CREDENTIALS


def test_deactivated_user_cannot_sign_in(db: str) -> None:
    actor = make_member(make_team(), TeamRole.MEMBER, active=False)
    with pytest.raises(AuthenticationFailed, match="deactivated"):
        auth.authenticate(LoginInput(email=actor.email, password=PASSWORD))


def test_concurrent_refreshes_of_one_token_let_exactly_one_through(db: str) -> None:
    actor = make_member(make_team(), TeamRole.OWNER)
    token = auth.login(LoginInput(email=actor.email, password=PASSWORD)).refresh_token

    def attempt(_: int) -> bool:
        try:
            auth.refresh_tokens(token)
            return True
        except AuthenticationFailed:
            return False

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(attempt, range(4)))
    assert results.count(True) == 1
