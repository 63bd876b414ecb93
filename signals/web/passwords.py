"""Passwords as argon2id hashes, and creating users (used by the CLI and the tests)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from signals.errors import ConfigError
from signals.store.models_web import ROLES, User

_HASHER = PasswordHasher()
MIN_PASSWORD = 8
# Verified against when the user does not exist, so a login takes as long either way.
_DUMMY_HASH = _HASHER.hash("not a real password, only for timing")


def hash_password(password: str) -> str:
    """An argon2id hash of password, with its own salt and parameters."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when password matches; never raises for a wrong or malformed hash."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def check_role(role: str) -> str:
    """The role, or a ConfigError naming the known ones."""
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
    return role


def add_user(session: Session, name: str, role: str, password: str) -> User:
    """Create a user (not committed); errors name the fix."""
    name = name.strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        raise ConfigError(f"user name {name!r} must be 1-64 characters without spaces")
    check_role(role)
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"the password must have at least {MIN_PASSWORD} characters")
    if session.exec(select(User).where(User.name == name)).first() is not None:
        raise ConfigError(f"user {name!r} already exists; pick another name")
    user = User(name=name, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user
