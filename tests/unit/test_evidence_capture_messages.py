"""The WebSocket message writer, on any input (Hypothesis): the message reads back byte for
byte as a ``resource`` record, and no credential of the URL or the handshake survives."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from monitor.core.warc import REDACTED, Message, message_records
from tests.support.evidence import plain, warc_records

SECRET = "Zq9SECRETvalue"
header_names = st.from_regex(r"[A-Za-z][A-Za-z0-9\-]{0,20}", fullmatch=True)
header_values = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_categories=("Cs",)), max_size=40)
# Names under which streams and APIs pass a credential in the URL.
secret_params = st.sampled_from(["access_token", "token", "api_key", "apikey", "key", "auth", "sig", "password"])
secret_headers = st.sampled_from(["Authorization", "Cookie", "X-Api-Key", "Proxy-Authorization", "X-Auth-Token"])
query_values = st.text(
    st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="&#=%"), min_size=1, max_size=20
)


@given(
    body=st.binary(max_size=4000),
    headers=st.dictionaries(header_names, header_values, max_size=6),
    param=secret_params,
    header=secret_headers,
    value=query_values,
    path=st.from_regex(r"/[a-z0-9/]{0,30}", fullmatch=True),
)
@hsettings(max_examples=150, deadline=None)
def test_a_message_reads_back_byte_for_byte_and_no_credential_is_kept(body, headers, param, header, value, path):
    message = Message(
        url=f"wss://stream.example.org{path}?wantedCollections={value}&{param}={SECRET}",
        body=body,
        request_headers={**headers, header: f"Bearer {SECRET}"},
        method="monitor 0.1.0 jetstream",
        transform="message decompressed from permessage-deflate",
        captured_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
    )
    made = message_records(message)
    [(kind, warc, _, _, payload)] = warc_records(made.response)
    assert (kind, payload) == ("resource", body) and warc["WARC-Date"] == "2026-12-01T10:00:00Z"
    assert warc["Monitor-Method"] == "monitor 0.1.0 jetstream" and warc["WARC-Target-URI"] == made.url
    [(qkind, qwarc, _, _, handshake)] = warc_records(made.request)
    assert qkind == "request" and qwarc["WARC-Concurrent-To"] == warc["WARC-Record-ID"]
    assert SECRET not in plain(made.request).decode("latin-1") and SECRET not in made.url
    assert f"{header}: {REDACTED}".encode() in handshake and f"wantedCollections={value}" in made.url
    changes = set(made.transform.split("; "))
    assert {f"query {param}", f"header {header.title()}", "message decompressed from permessage-deflate"} <= changes
    assert made.payload_sha256 == hashlib.sha256(body).hexdigest()
