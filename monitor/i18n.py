"""The team's language: message catalogues, the language in use, dates and numbers in it.

Catalogues are Babel/gettext files under ``monitor/locale/<lang>/LC_MESSAGES/messages.po``,
compiled beside them to ``messages.mo`` (``make messages`` extracts, updates and compiles; the
msgids are the English text, so English needs no catalogue of its own). ``LANGUAGES`` lists
what a user or recipient may choose.

The language in use is a context variable: ``with use("ru"):`` around a page or an email
render makes ``gettext``/``ngettext`` (and the Jinja ``_``/``ngettext`` installed by
``install``) answer in Russian, so the Python strings that templates print (labels, filters)
follow the same choice without being passed the language. Outside any ``use`` it is English.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import jinja2
from babel import Locale, dates, numbers
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT = "en"
LANGUAGES = ("en", "ru", "uk")  # en is the source; ru and uk complete (tests/test_i18n_catalogue.py)
NAMES = {"en": "English", "ru": "Русский", "uk": "Українська"}  # each in its own language

_current: ContextVar[str] = ContextVar("monitor_language", default=DEFAULT)


def supported(tag: str | None) -> str | None:
    """``"ru"``, ``"ru-RU"``, ``"RU_ru"`` → ``"ru"``; a language we have no catalogue for → None."""
    primary = (tag or "").strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The supported language the ``Accept-Language`` header prefers most, or None.

    Hand-written (RFC 9110 §12.5.4: comma-separated tags with optional ``;q=``): werkzeug's
    parser was considered, but it would be a dependency for twenty lines. A malformed entry
    is skipped, and only the first 50 entries are read, so a hostile header costs little."""
    ranked = []
    for position, item in enumerate((header or "")[:2000].split(",")[:50]):
        tag, _, params = item.strip().partition(";")
        quality = _quality(params)
        language = supported(tag)
        if language and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def _quality(params: str) -> float:
    name, _, value = params.strip().partition("=")
    if name.strip().lower() != "q":
        return 1.0
    try:
        quality = float(value)
    except ValueError:
        return 0.0
    return quality if 0.0 <= quality <= 1.0 else 0.0


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``language``; English (and a missing .mo) translates nothing."""
    if language == DEFAULT:
        return _gettext.NullTranslations()
    return Translations.load(str(LOCALE_DIR), [language], domain=DOMAIN)


def current() -> str:
    """The language in use: set by ``use``, else English."""
    return _current.get()


@contextmanager
def use(language: str | None) -> Iterator[str]:
    """Translate in ``language`` (any tag ``supported`` reads; else English) inside the block."""
    token = _current.set(supported(language) or DEFAULT)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    """``message`` in the language in use."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form for ``count`` in the language in use (Russian has three: 1, 2–4, 5+)."""
    return translations(current()).ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """``message`` in the language in use, disambiguated by ``context``."""
    return translations(current()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, count: int) -> str:
    """``ngettext`` disambiguated by ``context``."""
    return translations(current()).npgettext(context, singular, plural, count)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (translated where it is shown)."""
    return message


def format_date(value: date | datetime | None, format: str = "medium") -> str:
    """``value`` as a date in the language in use (``2 дек. 2026 г.``); "—" for None."""
    return dates.format_date(value, format=format, locale=_locale()) if value is not None else "—"


def format_datetime(value: datetime | None, format: str = "medium") -> str:
    """``value`` as date and time in the language in use, in ``value``'s own zone; "—" for None."""
    if value is None:
        return "—"
    return dates.format_datetime(value, format=format, tzinfo=value.tzinfo, locale=_locale())


def format_number(value: float | None, format: str | None = None) -> str:
    """``value`` with the language's separators (``12 345`` in Russian, ``12,345`` in English);
    ``format`` is a CLDR pattern (``"0.0"``: one decimal, ``2,5`` in Russian)."""
    return numbers.format_decimal(value, format=format, locale=_locale()) if value is not None else "—"


def _locale() -> Locale:
    return Locale.parse(current())


def install(env: jinja2.Environment) -> None:
    """Give ``env`` (with the ``jinja2.ext.i18n`` extension) ``_``, ``ngettext``… that follow
    ``use``, and the filters ``date``, ``datetime`` and ``number`` in the language in use."""
    env.install_gettext_callables(gettext, ngettext, newstyle=True, pgettext=pgettext, npgettext=npgettext)
    env.filters.update(date=format_date, datetime=format_datetime, number=format_number)
    env.globals["current_language"] = current
