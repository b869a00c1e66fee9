"""The language of a post: what its source declares, else a guess from the text.

Feeds declare a language per channel (RSS ``<language>``, Atom ``xml:lang``, JSON Feed
``language``) or per post (Mastodon ``language``, Bluesky ``langs``); a declared tag is
reduced to its primary subtag (``ru-RU`` → ``ru``). Undeclared text is classified by
py3langid's naive Bayes model, and a guess it is unsure of is left empty rather than wrong.
"""

from __future__ import annotations

import re

_TAG = re.compile(r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*")  # BCP 47, loosely: "ru", "en-US", "uk_UA"
_MIN_LETTERS = 12  # a shorter text is not guessed
_MIN_CONFIDENCE = 0.5

_identifier = None


def primary_tag(declared: str | None) -> str | None:
    """``"ru-RU"`` → ``"ru"``; anything that is not a language tag → None."""
    if not declared:
        return None
    match = _TAG.fullmatch(declared.strip())
    return match.group(1).lower() if match else None


def detect(text: str) -> str | None:
    """The language py3langid is at least fairly sure ``text`` is in, or None."""
    if sum(ch.isalpha() for ch in text) < _MIN_LETTERS:
        return None
    language, confidence = _model().classify(text[:2000])
    return language if confidence >= _MIN_CONFIDENCE else None


def _model():
    global _identifier
    if _identifier is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def warm() -> None:
    """Load the model now (the poller does so in a worker thread, beside the matcher): loaded
    by the first ``detect`` in the event loop, it held every fetch for its load."""
    _model()


def language_of(declared: str | None, title: str, text: str) -> str | None:
    """The declared language when there is one, else the guess from the title and text."""
    return primary_tag(declared) or detect(f"{title}\n{text}")
