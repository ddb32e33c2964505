"""Password hashing, signed tokens and AES-256-GCM encryption of stored secrets."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import secrets
from typing import Any

import bcrypt
import jwt
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crm.config import get_settings

JWT_ALGORITHM = "HS256"
MAX_PASSWORD_CHARS = 128


def _prehash(password: str) -> bytes:
    # bcrypt reads at most 72 bytes and bcrypt 5 raises past that; a SHA-256 pre-hash
    # (base64, 44 bytes) lets every character of a long passphrase count, with no truncation.
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str, *, rounds: int | None = None) -> str:
    """Return a bcrypt hash of `password` (cost from settings unless given)."""
    salt = bcrypt.gensalt(rounds=rounds or get_settings().bcrypt_rounds)
    return bcrypt.hashpw(_prehash(password), salt).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """Check `password` against a stored hash in constant time."""
    try:
        return bcrypt.checkpw(_prehash(password), password_hash.encode("ascii"))
    except ValueError:
        return False


# A real hash to compare against when the user does not exist, so that a sign-in for an
# unknown email costs as much time as one for a known email (no user enumeration by timing).
_DUMMY_HASH: dict[int, str] = {}


def dummy_verify(password: str) -> None:
    """Spend the same time as a real password check, for unknown accounts."""
    rounds = get_settings().bcrypt_rounds
    if rounds not in _DUMMY_HASH:
        _DUMMY_HASH[rounds] = hash_password(secrets.token_urlsafe(16), rounds=rounds)
    verify_password(password, _DUMMY_HASH[rounds])


def create_token(claims: dict[str, Any], *, expires_in: dt.timedelta, token_type: str) -> str:
    """Sign a JWT carrying `claims`, an expiry and its type (access or refresh)."""
    now = dt.datetime.now(dt.UTC)
    payload = {**claims, "type": token_type, "iat": now, "exp": now + expires_in}
    return jwt.encode(payload, get_settings().secret_key, algorithm=JWT_ALGORITHM)


def decode_token(token: str, *, token_type: str) -> dict[str, Any]:
    """Verify signature, expiry and type of a JWT; raise jwt.InvalidTokenError otherwise."""
    payload = jwt.decode(token, get_settings().secret_key, algorithms=[JWT_ALGORITHM])
    if payload.get("type") != token_type:
        raise jwt.InvalidTokenError(f"expected a {token_type} token")
    return payload


def _aes_key(key_b64: str | None = None) -> bytes:
    key = base64.b64decode(key_b64 or get_settings().encryption_key)
    if len(key) != 32:
        raise ValueError("ENCRYPTION_KEY must be 32 bytes, base64-encoded (AES-256)")
    return key


def encrypt_secret(plaintext: str, *, key_b64: str | None = None) -> str:
    """Encrypt with AES-256-GCM under a fresh 96-bit nonce; return base64(nonce + ciphertext)."""
    nonce = os.urandom(12)
    sealed = AESGCM(_aes_key(key_b64)).encrypt(nonce, plaintext.encode("utf-8"), None)
    return base64.b64encode(nonce + sealed).decode("ascii")


def decrypt_secret(token: str, *, key_b64: str | None = None) -> str:
    """Reverse `encrypt_secret`; raises cryptography.exceptions.InvalidTag on tampering."""
    raw = base64.b64decode(token)
    return AESGCM(_aes_key(key_b64)).decrypt(raw[:12], raw[12:], None).decode("utf-8")


def last4(secret: str) -> str:
    """Return the only part of a secret the product ever shows."""
    return secret[-4:]
