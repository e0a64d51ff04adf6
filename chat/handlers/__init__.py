"""Socket.IO event handlers for both protocols: the original gateway's and the full one.

Each handler is short: check the payload's shape (chat/validation.py), call one operation of
the chat's core (chat/core/) with the connection's id, acknowledge. The core decides who may
do what and announces through its port (chat/events.py, with the registration decorators).
Every event, payload and audience is listed in docs/protocol.md. The handlers live by
concern: connections.py (connect, disconnect), rooms.py (list, create, join, leave, rename),
messages.py (messages, history, typing, unknown events, internal errors), dms.py (direct
messages), changes.py (edits, deletions, reactions), reads.py (read markers) and
moderation.py (owners' and administrators' removals, bans, mutes). No handler module
imports another. Clients are grouped in Socket.IO rooms (named in chat/model.py, because the
deliveries address them too):

- ``seed``: clients of the original gateway's protocol, which live in the default room;
- ``full``: full-protocol clients;
- ``room:<name>``: full-protocol connections in a chat room;
- ``person:<id>``: the connections of one person;
- ``full-person:<id>``: that person's full-protocol connections: their direct messages, read
  markers and receipts.

No client is in both ``seed`` and a ``room:`` group, so none receives a message twice.
"""

from . import changes, connections, dms, messages, moderation, reads, rooms  # noqa: F401  (registers them)
