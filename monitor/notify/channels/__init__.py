"""Spike alerts where the team talks (issue 21): Telegram, Matrix, Signal, Slack, ntfy, e-mail …
through Apprise, beside the alert e-mails and webhook of ``monitor.notify.alerts``.

- ``refs``: ``env:NAME`` references, the only way the config names a channel URL.
- ``sealing``: channel URLs an admin entered, encrypted with a key derived from the secret key.
- ``channels``: which channels a spike goes to, and each one's URL.
- ``send``: one message to one URL through Apprise, through ``MONITOR_PROXY_URL`` when set.

A channel is a ``SpikeAlert`` row like the others (``apprise:r<recipient id>:<NAME>`` or
``apprise:c<channel id>``), so it is claimed once per spike and retried alone. Errors::

    ChannelError(message, permanent)   one line, never the URL (it holds a token)
"""


class ChannelError(Exception):
    """A channel could not be resolved or delivered; ``permanent`` when retrying cannot help."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent
