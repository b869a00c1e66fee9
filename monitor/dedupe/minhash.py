"""Text normalisation, MinHash signatures and LSH bands for story clusters. Pure.

A story's text is normalised (case, Unicode form, URLs, repost prefixes such as
"Reposted:", punctuation and whitespace), cut into word 3-shingles and summarised by a
MinHash signature of ``NUM_PERM`` 32-bit values. The signature is split into ``BANDS``
bands of ``ROWS`` values; two texts whose shingle sets have Jaccard similarity ``s`` share
at least one band with probability ``1 - (1 - s**ROWS) ** BANDS`` (0.18 → 0.64, 0.5 → 1.0).
Candidates found through the bands are confirmed on the estimated similarity.

Posts under ``SHORT_WORDS`` words have too few shingles for that: they cluster only on
exact normalised text (``exact_key``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

import numpy as np

NUM_PERM = 64
ROWS = 2
BANDS = NUM_PERM // ROWS
SHINGLE = 3
SHORT_WORDS = 20
HEADLINE_WORDS = 6
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_WORDS = re.compile(r"\w+", re.UNICODE)
_REPOST = re.compile(
    r"^\s*(?:(?:reposted|repost|reblogged|shared|forwarded|fwd|rt|via|перепост|репост)\b[^:\n]{0,40}:\s*)+",
    re.IGNORECASE,
)
_SEED = np.random.default_rng(20261123)
_A = _SEED.integers(1, 2**63, size=NUM_PERM, dtype=np.uint64) | np.uint64(1)
_B = _SEED.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64)
_MAX = np.uint32(0xFFFFFFFF)


@dataclass(frozen=True)
class Fingerprint:
    """What clustering needs of one post: its exact key, and for long posts the signature."""

    exact_key: str
    words: int
    shingles: int = 0
    signature: bytes | None = None

    @property
    def short(self) -> bool:
        return self.signature is None

    def bands(self) -> list[tuple[int, int]]:
        """(band number, band hash as a signed 64-bit int) for each LSH band."""
        return self._bands

    @cached_property
    def _bands(self) -> list[tuple[int, int]]:
        return bands(self.signature) if self.signature else []


def normalise_text(text: str) -> list[str]:
    """The words of ``text`` with case, URLs, repost prefixes and punctuation removed."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = _URL.sub(" ", _REPOST.sub("", text))
    return _WORDS.findall(text.replace("ё", "е"))


def _key(kind: str, words: list[str]) -> str:
    return hashlib.sha256(f"{kind}:{' '.join(words)}".encode("utf-8")).hexdigest()


def fingerprint(title: str, text: str) -> Fingerprint:
    """The fingerprint of a post from its title and text."""
    head, body = normalise_text(title), normalise_text(text)
    words = body if head and body[: len(head)] == head else head + body
    if len(words) >= SHORT_WORDS:
        shingles = _shingle_hashes(words)
        return Fingerprint(_key("text", words), len(words), len(shingles), signature(shingles))
    # A short item: its headline, when it has one of some length, names the story (two outlets,
    # one headline, each its own one-line summary); otherwise the whole normalised text.
    key = _key("headline", head) if len(head) >= HEADLINE_WORDS else _key("text", words)
    return Fingerprint(key, len(words))


def _shingle_hashes(words: list[str]) -> np.ndarray:
    grams = {" ".join(words[i : i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    digests = [int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=4).digest(), "little") for g in grams]
    return np.array(sorted(digests), dtype=np.uint64)


def signature(shingles: np.ndarray) -> bytes:
    """The MinHash signature (``NUM_PERM`` little-endian uint32) of 32-bit shingle hashes."""
    with np.errstate(over="ignore"):
        hashed = (np.outer(shingles, _A) + _B) >> np.uint64(32)  # multiply-shift hashing mod 2**64
    return hashed.min(axis=0).astype("<u4").tobytes()


def bands(signature_bytes: bytes) -> list[tuple[int, int]]:
    """The LSH band hashes of a signature: (band number, signed 64-bit hash)."""
    width = ROWS * 4
    return [
        (n, int.from_bytes(hashlib.blake2b(signature_bytes[n * width : (n + 1) * width], digest_size=8).digest(), "little", signed=True))
        for n in range(BANDS)
    ]


def similarity(a: bytes, b: bytes) -> float:
    """The Jaccard similarity of two posts' shingle sets, estimated from their signatures."""
    return float(np.mean(np.frombuffer(a, dtype="<u4") == np.frombuffer(b, dtype="<u4")))


def containment(jaccard: float, size_a: int, size_b: int) -> float:
    """The share of the smaller shingle set inside the larger one, given their Jaccard similarity."""
    if not size_a or not size_b:
        return 0.0
    shared = jaccard * (size_a + size_b) / (1 + jaccard)
    return min(1.0, shared / min(size_a, size_b))
