"""The embedded broker: kombu's filesystem transport, with messages that appear whole.

kombu 5.7 writes a message into its final name (``open``, then ``write``) while a consumer may
at any moment move each ``*.msg`` file away and read it. One caught between the two read
nothing: the task was gone and the worker ended ("Unrecoverable error"), the likeliest cause
of a CI run's timed-out worker test (whose log was not kept then; a timed-out wait shows it
now). 2,000 messages put while a consumer polled without pause lost 10 on an idle machine and
727 beside three busy processes.

Here a message is written under a name no consumer takes and renamed into place once whole;
``rename`` within one folder is atomic, so a consumer sees a whole message or none. Taking one
renames it into our processed folder, on the same file system, so two consumers never both
take it (kombu's fallback, the system temporary folder, may be a copy across file systems).
A message that cannot be read all the same (written by something else) is set aside there
with an error line, and the worker goes on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from queue import Empty
from time import monotonic_ns

from kombu.exceptions import ChannelError
from kombu.transport import filesystem, virtual
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

# Not ``<anything>.<queue>.msg``, what kombu's consumer takes: a partial message stays unseen.
PARTIAL_SUFFIX = ".part"
UNREADABLE_SUFFIX = ".unreadable"
log = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # kombu's names start with the millisecond, so two messages of one millisecond came out
        # in random order; nanoseconds, zero-padded, sort as they were sent.
        name = f"{monotonic_ns():020d}_{uuid.uuid4()}.{queue}.msg"
        partial = os.path.join(self.data_folder_out, f".{name}{PARTIAL_SUFFIX}")
        try:
            with open(partial, "wb") as out:
                out.write(str_to_bytes(dumps(payload)))
            os.replace(partial, os.path.join(self.data_folder_out, name))
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise ChannelError(f"cannot add a message to {self.data_folder_out!r}") from exc

    def _get(self, queue):
        wanted = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != wanted:
                continue
            taken = os.path.join(self.processed_folder, name)
            try:
                os.rename(os.path.join(self.data_folder_in, name), taken)
            except OSError:
                continue  # another consumer took it first
            try:
                with open(taken, "rb") as message:
                    payload = message.read()
            except OSError as exc:
                raise ChannelError(f"cannot read a message taken from {self.data_folder_in!r}") from exc
            try:
                decoded = loads(bytes_to_str(payload))
            except ValueError:
                # kombu let this end the worker ("Unrecoverable error"). Kept aside, not lost.
                os.replace(taken, taken + UNREADABLE_SUFFIX)
                log.error("unreadable message set aside: %s", taken + UNREADABLE_SUFFIX)
                continue
            if not self.store_processed:
                os.remove(taken)
            return decoded
        raise Empty()


class Transport(filesystem.Transport):
    """kombu's filesystem transport with whole messages, and a record of bindings per folder.

    kombu keeps one record of declared exchanges and bindings for the whole process, though
    what it records is written to one control folder: a process that then used a second
    folder skipped writing its bindings there, and what it sent through them went nowhere.
    """

    Channel = Channel
    _states: dict[str, virtual.BrokerState] = {}

    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        folder = os.path.abspath(client.transport_options.get("control_folder", "control"))
        self.state = self._states.setdefault(folder, virtual.BrokerState())
