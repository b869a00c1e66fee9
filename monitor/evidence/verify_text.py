"""``data/VERIFY.md`` of an evidence bundle: how a lawyer checks it, in plain words."""

VERIFY_MD = """# How to check this evidence bundle

This bundle was exported by the mention monitor for **{person}** on {exported} (UTC).
It is a BagIt bag (RFC 8493): every file under `data/` is listed, with its SHA-256
fingerprint, in `manifest-sha256.txt`. A SHA-256 fingerprint changes completely if even
one byte of the file changes.

## 1. Every file is what was exported

Unzip the bundle, open a terminal in the folder that holds `bagit.txt`, and run:

    sha256sum -c manifest-sha256.txt

Every line must end in `OK`. (On macOS: `shasum -a 256 -c manifest-sha256.txt`.)

## 2. The captures existed at the time stamped

`data/warc/` holds each captured exchange byte for byte, as a WARC record (ISO 28500),
named by its own SHA-256. `data/media/` holds screenshots and PDFs, named the same way.
Check a name with `sha256sum data/warc/FILE`.

Every hour the monitor lists the fingerprints of new captures in a manifest, one per line,
and sends the fingerprint of that manifest (and nothing else: no text, no name, no address)
to one or more independent timestamp authorities (RFC 3161). Each signs it with the time.
For each signature `data/timestamps/` holds three files with one name:

- `NAME.txt`: the manifest (the exact bytes that were stamped);
- `NAME.tsr`: the authority's signed answer;
- `NAME.chain.pem`: the authority's certificate chain.

Check one with:

    openssl ts -verify -in data/timestamps/NAME.tsr -data data/timestamps/NAME.txt \
        -CAfile data/timestamps/NAME.chain.pem -untrusted data/timestamps/NAME.chain.pem

It must print `Verification: OK`. Then find a capture's fingerprint in that manifest:

    grep FINGERPRINT data/timestamps/*.txt

`openssl ts -reply -in data/timestamps/NAME.tsr -text` shows the time and the authority.
The chain file comes from the bundle itself: compare its root certificate with the one
the authority publishes (or pass your own copy with `-CAfile`).

## 3. The custody log holds

`data/custody.jsonl` is the monitor's custody log from this person's first event on:
captured, timestamped, viewed, labelled, re-checked, exported — who, when, what. Each event
carries the fingerprint of the event before it, so no event can be removed, changed or
reordered without breaking every fingerprint after it; the database refuses changes to it.
Events about other people appear only as their fingerprints, so the chain can be checked
and nothing about anyone else is disclosed. `monitor evidence verify BUNDLE.zip` checks
the chain, every fingerprint and every timestamp in one step.

## 4. Viewing the captures

`data/captures.wacz` packs the same WARC records for replay: open it in
ReplayWeb.page (https://replayweb.page). `data/items.jsonl` lists each mention as the
monitor extracted it, with the captures that belong to it.

## What a capture proves, and what it does not

- It shows what **our monitor received** from that address at that time, byte for byte,
  and the timestamps show those bytes existed no later than the stamped time.
- It does **not** prove on its own that the platform or the author published it: HTTPS
  (TLS) protects the connection but gives no non-repudiation — the server signs nothing a
  third party could check later. Corroborate with other captures, witnesses or the platform.
- Credentials in requests (login headers, cookies, keys) were replaced by a marker before
  storage; each WARC request record says so. Nothing else was changed.
"""
