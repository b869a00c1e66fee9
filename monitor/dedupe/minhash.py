"""Text normalisation, MinHash signatures and LSH bands for story clusters. Pure.

A story's text is normalised (case, Unicode form, URLs, repost prefixes such as
"Reposted:", punctuation and whitespace), cut into word 3-shingles and summarised by a
MinHash signature of ``NUM_PERM`` 32-bit values, from which similarity is estimated.

The LSH index uses the first ``BANDS`` hash functions, one value per band: two texts whose
shingle sets have Jaccard similarity ``s`` share at least one band with probability
``1 - (1 - s) ** BANDS`` (0.1 → 0.81, 0.3 → 0.997, 0.5 → 1.0), better recall at the
confirmation thresholds than 32 bands of two values, with half the index rows. A band key
is the band's full 64-bit minimum (which names the minimising shingle, so unrelated texts
collide only when they share that shingle) with the band number in its top bits: one
bigint per band. Candidates found through the bands are confirmed on the estimated similarity.

Posts under ``SHORT_WORDS`` words have too few shingles for that: they cluster only on
exact normalised text (``exact_key``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

NUM_PERM = 64
BANDS = 16
_BAND_BITS = 59  # band number above bit 59, the minimum's top 59 bits below: a non-negative int64
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
    band_keys: tuple[int, ...] = ()

    @property
    def short(self) -> bool:
        return self.signature is None

    def bands(self) -> tuple[int, ...]:
        """The LSH band keys (``BANDS`` non-negative 64-bit ints); none for a short post."""
        return self.band_keys


def normalise_text(text: str) -> list[str]:
    """The words of ``text`` with case, URLs, repost prefixes and punctuation removed."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = _URL.sub(" ", _REPOST.sub("", text))
    return _WORDS.findall(text.replace("ё", "е"))


def _key(kind: str, words: list[str]) -> str:
    return hashlib.sha256(f"{kind}:{' '.join(words)}".encode()).hexdigest()


def fingerprint(title: str, text: str) -> Fingerprint:
    """The fingerprint of a post from its title and text."""
    head, body = normalise_text(title), normalise_text(text)
    words = body if head and body[: len(head)] == head else head + body
    if len(words) >= SHORT_WORDS:
        shingles = _shingle_hashes(words)
        minima = _minima(shingles)
        return Fingerprint(_key("text", words), len(words), len(shingles), _signature(minima), _band_keys(minima))
    # A short item: its headline, when it has one of some length, names the story (two outlets,
    # one headline, each its own one-line summary); otherwise the whole normalised text.
    key = _key("headline", head) if len(head) >= HEADLINE_WORDS else _key("text", words)
    return Fingerprint(key, len(words))


def _shingle_hashes(words: list[str]) -> np.ndarray:
    grams = {" ".join(words[i : i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    digests = [int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=4).digest(), "little") for g in grams]
    return np.array(sorted(digests), dtype=np.uint64)


def _minima(shingles: np.ndarray) -> np.ndarray:
    """The 64-bit minimum of each of the ``NUM_PERM`` hash functions over the shingle hashes."""
    with np.errstate(over="ignore"):
        return (np.outer(shingles, _A) + _B).min(axis=0)  # multiply-shift hashing mod 2**64


def signature(shingles: np.ndarray) -> bytes:
    """The MinHash signature (``NUM_PERM`` little-endian uint32) of 32-bit shingle hashes."""
    return _signature(_minima(shingles))


def _signature(minima: np.ndarray) -> bytes:
    # The top 32 bits of the minimum are the minimum of the top 32 bits: the classic signature.
    return (minima >> np.uint64(32)).astype("<u4").tobytes()


def _band_keys(minima: np.ndarray) -> tuple[int, ...]:
    keys = (np.arange(BANDS, dtype=np.uint64) << np.uint64(_BAND_BITS)) | (minima[:BANDS] >> np.uint64(64 - _BAND_BITS))
    return tuple(keys.tolist())


def similarity(a: bytes, b: bytes) -> float:
    """The Jaccard similarity of two posts' shingle sets, estimated from their signatures."""
    return float(np.mean(np.frombuffer(a, dtype="<u4") == np.frombuffer(b, dtype="<u4")))


def containment(jaccard: float, size_a: int, size_b: int) -> float:
    """The share of the smaller shingle set inside the larger one, given their Jaccard similarity."""
    if not size_a or not size_b:
        return 0.0
    shared = jaccard * (size_a + size_b) / (1 + jaccard)
    return min(1.0, shared / min(size_a, size_b))
