"""Password policy (ASVS 6.2): 12..128 characters, not a common password, hard to guess.

No composition rules (NIST 800-63B): length, a blocklist of the 30,000 most common passwords
(zxcvbn's list, shipped with the package) and zxcvbn's strength estimate with the user's own
email and name counted as guessable. Nothing is ever truncated: the hash covers every character.
"""

from __future__ import annotations

import functools
import re

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from crm.errors import ValidationFailed

MIN_CHARS = 12
MAX_CHARS = 128
MIN_SCORE = 3
# zxcvbn refuses longer inputs; the first 72 characters are plenty to estimate strength.
_ZXCVBN_MAX = 72


@functools.cache
def _common_passwords() -> frozenset[str]:
    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    """True when `password` (case-insensitive, with or without trailing digits/symbols) is common."""
    lowered = password.lower()
    stripped = re.sub(r"[\d\W_]+$", "", lowered)
    common = _common_passwords()
    return lowered in common or (len(stripped) >= 4 and stripped in common)


def check_password(password: str, *, email: str = "", name: str = "") -> None:
    """Raise ValidationFailed(field="password") with a readable reason unless `password` is acceptable."""
    if len(password) < MIN_CHARS:
        raise ValidationFailed(f"Use at least {MIN_CHARS} characters — a few unrelated words work well.",
                               field="password")
    if len(password) > MAX_CHARS:
        raise ValidationFailed(f"Use at most {MAX_CHARS} characters.", field="password")
    if is_common(password):
        raise ValidationFailed("This password is one of the most commonly used ones; choose another.",
                               field="password")
    user_inputs = [part for part in (email, email.split("@")[0] if email else "", name, *name.split()) if part]
    result = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=user_inputs)
    if result["score"] < MIN_SCORE:
        feedback = result.get("feedback") or {}
        hint = feedback.get("warning") or ""
        suggestions = " ".join(feedback.get("suggestions") or [])
        reason = " ".join(p for p in ("This password is too easy to guess.", hint, suggestions) if p)
        raise ValidationFailed(reason, field="password")
