"""Secrets never leave tritonops in text: one place that masks them in URLs and messages.

A URL may carry credentials in its userinfo (``http://user:secret@host:8000``, RFC 3986 §3.2.1,
which also deprecates the form because it exposes the password). Everything tritonops prints,
logs, records in deploy history or writes into a report passes URLs through ``redact_url``, and
error texts from a client library pass through ``scrub`` with the secrets in play.
"""

from __future__ import annotations

from collections.abc import Iterable

MASK = "***"


def redact_url(url: str) -> str:
    """``url`` with the password of its userinfo masked (the whole userinfo when it has no ':').

    ``http://user:secret@h:1`` → ``http://user:***@h:1``; ``https://token@h`` → ``https://***@h``;
    a URL without userinfo is returned unchanged. Works with and without a scheme.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    authority_end = min(
        (i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest)
    )
    authority, tail = rest[:authority_end], rest[authority_end:]
    userinfo, at, host = authority.rpartition("@")
    if not at:
        return url
    user, colon, _password = userinfo.partition(":")
    shown = f"{user}:{MASK}" if colon else MASK
    return f"{scheme}{sep}{shown}@{host}{tail}"


def url_secrets(url: str) -> list[str]:
    """The secret parts of ``url``'s userinfo (the password, or a lone token), for ``scrub``."""
    rest = url.partition("://")[2] or url
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    userinfo, at, _ = authority.rpartition("@")
    if not at:
        return []
    user, colon, password = userinfo.partition(":")
    return [s for s in ([password] if colon else [user]) if s]


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret (longest first) replaced by ``***``."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
