"""The watchlist: the TOML config of people, sources, recipients and the digest.

``load_watchlist(path)`` either returns a validated ``Watchlist`` or raises ``ConfigError``
whose message is one line naming the file, the entry and the problem, e.g.::

    monitor.toml: recipient[1] (desk@example.org): people: unknown person 'Ivan Petrov'
"""

from __future__ import annotations

import difflib
import re
import tomllib
from datetime import date, datetime, time
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.core import config_search as search_entries  # [search.gdelt], [search.vk], … (issue 16)
from monitor.core import config_streams as stream_entries  # [stream.bluesky], [stream.mastodon]
from monitor.core.email_address import address_problem
from monitor.i18n import LANGUAGES
from monitor.sources import KINDS as SOURCE_KINDS  # auto, rss/atom/rdf, jsonfeed, mastodon, bluesky, …

HISTORY_MAX = 5000  # Telegram posts one first poll may read back (about 250 pages)


def _(message: str, **values) -> str:
    """``message`` in the language in use: a web form's (the request's), else English (the
    command line, the config file). i18n is imported here, late: it brings Jinja and Babel,
    which no command needs just to read its config."""
    from monitor import i18n

    return i18n.gettext(message) % values if values else i18n.gettext(message)


class ConfigError(Exception):
    """The config file cannot be used; the message is one line for the user.

    ``loggable`` is the same line without the entry's name or values (a person's name
    must not reach a log): file, entry and key only.
    """

    def __init__(self, message: str, loggable: str | None = None):
        super().__init__(message)
        self.loggable = loggable or message


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Entry(BaseModel):
    """Base of every config table: a key without a typed field here is an error
    (``alias =`` for ``aliases =`` must not be accepted and ignored). Adding a key to a
    table is one typed field on its model."""

    model_config = ConfigDict(extra="forbid")


class PersonEntry(Entry):
    """A tracked person. Besides names and excludes: ``hashtags`` and ``handles`` that name
    them verbatim, ``context`` terms (prefixes) without which their surname alone does not
    count, and ``gender`` ("m"/"f") when the names do not tell."""

    name: str = Field(min_length=1)
    aliases: list[str] = []
    exclude: list[str] = []
    hashtags: list[str] = []
    handles: list[str] = []
    context: list[str] = []
    gender: str = ""
    languages: list[str] | None = None  # spellings generated in these languages; None: every one known
    # Spike alerts (issue 19): how big a burst must be ("quiet", "normal", "eager"), and the last
    # day (UTC) on which this person's spikes send no alert. None: the web's setting stands.
    alert: str | None = None
    mute_until: date | None = None
    private: bool = False  # never sent to a third-party service (search providers, alert channels)
    # Per-case access (issue 20): reviewers of these groups (and admins) see this person.
    groups: list[str] = []

    @field_validator("groups")
    @classmethod
    def _group_names(cls, values: list[str]) -> list[str]:
        from monitor.core.config_groups import clean_names

        for i, value in enumerate(values):
            if not value.strip():
                raise ValueError(_("group %(n)s is empty: remove it or name the group", n=i + 1))
        return clean_names(values)

    preserve: bool = False  # capture and re-check every mention of this person as evidence (issue 18)

    @field_validator("alert")
    @classmethod
    def _known_alert(cls, value: str | None) -> str | None:
        from monitor.spikes.sensitivity import SENSITIVITIES  # late: keeps the config free of the detector

        if value is not None and value.strip().lower() not in SENSITIVITIES:
            raise ValueError(
                _(
                    "unknown alert sensitivity %(value)r; use %(known)s",
                    value=value,
                    known=", ".join(map(repr, SENSITIVITIES)),
                )
            )
        return None if value is None else value.strip().lower()

    @field_validator("mute_until", mode="before")
    @classmethod
    def _mute_date(cls, value: object) -> object:
        if isinstance(value, datetime) or (isinstance(value, str) and not _ISO_DATE.fullmatch(value.strip())):
            raise ValueError(_("%(value)s is not a date; write it as YYYY-MM-DD", value=value))
        return value

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, values: list[str] | None) -> list[str] | None:
        from monitor.matching.declension import LANGUAGES  # imported late: matching imports this module

        for value in values or []:
            if value.strip().lower() not in LANGUAGES:
                raise ValueError(
                    _("unknown language %(value)r; use some of %(known)s", value=value, known=", ".join(LANGUAGES))
                )
        return None if values is None else [v.strip().lower() for v in values]

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(_("name is empty"))
        if _letters(value) < 2:
            raise ValueError(_("name %(value)r is too short to match: write at least two letters", value=value))
        return value.strip()

    @field_validator("aliases", "exclude", "hashtags", "handles", "context")
    @classmethod
    def _long_enough(cls, values: list[str]) -> list[str]:
        for i, value in enumerate(values):
            if not value.strip():
                raise ValueError(_("entry %(n)s is empty: remove it or write the name", n=i + 1))
            if _letters(value) < 2:
                raise ValueError(_("%(value)r is too short to match: write at least two letters", value=value))
        return [v.strip() for v in values]

    @field_validator("gender")
    @classmethod
    def _known_gender(cls, value: str) -> str:
        if value.strip().lower() not in ("", "m", "f", "male", "female"):
            raise ValueError(_('unknown gender %(value)r; use "m" or "f"', value=value))
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


