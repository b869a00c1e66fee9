"""The WARC writer and the credential scrubber, on any input (Hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from monitor.core.warc import REDACTED, Exchange, Revisit, records, scrub_headers, scrub_url
from tests.support.evidence import warc_records

SECRET = "Zq9SECRETvalue"
header_names = st.from_regex(r"[A-Za-z][A-Za-z0-9\-]{0,20}", fullmatch=True)
header_values = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_categories=("Cs",)), max_size=40)
query_values = st.text(
    st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="&#=%"), min_size=1, max_size=20
)


@given(
    body=st.binary(max_size=4000),
    status=st.integers(100, 599),
    headers=st.dictionaries(header_names, header_values, max_size=6),
    value=query_values,
)
@hsettings(max_examples=150, deadline=None)
def test_records_read_back_with_the_body_byte_for_byte_and_no_credential(body, status, headers, value):
    exchange = Exchange(
        url=f"https://api.example.org/v1/items?q={value}&access_token={SECRET}",
        status=status,
        request_headers={**headers, "Authorization": f"Bearer {SECRET}", "Cookie": f"s={SECRET}"},
        response_headers={**headers, "Content-Encoding": "gzip"},
        body=body,
        captured_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
    )
    made = records(exchange)
    [(rtype, warc, line, received, payload)] = warc_records(made.response)
    assert (rtype, payload, line.split()[0]) == ("response", body, str(status))
    assert warc["WARC-Date"] == "2026-12-01T10:00:00Z" and received["Content-Length"] == str(len(body))
    [(qtype, qwarc, _, sent, _)] = warc_records(made.request)
    assert qtype == "request" and qwarc["WARC-Concurrent-To"] == warc["WARC-Record-ID"]
    assert SECRET not in made.request.decode("latin-1") and SECRET not in made.url
    assert sent["Authorization"] == REDACTED and f"q={value}" in made.url
    assert {"header Authorization", "header Cookie", "query access_token"} <= set(made.transform.split("; "))
    assert "body decoded from content-encoding gzip" in made.transform


@given(url=st.text(max_size=200))
@hsettings(max_examples=300, deadline=None)
def test_scrub_url_never_raises_and_is_idempotent(url):
    try:
        once, _ = scrub_url(url)
    except ValueError:  # urlsplit refuses some (an invalid IPv6 literal): the fetcher never fetched those
        return
    assert scrub_url(once)[0] == once


@given(headers=st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=8))
@hsettings(max_examples=200, deadline=None)
def test_scrubbed_headers_hold_no_line_break_and_keep_every_name(headers):
    kept, replaced = scrub_headers(headers)
    assert len(kept) == len(headers)
    assert not any(ch in name + value for name, value in kept for ch in "\r\n\x00")
    assert all(value == REDACTED for name, value in kept if f"header {name.title()}" in replaced)


def test_an_identical_body_is_a_revisit_record_without_the_body():
    first = Revisit(
        url="https://x.example/feed", captured_at=datetime(2026, 12, 1, tzinfo=UTC), payload_sha256="ab" * 32
    )
    made = records(Exchange(url="https://x.example/feed", status=200, body=b"<rss/>" * 100), revisit_of=first)
    [(rtype, warc, _, _, payload)] = warc_records(made.response)
    assert rtype == "revisit" and payload == b"" and warc["WARC-Payload-Digest"] == "sha256:" + "ab" * 32
    assert warc["WARC-Refers-To-Target-URI"] == "https://x.example/feed"
