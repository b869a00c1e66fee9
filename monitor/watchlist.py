"""The watchlist: the TOML config of people, sources, recipients and the digest.

``load_watchlist(path)`` either returns a validated ``Watchlist`` or raises ``ConfigError``
whose message is one line naming the file, the entry and the problem, e.g.::

    monitor.toml: recipient[1] (desk@example.org): people: unknown person 'Ivan Petrov'
"""

from __future__ import annotations

import tomllib
from datetime import time
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.sources import KINDS as SOURCE_KINDS  # auto, rss/atom/rdf, jsonfeed, mastodon, bluesky, …


class ConfigError(Exception):
    """The config file cannot be used; the message is one line for the user."""


class PersonEntry(BaseModel):
    """A tracked person. Besides names and excludes: ``hashtags`` and ``handles`` that name
    them verbatim, ``context`` terms (prefixes) without which their surname alone does not
    count, and ``gender`` ("m"/"f") when the names do not tell."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1)
    aliases: list[str] = []
    exclude: list[str] = []
    hashtags: list[str] = []
    handles: list[str] = []
    context: list[str] = []
    gender: str = ""

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name is empty")
        if _letters(value) < 2:
            raise ValueError(f"name {value!r} is too short to match: write at least two letters")
        return value.strip()

    @field_validator("aliases", "exclude", "hashtags", "handles", "context")
    @classmethod
    def _long_enough(cls, values: list[str]) -> list[str]:
        for i, value in enumerate(values):
            if not value.strip():
                raise ValueError(f"entry {i + 1} is empty: remove it or write the name")
            if _letters(value) < 2:
                raise ValueError(f"{value!r} is too short to match: write at least two letters")
        return [v.strip() for v in values]

    @field_validator("gender")
    @classmethod
    def _known_gender(cls, value: str) -> str:
        if value.strip().lower() not in ("", "m", "f", "male", "female"):
            raise ValueError(f"unknown gender {value!r}; use \"m\" or \"f\"")
        return value.strip().lower()[:1]

    def all_names(self) -> list[str]:
        """The name and its aliases, without blanks or repeats, in config order."""
        seen: dict[str, None] = {}
        for alias in [self.name, *self.aliases]:
            if alias.strip():
                seen.setdefault(alias.strip(), None)
        return list(seen)


def _letters(value: str) -> int:
    return sum(ch.isalnum() for ch in value)


class SourceEntry(BaseModel):
    """A source: ``url``, or for platform kinds a ``handle``/``query`` the URL is built from.

    ``kind = "auto"`` is resolved from the URL's shape (``detected_kind``) and, for plain
    feeds, from the response. Credentials are never written here: sources that need an
    account (Bluesky search) read them from the settings.
    """

    model_config = ConfigDict(extra="allow")

    url: str
    name: str | None = None
    kind: str = "auto"
    handle: str | None = None  # "@user@server", "#tag@server", "name.bsky.social", "r/SUB", "UC…", channel
    query: str | None = None  # a search (reddit, bluesky with credentials, googlenews: opt-in)
    lang: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _url_from_handle(cls, data: object) -> object:
        if isinstance(data, dict) and not data.get("url") and (data.get("handle") or data.get("query")):
            from monitor.sources.urls import source_url

            data = {**data, "url": source_url(
                str(data.get("kind", "auto")), handle=data.get("handle"), query=data.get("query"), lang=data.get("lang")
            )}
        return data

    @property
    def detected_kind(self) -> str:
        """The configured kind, or for ``auto`` the platform the URL belongs to (else ``auto``)."""
        from monitor.sources import detect_kind

        return self.kind if self.kind != "auto" else detect_kind(self.url)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"bad URL {value!r}: expected http:// or https:// with a host")
        return value.strip()

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in SOURCE_KINDS:
            raise ValueError(f"unknown kind {value!r}; known: {', '.join(SOURCE_KINDS)}")
        return value


class RecipientEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str
    people: list[str] | None = None
    timezone: str | None = None  # the day this recipient's digest covers; default [digest] timezone

    @field_validator("email")
    @classmethod
    def _looks_like_email(cls, value: str) -> str:
        if "@" not in value or value.startswith("@") or value.endswith("@"):
            raise ValueError(f"bad email address {value!r}")
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _known_recipient_zone(cls, value: str | None) -> str | None:
        return None if value is None else DigestEntry._known_zone(value)


class DigestEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str = "UTC"
    send_at: time = time(8, 0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Watchlist(BaseModel):
    """The whole validated config."""

    path: str = "monitor.toml"
    people: list[PersonEntry] = []
    sources: list[SourceEntry] = []
    recipients: list[RecipientEntry] = []
    digest: DigestEntry = DigestEntry()


def load_watchlist(path: Path | str) -> Watchlist:
    """Read and validate the config at ``path``; raise ``ConfigError`` with one line otherwise.

    A missing file is an empty watchlist only when it is the default path and absent,
    so that ``monitor web`` starts on a fresh machine; any other missing file is an error.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found (set MONITOR_CONFIG or --config)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_watchlist(raw, str(path))


def parse_watchlist(raw: dict, where: str) -> Watchlist:
    """Validate an already parsed TOML document; ``where`` names the file in errors."""
    unknown = set(raw) - {"person", "source", "recipient", "digest"}
    if unknown:
        raise ConfigError(f"{where}: unknown table {sorted(unknown)[0]!r}")
    people = _entries(raw, "person", PersonEntry, where)
    sources = _entries(raw, "source", SourceEntry, where)
    recipients = _entries(raw, "recipient", RecipientEntry, where)
    digest = _entry(raw.get("digest", {}), DigestEntry, where, "digest")
    _check_unique(where, "person", [" ".join(p.name.casefold().split()) for p in people], "duplicate person name", [p.name for p in people])
    _check_unique(where, "source", [s.url for s in sources], "duplicate source URL")
    _check_unique(where, "recipient", [r.email.lower() for r in recipients], "duplicate recipient")
    _check_recipient_people(where, recipients, {p.name for p in people})
    return Watchlist(path=where, people=people, sources=sources, recipients=recipients, digest=digest)


def _entries(raw: dict, key: str, model: type[BaseModel], where: str) -> list:
    items = raw.get(key, [])
    if not isinstance(items, list):
        raise ConfigError(f"{where}: {key}: expected [[{key}]] entries")
    return [_entry(item, model, where, f"{key}[{i + 1}]") for i, item in enumerate(items)]


def _entry(item: object, model: type[BaseModel], where: str, label: str):
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: {label}: expected a table")
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "entry"
        name = item.get("name") or item.get("email") or item.get("url")
        named = f" ({name})" if isinstance(name, str) else ""
        message = error["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{where}: {label}{named}: {field}: {message}") from None


def _check_unique(where: str, key: str, values: list[str], problem: str, shown: list[str] | None = None) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise ConfigError(f"{where}: {key}[{i + 1}] ({(shown or values)[i]}): {problem}")
        seen.add(value)


def _check_recipient_people(where: str, recipients: list[RecipientEntry], names: set[str]) -> None:
    for i, recipient in enumerate(recipients):
        for person in recipient.people or []:
            if person not in names:
                raise ConfigError(
                    f"{where}: recipient[{i + 1}] ({recipient.email}): people: unknown person {person!r}"
                )