class SourceEntry(Entry):
    """A source: ``url``, or for platform kinds a ``handle``/``query`` the URL is built from.

    ``kind = "auto"`` is resolved from the URL's shape (``detected_kind``) and, for plain
    feeds, from the response. Credentials are never written here: sources that need an
    account (Bluesky search) read them from the settings.
    """

    url: str
    name: str | None = None
    kind: str = "auto"
    handle: str | None = None  # "@user@server", "#tag@server", "name.bsky.social", "r/SUB", "UC…", channel
    query: str | None = None  # a search (reddit, bluesky with credentials, googlenews: opt-in)
    lang: str | None = None
    proxy: str | None = None  # a proxy URL or "none"; unset follows MONITOR_PROXY_URL (issue 16)
    history: int | None = Field(default=None, ge=0, le=HISTORY_MAX)  # Telegram: posts read back on the first poll

    @field_validator("proxy")
    @classmethod
    def _usable_proxy(cls, value: str | None) -> str | None:
        from monitor.core.config_proxy import check_proxy_url

        return None if value is None else check_proxy_url(value)

    @model_validator(mode="before")
    @classmethod
    def _url_from_handle(cls, data: object) -> object:
        if isinstance(data, dict) and not data.get("url") and (data.get("handle") or data.get("query")):
            from monitor.sources.urls import source_url

            data = {
                **data,
                "url": source_url(
                    str(data.get("kind", "auto")),
                    handle=data.get("handle"),
                    query=data.get("query"),
                    lang=data.get("lang"),
                ),
            }
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
            raise ValueError(_("bad URL %(value)r: expected http:// or https:// with a host", value=value))
        return value.strip()

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in SOURCE_KINDS:
            raise ValueError(_("unknown kind %(value)r; known: %(known)s", value=value, known=", ".join(SOURCE_KINDS)))
        return value


DIGEST_ROUTES = ("email", "notify")  # [[recipient]] digest_to


class RecipientEntry(Entry):
    """Who receives the daily digest (and spike alerts)."""

    email: str
    people: list[str] | None = None
    timezone: str | None = None  # the day this recipient's digest covers; default [digest] timezone
    notify: list[str] = []  # issue 21: Apprise URLs for alerts, by reference: ["env:MONITOR_NOTIFY_DESK"]

    @field_validator("notify")
    @classmethod
    def _references_only(cls, values: list[str]) -> list[str]:
        from monitor.core.config_refs import check_reference

        return [check_reference(value) for value in values]

    language: str | None = None  # the digest's language (monitor.i18n.LANGUAGES); default English

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        if value is not None and value not in LANGUAGES:
            raise ValueError(_("unknown language %(value)r; known: %(known)s", value=value, known=", ".join(LANGUAGES)))
        return value

    # Where the daily digest goes: "email" (the default), and/or "notify" (a short text to each
    # of the ``notify`` channels above, issue 21).
    digest_to: list[str] = ["email"]

    @field_validator("digest_to")
    @classmethod
    def _known_digest_routes(cls, values: list[str]) -> list[str]:
        for value in values:
            if value not in DIGEST_ROUTES:
                raise ValueError(f"unknown digest route {value!r}; known: {', '.join(DIGEST_ROUTES)}")
        if not values or len(set(values)) != len(values):
            raise ValueError('expected some of "email", "notify", each once')
        return values

    @model_validator(mode="after")
    def _notify_route_has_channels(self):
        if "notify" in self.digest_to and not self.notify:
            raise ValueError('digest_to: "notify" needs channels: notify = ["env:NAME"]')
        return self

    @field_validator("email")
    @classmethod
    def _one_plain_address(cls, value: str) -> str:
        problem = address_problem(value.strip())
        if problem:
            raise ValueError(_("bad email address %(problem)s", problem=problem))
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _known_recipient_zone(cls, value: str | None) -> str | None:
        return None if value is None else DigestEntry._known_zone(value)


