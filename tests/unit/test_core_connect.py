"""Connecting in the core: the step after CONNECT, and what reaches a connection once, with a fake port."""

from support.core import full


def ids_heard(port, connection, room):
    """Return the ids of ``room``'s messages ``connection`` heard, live or in a history, in order."""
    ids = []
    for record in port.records:
        if connection not in record.heard_by or record.data.get("room") != room:
            continue
        if record.event == "room-message":
            ids.append(record.data["id"])
        elif record.event == "history":
            ids += [message["id"] for message in record.data["messages"]]
    return ids


def test_a_dm_message_sent_while_a_connection_arrives_reaches_it_once(core):
    """Deliver a DM message sent between a reconnect's connect and its catch-up once: live or in the history, not both."""
    chat, port = core
    full(chat, "a1", "Alice")
    bob = full(chat, "b1", "Bob")
    dm = chat.dms.open("a1", bob.id)["id"]
    chat.messages.send("a1", dm, "one", None, [])
    chat.messages.send("a1", dm, "two", None, [])
    [welcome] = port.heard("b1", "welcome")
    chat.connections.disconnect("b1", True)
    # Bob reconnects having seen id 1; Alice writes while his connection is being set up.
    auth = {"protocol": 2, "guest": welcome["guest"], "rooms": ["general", dm], "lastSeen": {dm: 1}}
    handshake = chat.connections.handshake(auth)
    member, departures = chat.connections.connect("b2", handshake, "203.0.113.1", None)
    chat.messages.send("a1", dm, "three", None, [])
    chat.connections.arrive("b2", handshake, member, departures)
    chat.messages.send("a1", dm, "four", None, [])
    assert member.id == bob.id
    assert ids_heard(port, "b2", dm) == [2, 3, 4]


def test_a_tab_resumes_its_guest_whatever_connects_it_gave_up_on(core):
    """Keep a tab its guest across connects it never heard back from, and leave a late one of them out.

    The tab connects (session opened at 100) and gets its welcome; its next connect (110)
    reaches presence but not the tab (its process was killed before CONNECT); the one
    after (120), with the first welcome's secret, is the same guest. A connect it gave up
    on reaching presence last (opened at 115, its process stopped meanwhile) is a new guest.
    """
    chat, port = core

    def connect(connection, auth, opened):
        handshake = chat.connections.handshake(auth, opened)
        member, departures = chat.connections.connect(connection, handshake, "203.0.113.1", None)
        chat.connections.arrive(connection, handshake, member, departures)
        return member

    first = connect("t1", {"protocol": 2, "name": "Alice", "rooms": ["general"]}, 100.0)
    [welcome] = port.heard("t1", "welcome")
    again = {"protocol": 2, "rooms": ["general"], "guest": welcome["guest"], "resume": welcome["resume"]}
    assert connect("t2", again, 110.0) == first
    assert connect("t3", again, 120.0) == first
    late = connect("t4", again, 115.0)
    assert late.id != first.id and chat.presence.connections_of_person(first.id) == {"t3"}
