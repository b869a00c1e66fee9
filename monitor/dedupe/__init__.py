"""Deciding what is the same post and what is the same story.

* ``urls``: canonical URLs (tracking parameters, hosts, AMP and redirect wrappers).
* ``identity``: a post's identity across a platform, so a boost is a sighting of its original.
* ``minhash``: text normalisation, MinHash signatures and LSH bands; pure.

Pure: no database. Story-cluster assignment against the bands stored in the database lives with
storage (``monitor.core.storage.clusters``).
"""

from monitor.dedupe.identity import global_identity
from monitor.dedupe.minhash import Fingerprint, fingerprint, normalise_text
from monitor.dedupe.urls import canonical_url, story_key

__all__ = ["Fingerprint", "canonical_url", "fingerprint", "global_identity", "normalise_text", "story_key"]
