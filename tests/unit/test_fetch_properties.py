"""Properties of the small parsers and writers on the fetch path, over generated input.

Each reads untrusted text (a URL, a Retry-After header, a login answer, feed text bound for
the database) and must answer within its contract, never with an unplanned exception.
"""

from __future__ import annotations

import ipaddress
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.core.storage import storable
from monitor.ingest.addresses import AddressRefused, is_public, origin_of, resolve_checked
from monitor.ingest.fetch import MAX_RETRY_AFTER, parse_retry_after
from monitor.sources.base import ItemList, Parsed, convert_each
from monitor.sources.bluesky_login import _read_tokens

ipv4 = st.integers(min_value=0, max_value=2**32 - 1).map(ipaddress.IPv4Address)


@given(ipv4)
def test_an_ipv4_address_is_public_exactly_when_its_ipv6_forms_are(address):
    embedded = int(address)
    forms = [
        ipaddress.IPv6Address(f"::ffff:{address}"),
        ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | embedded),
        ipaddress.IPv6Address((0x2002 << 112) | (embedded << 80) | 1),
    ]
    assert all(is_public(form) == is_public(address) for form in forms)


@given(st.text(max_size=200))
def test_any_url_text_is_read_as_an_origin_or_none_and_refused_with_one_line_or_resolved(text):
    origin = origin_of(text)
    assert origin is None or (isinstance(origin, tuple) and len(origin) == 3)
    if not text.startswith(("http://", "https://")):
        with pytest.raises(AddressRefused) as refused:
            resolve_checked(text, allow_private=False)
        assert "\n" not in str(refused.value)


@given(st.one_of(st.text(max_size=60), st.from_regex(r"\d{1,400}", fullmatch=True), st.none()))
def test_retry_after_is_none_or_a_bounded_wait(value):
    wait = parse_retry_after(value)
    assert wait is None or 0.0 <= wait <= MAX_RETRY_AFTER


@given(st.text())
def test_storable_text_has_no_nul_and_encodes_and_keeps_clean_text_as_is(text):
    stored = storable(text)
    assert "\x00" not in stored
    stored.encode("utf-8")
    try:
        text.encode("utf-8")
        clean = "\x00" not in text
    except UnicodeEncodeError:
        clean = False
    assert (stored == text) if clean else len(stored) <= len(text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)


@given(st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())))
def test_a_login_answer_gives_tokens_or_a_value_error(body):
    try:
        tokens = _read_tokens(body)
    except ValueError:
        return
    assert isinstance(tokens.access, str) and tokens.access


@given(st.lists(st.one_of(st.integers(), st.text(max_size=5), st.none()), max_size=20))
def test_convert_each_keeps_what_converts_and_counts_what_raises(raws):
    def convert(raw):
        if isinstance(raw, int):
            raise OverflowError("too far")
        return raw

    items = convert_each(raws, convert)
    assert isinstance(items, ItemList) and items == [r for r in raws if isinstance(r, str)]
    assert items.skipped == sum(isinstance(r, int) for r in raws)
    assert Parsed(items).skipped == items.skipped
    assert items.first_error == ("OverflowError" if items.skipped else None)
