"""Long-running streams matched locally: Bluesky Jetstream and Mastodon streaming.

One stream process per deployment (``monitor stream``) consumes every enabled stream.
It sends nothing about the watch list anywhere: it reads the whole public stream and
matches here, with the same matcher and the same write path as polling.

- ``entries``: the ``[stream.NAME]`` config tables (pure pydantic);
- ``events``: pure parsers, one frame in, a ``StreamEvent`` out or ``BadEvent``;
- ``state``: storage of stream sources, cursors, counters and the deployment lease;
- ``sink``: match, dedupe and store a batch of events, with the cursor, in one transaction;
- ``jetstream`` / ``mastodon``: the connections, reconnecting with bounded jittered backoff;
  Mastodon falls back to polling the tag timelines when streaming is refused (401);
- ``runner``: claims the lease, runs the consumers, renews the lease, stops after N seconds.

Kept light: the config schema imports ``entries`` from here.
"""
