"""Reusable checks for Config fields, written so their messages read well after a field path.

A config string that holds a template (``{{ ... }}``) is only checked after rendering, at run time:
``https://api.example.com/{{ input.id }}`` is a fine URL even though it is not one yet.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator


def has_template(value: str) -> bool:
    return "{{" in value or "{%" in value


def check_url(value: str) -> str:
    if has_template(value):
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"invalid URL '{value}'")
    return value


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{value}' (use an IANA name such as 'Europe/Berlin')") from None
    return value


def check_email(value: str) -> str:
    if has_template(value):
        return value
    local, _, domain = value.rpartition("@")
    if not local or not domain or " " in value:
        raise ValueError(f"invalid email address '{value}'")
    return value


def check_jmespath(value: str) -> str:
    import jmespath
    from jmespath.exceptions import JMESPathError

    if has_template(value):
        return value
    try:
        jmespath.compile(value)
    except JMESPathError as exc:
        reason = str(exc).splitlines()[0]
        raise ValueError(f"invalid expression '{value}': {reason}") from None
    return value


Url = Annotated[str, AfterValidator(check_url)]
TimeZone = Annotated[str, AfterValidator(check_timezone)]
EmailAddress = Annotated[str, AfterValidator(check_email)]
Expression = Annotated[str, AfterValidator(check_jmespath)]