class DigestEntry(Entry):
    """When the daily digest is sent, and which local day it covers."""

    timezone: str = "UTC"
    send_at: time = time(8, 0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(_("unknown timezone %(value)r", value=value)) from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class EvidenceEntry(Entry):
    """[evidence]: RFC 3161 timestamp authorities, extra trust roots, re-check delays (issue 18)."""

    tsa: list[str] = []
    tsa_ca_file: str | None = None
    recheck: list[str] = ["1h", "1d", "7d", "30d"]

    @field_validator("recheck")
    @classmethod
    def _durations(cls, values: list[str]) -> list[str]:
        from monitor.core.durations import parse_duration  # late: the config stays light

        for value in values:
            parse_duration(value)
        return values


class Watchlist(BaseModel):
    """The whole validated config."""

    path: str = "monitor.toml"
    people: list[PersonEntry] = []
    sources: list[SourceEntry] = []
    recipients: list[RecipientEntry] = []
    digest: DigestEntry = DigestEntry()
    streams: dict[str, stream_entries.StreamEntry] = {}  # [stream.NAME] tables
    search: dict[str, search_entries.SearchEntry] = {}  # [search.NAME] tables
    evidence: EvidenceEntry = EvidenceEntry()


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


# The top-level tables: TOML name -> (Watchlist field, entry model, shape). Shapes: "list" is
# [[name]] entries, "table" one [name] table, "named" one [name.KEY] table per key (a dict
# on the Watchlist). Any other table is an error. A new table is one line here and one
# typed field on Watchlist.
TABLES: dict[str, tuple[str, type[Entry], str]] = {
    "person": ("people", PersonEntry, "list"),
    "source": ("sources", SourceEntry, "list"),
    "recipient": ("recipients", RecipientEntry, "list"),
    "digest": ("digest", DigestEntry, "table"),
    "stream": ("streams", stream_entries.StreamEntry, "named"),
    "search": ("search", search_entries.SearchEntry, "named"),
    "evidence": ("evidence", EvidenceEntry, "table"),
}


def parse_watchlist(raw: dict, where: str) -> Watchlist:
    """Validate an already parsed TOML document; ``where`` names the file in errors."""
    unknown = sorted(set(raw) - set(TABLES))
    if unknown:
        raise ConfigError(f"{where}: unknown table {unknown[0]!r}; known: {', '.join(TABLES)}")
    fields = {field: _table(raw, key, model, shape, where) for key, (field, model, shape) in TABLES.items()}
    people, sources, recipients = fields["people"], fields["sources"], fields["recipients"]
    _check_unique(
        where,
        "person",
        [" ".join(p.name.casefold().split()) for p in people],
        "duplicate person name",
        [p.name for p in people],
    )
    _check_unique(where, "source", [s.url for s in sources], "duplicate source URL")
    _check_unique(where, "recipient", [r.email.lower() for r in recipients], "duplicate recipient")
    _check_recipient_people(where, recipients, {p.name for p in people})
    _check_streams(where, fields["streams"])
    _check_named(where, "search", fields["search"], search_entries.problem)
    return Watchlist(path=where, **fields)


def _table(raw: dict, key: str, model: type[Entry], shape: str, where: str):
    """One top-level table validated by its shape; absent tables take the model's defaults."""
    if shape == "list":
        return _entries(raw, key, model, where)
    if shape == "table":
        return _entry(raw.get(key, {}), model, where, key)
    named = raw.get(key, {})
    if not isinstance(named, dict):
        raise ConfigError(f"{where}: {key}: expected [{key}.NAME] tables")
    return {name: _entry(item, model, where, f"{key}.{name}") for name, item in named.items()}


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
        field = field if field.isprintable() else repr(field)  # a quoted TOML key may hold a line break
        name = item.get("name") or item.get("email") or item.get("url")
        named = f" ({name})" if isinstance(name, str) else ""
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = _unknown_key(field, model)
        loggable = f"{where}: {label}: {field}: {'unknown key' if error['type'] == 'extra_forbidden' else 'invalid'}"
        raise ConfigError(f"{where}: {label}{named}: {field}: {message}", loggable) from None


def _unknown_key(key: str, model: type[BaseModel]) -> str:
    """ "unknown key; did you mean 'aliases'?" — or the known keys when nothing is close."""
    known = list(model.model_fields)
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f"unknown key; did you mean {close[0]!r}?" if close else f"unknown key; known: {', '.join(known)}"


def _check_unique(where: str, key: str, values: list[str], problem: str, shown: list[str] | None = None) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise ConfigError(f"{where}: {key}[{i + 1}] ({(shown or values)[i]}): {problem}")
        seen.add(value)


def _check_streams(where: str, streams: dict) -> None:
    for name, entry in streams.items():
        problem = stream_entries.problem(name, entry)
        if problem:
            raise ConfigError(f"{where}: stream.{name}: {problem}")


def _check_named(where: str, table: str, entries: dict, problem) -> None:
    for name, entry in entries.items():
        found = problem(name, entry)
        if found:
            raise ConfigError(f"{where}: {table}.{name}: {found}")


def _check_recipient_people(where: str, recipients: list[RecipientEntry], names: set[str]) -> None:
    for i, recipient in enumerate(recipients):
        for person in recipient.people or []:
            if person not in names:
                raise ConfigError(f"{where}: recipient[{i + 1}] ({recipient.email}): people: unknown person {person!r}")
