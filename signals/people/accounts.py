"""Accounts (companies) from imports, e-mail domains and profile links; committee roles."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from signals.people.config import ScoringConfig
from signals.store import models as db

# Mail services anyone can sign up to: their domain says nothing about an employer.
FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "yandex.com",
        "yandex.ru",
        "mail.ru",
        "zoho.com",
        "fastmail.com",
        "hey.com",
        "tutanota.com",
        "qq.com",
        "163.com",
        "126.com",
        "hushmail.com",
    }
)
# Hosts of profiles, code and blogs: a link there names a person, not a company website.
SHARED_HOSTS = frozenset(
    {
        "github.com",
        "gitlab.com",
        "reddit.com",
        "news.ycombinator.com",
        "twitter.com",
        "x.com",
        "linkedin.com",
        "medium.com",
        "substack.com",
        "bsky.app",
        "mastodon.social",
        "stackoverflow.com",
        "youtube.com",
        "facebook.com",
        "instagram.com",
        "github.io",
        "wordpress.com",
        "blogspot.com",
        "dev.to",
    }
)


def normalise_email(email: str | None) -> str | None:
    """Lower-cased and trimmed, or None when it is not an address."""
    if not email:
        return None
    email = email.strip().lower()
    return email if "@" in email and "." in email.rsplit("@", 1)[1] else None


def normalise_domain(value: str | None) -> str | None:
    """A bare host name from a domain or URL ("https://www.Acme.io/x" -> "acme.io")."""
    if not value:
        return None
    value = value.strip().lower()
    host = urlsplit(value if "//" in value else "//" + value).hostname or ""
    host = host.removeprefix("www.")
    return host if "." in host else None


def company_domain(email: str | None = None, url: str | None = None) -> str | None:
    """The employer's domain an e-mail or website gives, or None for free mail and shared hosts."""
    if email and (address := normalise_email(email)):
        domain = address.rsplit("@", 1)[1]
        return None if domain in FREE_MAIL else domain
    host = normalise_domain(url)
    if host is None:
        return None
    if any(host == h or host.endswith("." + h) for h in SHARED_HOSTS):
        return None
    return host


def account_for(session: Session, domain: str | None, name: str | None = None) -> db.Account | None:
    """The account with this domain (or, with no domain, this exact name), created if missing."""
    if domain:
        found = session.scalars(select(db.Account).where(col(db.Account.domain) == domain)).first()
        if found is None:
            found = db.Account(name=name or domain, domain=domain)
            session.add(found)
            session.flush()
        elif name and found.name == found.domain:
            found.name = name  # a real company name beats the domain we named it after
        return found
    if name:
        statement = select(db.Account).where(col(db.Account.name) == name)
        found = session.scalars(statement.where(col(db.Account.domain).is_(None))).first()
        if found is None:
            found = db.Account(name=name)
            session.add(found)
            session.flush()
        return found
    return None


def committee_role(title: str | None, config: ScoringConfig) -> str | None:
    """The buying-committee role a job title suggests: the first role with a matching word."""
    if not title:
        return None
    words = f" {title.lower().replace(',', ' ').replace('/', ' ')} "
    for role, cues in config.committee:
        if any(f" {cue} " in words for cue in cues):
            return role
    return None
