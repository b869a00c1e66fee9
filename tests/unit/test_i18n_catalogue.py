"""The catalogue check CI runs: every string the pages, emails and Python sources mark for
translation has a Russian and a Ukrainian translation, and the shipped .mo files are compiled from the .po.

When it fails, run ``make messages``, translate the empty ``msgstr`` entries it names in
``monitor/locale/{ru,uk}/LC_MESSAGES/messages.po``, and run ``make messages`` again.
"""

from __future__ import annotations

import gettext
import io
import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from monitor import i18n
from tests.support import paths

ROOT = paths.REPO
LOCALES = ROOT / "monitor" / "locale"
TEMPLATE_DIRS = (ROOT / "monitor" / "web" / "templates", ROOT / "monitor" / "notify" / "mail_templates")
# Words a page may show untranslated: names of formats and protocols, the same in every language.
NOT_WORDS = {"CSV", "Atom", "Prometheus"}
FIX = "run `make messages`, translate the empty msgstr entries of {po}, then `make messages` again"


def _extracted() -> set[str]:
    """Every msgid (singular form) babel.cfg's extraction finds in the sources, as `make messages` does."""
    method_map, options_map = parse_mapping_cfg(io.StringIO((ROOT / "babel.cfg").read_text(encoding="utf-8")))
    found = extract_from_dir(str(ROOT), method_map, options_map)
    return {messages if isinstance(messages, str) else messages[0] for _file, _line, messages, _comments, _ctx in found}


def _catalogue(language: str):
    with open(LOCALES / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return "fuzzy" not in message.flags and all(strings)


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_every_marked_string_has_a_translation(language):
    catalogue = _catalogue(language)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id and _translated(m)}
    missing = sorted(_extracted() - translated)
    po = LOCALES / language / "LC_MESSAGES" / "messages.po"
    assert not missing, f"{len(missing)} strings without a {language} translation ({FIX.format(po=po)}): {missing[:15]}"


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_russian_and_ukrainian_have_the_three_plural_forms_of_their_catalogue(language):
    catalogue = _catalogue(language)
    assert catalogue.num_plurals == 3
    for message in catalogue:
        if message.pluralizable:
            assert len(message.string) == 3 and all(message.string), message.id


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_the_shipped_mo_is_compiled_from_the_po(language):
    compiled = io.BytesIO()
    write_mo(compiled, _catalogue(language))
    compiled.seek(0)
    with open(LOCALES / language / "LC_MESSAGES" / "messages.mo", "rb") as shipped:
        assert gettext.GNUTranslations(shipped)._catalog == gettext.GNUTranslations(compiled)._catalog, (
            f"monitor/locale/{language}/LC_MESSAGES/messages.mo is stale: run `make messages`"
        )


@pytest.mark.parametrize(
    "count, word",
    [
        (1, "упоминание"),
        (2, "упоминания"),
        (5, "упоминаний"),
        (11, "упоминаний"),
        (21, "упоминание"),
        (22, "упоминания"),
        (112, "упоминаний"),
    ],
)
def test_russian_mentions_take_the_plural_form_of_their_count(count, word):
    with i18n.use("ru"):
        assert i18n.ngettext("%(num)d mention", "%(num)d mentions", count) % {"num": count} == f"{count} {word}"


@pytest.mark.parametrize(
    "count, word",
    [(1, "згадка"), (2, "згадки"), (4, "згадки"), (5, "згадок"), (11, "згадок"), (21, "згадка"), (112, "згадок")],
)
def test_ukrainian_mentions_take_the_plural_form_of_their_count(count, word):
    with i18n.use("uk"):
        assert i18n.ngettext("%(num)d mention", "%(num)d mentions", count) % {"num": count} == f"{count} {word}"


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_placeholders_survive_translation(language):
    """A translation that renames a %(name)s would raise at render time: none does."""
    for message in _catalogue(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        wanted = set(_placeholders(ids[-1]))
        for string in strings:
            assert set(_placeholders(string)) <= wanted | set(_placeholders(ids[0])), (message.id, string)
            string % {name: 1 for name in wanted | set(_placeholders(ids[0]))}  # formats without error


def _placeholders(text: str) -> list[str]:
    return re.findall(r"%\((\w+)\)", text)


def _unmarked(source: str) -> list[str]:
    """Words of ``source`` (a template) a reader sees that no ``_()`` marks: the text between
    tags, and title/aria-label/placeholder/alt values (but example URLs), once every Jinja expression, statement,
    comment, script, style, <code> and <kbd> is removed."""
    source = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
    source = re.sub(r"\{[{%].*?[%}]\}", " ", source, flags=re.S)
    source = re.sub(r"<(script|style|code|kbd)\b.*?</\1>", " ", source, flags=re.S)
    shown = [
        value for value in re.findall(r'\b(?:title|aria-label|placeholder|alt)="([^"]*)"', source) if "://" not in value
    ]  # an example address reads the same in every language
    shown.append(re.sub(r"&\w+;", " ", re.sub(r"<[^>]*>", " ", source, flags=re.S)))
    return [word for text in shown for word in re.findall(r"[^\W\d_]{2,}", text) if word not in NOT_WORDS]


@pytest.mark.parametrize(
    "template", [p for folder in TEMPLATE_DIRS for p in sorted(folder.iterdir())], ids=lambda p: p.name
)
def test_no_template_text_is_left_unmarked(template):
    words = _unmarked(template.read_text(encoding="utf-8"))
    assert not words, (
        f'{template.relative_to(ROOT)}: text not marked for translation (wrap it in {{{{ _("…") }}}}): {words[:10]}'
    )


def test_the_unmarked_text_check_finds_plain_text_and_attributes():
    assert _unmarked('<p title="Hello">Save <b>now</b></p>') == ["Hello", "Save", "now"]
    assert _unmarked('<p title="{{ _(\'Hi\') }}">{{ _("Save") }} <code>monitor up</code> {{ x }}</p>') == []
