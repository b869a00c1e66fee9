"""Plain text from untrusted feed HTML: tags dropped, script/style contents dropped,
block boundaries kept as spaces so that words never run together."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = {"script", "style", "template", "noscript", "iframe", "object"}
_SPACE = re.compile(r"\s+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self._skipping += 1
        self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in _SKIP and self._skipping:
            self._skipping -= 1
        self.parts.append(" ")

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str | None) -> str:
    """The visible text of an HTML fragment, whitespace folded to single spaces."""
    if not html or not isinstance(html, str):  # JSON feeds may put a number or a list here
        return ""
    if "<" not in html and "&" not in html:
        return _SPACE.sub(" ", html).strip()
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return _SPACE.sub(" ", "".join(collector.parts)).strip()
