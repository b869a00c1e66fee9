"""Appending a ``[[source]]`` to the TOML config without disturbing the rest of the file.

The file's text is kept byte for byte (comments, order, spacing) and the new table is
appended at its end; the result is parsed and validated as a whole before anything is
written, and written atomically (a temporary file renamed over the old one, same mode), so a
failure leaves the file as it was. tomlkit (a round-trip TOML editor) was considered but is
not a dependency; an appended table needs only TOML's basic-string escaping, done here.

Errors::

    ConfigError   one line: the file, and why the source cannot be added (a duplicate URL, …)
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path

from monitor.core.config_file import ConfigError, Watchlist, parse_watchlist

# TOML basic strings: these must be escaped; every other control character as \uXXXX.
ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string, quotes included."""
    out = []
    for ch in value:
        if ch in ESCAPES:
            out.append(ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def source_block(url: str, name: str | None = None) -> str:
    """The ``[[source]]`` table for ``url`` (and ``name``), as appended text."""
    lines = ["[[source]]", f"url = {toml_string(url)}"]
    if name:
        lines.append(f"name = {toml_string(name)}")
    return "\n".join(lines) + "\n"


def append_source(path: Path | str, url: str, *, name: str | None = None) -> Watchlist:
    """Append a ``[[source]]`` for ``url`` to the config at ``path``; the validated new watchlist.

    Raises ``ConfigError`` (nothing written) when the file is unreadable or invalid, already
    lists ``url``, or would be invalid with it.
    """
    path = Path(path)
    try:
        old = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    if url in {source.url for source in _parsed(old, path).sources}:
        raise ConfigError(f"{path}: source {url!r} is already in the config")
    separator = "" if not old or old.endswith("\n\n") else ("\n" if old.endswith("\n") else "\n\n")
    new = old + separator + source_block(url, name)
    watchlist = _parsed(new, path)
    _write_atomically(path, new)
    return watchlist


def _parsed(text: str, path: Path) -> Watchlist:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_watchlist(raw, str(path))


def _write_atomically(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
