"""Profile settings and avatars stored through the local storage provider."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from crm.enums import TeamRole
from crm.errors import ValidationFailed
from crm.schemas.profile import ProfileUpdate
from crm.services import profile
from tests.factories import make_member, make_team

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64


@pytest.fixture
def avatar_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: str) -> Path:
    from crm.config import get_settings

    monkeypatch.setenv("AVATAR_DIR", str(tmp_path / "avatars"))
    get_settings.cache_clear()
    return tmp_path / "avatars"


def test_profile_reads_and_updates_only_allowed_fields(db: str) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER, name="Ann Agent")
    got = profile.get_profile(agent)
    assert (got.name, got.timezone, got.language, got.avatar_url) == ("Ann Agent", "America/New_York", "en", None)
    updated = profile.update_profile(agent, ProfileUpdate(name="Ann A.", timezone="Europe/Lisbon", language="PT"))
    assert (updated.name, updated.timezone, updated.language) == ("Ann A.", "Europe/Lisbon", "pt")
    assert profile.update_profile(agent, ProfileUpdate(language="es")).name == "Ann A."
    with pytest.raises(ValidationError, match="not a known time zone"):
        ProfileUpdate(timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="not a supported language"):
        ProfileUpdate(language="xx")
    for forbidden in ({"email": "x@y.com"}, {"role": "ADMIN"}, {"is_active": False}, {"team_id": 1}):
        with pytest.raises(ValidationError):
            ProfileUpdate(**forbidden)


@pytest.mark.parametrize(("data", "ctype"), [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp")])
def test_avatar_is_stored_locally_under_our_own_name(avatar_dir: Path, data: bytes, ctype: str) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    got = profile.set_avatar(agent, "../../etc/passwd.png", data)
    assert got.avatar_url and got.avatar_url.startswith("/api/settings/avatar")
    files = list(avatar_dir.iterdir())
    assert len(files) == 1 and files[0].name.startswith(f"user-{agent.user_id}-")
    assert profile.get_avatar(agent.user_id) == (data, ctype)


def test_replacing_and_removing_an_avatar_cleans_up(avatar_dir: Path) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    profile.set_avatar(agent, "a.png", PNG)
    profile.set_avatar(agent, "b.jpg", JPEG)
    assert len(list(avatar_dir.iterdir())) == 1
    assert profile.remove_avatar(agent).avatar_url is None
    assert list(avatar_dir.iterdir()) == []
    assert profile.get_avatar(agent.user_id) is None


def test_avatar_type_is_read_from_the_bytes_and_size_is_capped(avatar_dir: Path) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    with pytest.raises(ValidationFailed, match="PNG, JPEG or WebP"):
        profile.set_avatar(agent, "evil.png", b"<svg onload=alert(1)>")
    with pytest.raises(ValidationFailed, match="2 MB"):
        profile.set_avatar(agent, "big.png", PNG + b"\x00" * (2 * 1024 * 1024))
    assert not avatar_dir.exists() or list(avatar_dir.iterdir()) == []
