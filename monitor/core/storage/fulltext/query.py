"""The search box's syntax, as PostgreSQL's ``websearch_to_tsquery`` reads it, parsed in Python.

``court "Vladimir Vorontsov" -prison appeal or verdict`` is: the word court, the phrase, not the
word prison, and appeal or verdict. Words are runs of letters and digits; any other character
separates them, so a hostile string yields fewer terms, never an error. ``or`` joins the terms
beside it (it binds tighter than the implied "and"), as in websearch_to_tsquery. A query with
no word at all parses to no terms. Parsed here rather than handed to the database whole so that
both databases read it alike, and so an excluded word is excluded in every configuration (an
``OR`` of whole per-configuration queries would let the simple one readmit "Воронцова" after
``-Воронцов``). Considered: ``shlex`` (raises on an unbalanced quote; a search box must not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORD = re.compile(r"\w+")
TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
MAX_TERMS = 32  # a pasted essay is searched for its first words, in bounded time
MAX_QUERY = 1000


@dataclass(frozen=True)
class Group:
    """Terms of which any one must be present (``negated``: none may be); a term is its words,
    a phrase when there are several."""

    terms: tuple[tuple[str, ...], ...]
    negated: bool = False


def words(text: str) -> tuple[str, ...]:
    """The words of ``text``, lower-cased (the tokenizers fold case too)."""
    return tuple(w.lower() for w in WORD.findall(text.replace("\x00", " ")))[:MAX_TERMS]


def parse(query: str) -> list[Group]:
    """``query`` as a conjunction of groups; empty when it holds no word."""
    groups: list[Group] = []
    joining = False
    for match in TOKEN.finditer(query[:MAX_QUERY]):
        negated, phrase, bare = match.group(1) == "-", match.group(2), match.group(3)
        if bare is not None:
            if bare.lower() == "or" and groups and not groups[-1].negated:
                joining = True
                continue
            negated, bare = bare.startswith("-"), bare.lstrip("-")
        term = words(phrase if bare is None else bare)
        if not term:
            continue
        if joining and not negated:
            groups[-1] = Group(groups[-1].terms + (term,))
        else:
            groups.append(Group((term,), negated))
        joining = False
        if len(groups) >= MAX_TERMS:
            break
    return groups
