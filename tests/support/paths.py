"""Where things are, wherever a test module sits in the tree."""

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"  # data the tests serve (feeds, platform answers)
ARTIFACTS = TESTS / "artifacts"  # screenshots the browser tests save
MATCHING_CORPUS = TESTS / "matching_corpus"
