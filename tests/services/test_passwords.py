"""Password policy: length 12..128, common passwords refused, nothing truncated."""

from __future__ import annotations

import pytest

from crm.errors import ValidationFailed
from crm.security import hash_password, verify_password
from crm.services.passwords import check_password

# A strong 128-character passphrase (no repeats zxcvbn would punish in its first 72 chars).
LONG = ("harbor-oak-listing-veranda-kestrel-gazebo-tamarind-quartz-lantern-meadow-"
        "copper-violin-orchard-sparrow-juniper-cobalt-pylon-mosaic")[:128]


def test_eleven_characters_are_refused_twelve_strong_ones_accepted() -> None:
    with pytest.raises(ValidationFailed, match="at least 12") as exc:
        check_password("zq8-Lm2v-Rt")  # 11
    assert exc.value.field == "password"
    check_password("zq8-Lm2v-Rt5")  # 12


def test_128_characters_accepted_129_refused() -> None:
    assert len(LONG) == 128
    check_password(LONG)
    with pytest.raises(ValidationFailed, match="at most 128"):
        check_password(LONG + "x")


@pytest.mark.parametrize("common", ["password1234", "qwertyuiop12", "Password1234!", "QWERTYUIOP12", "iloveyou2024"])
def test_common_passwords_are_refused(common: str) -> None:
    with pytest.raises(ValidationFailed, match="commonly used|too easy"):
        check_password(common)


def test_weak_and_personal_passwords_are_refused_with_a_reason() -> None:
    with pytest.raises(ValidationFailed, match="too easy to guess"):
        check_password("aaaaaaaaaaaaaaa")
    with pytest.raises(ValidationFailed, match="too easy to guess"):
        check_password("olivia.harbor1", email="olivia.harbor@harborandoak.com", name="Olivia Harbor")


def test_no_truncation_a_password_differing_at_char_100_does_not_verify() -> None:
    password = LONG
    other = password[:99] + ("Z" if password[99] != "Z" else "Y") + password[100:]
    assert len(other) == len(password) == 128 and other != password
    stored = hash_password(password)
    assert verify_password(password, stored)
    assert not verify_password(other, stored)
    assert not verify_password(password[:72], stored)
