"""Check what clients send: one function per kind of input, each raising ChatError."""


class ChatError(Exception):
    """A client request refused, with a machine code and a reason a person can read."""

    def __init__(self, code, reason):
        super().__init__(reason)
        self.code = code
        self.reason = reason

    def as_dict(self):
        return {"error": self.reason, "code": self.code}


def _kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (bytes, bytearray)):
        return "binary data"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def message_text(args, max_length):
    """Return the message text from a ``newMessage`` event's arguments, exactly as sent.

    Raise ChatError unless there is exactly one argument, a string that is not blank
    and has at most ``max_length`` code points.
    """
    if len(args) != 1:
        raise ChatError("bad_arguments", f"newMessage takes one argument, the message text; got {len(args)}")
    text = args[0]
    if not isinstance(text, str):
        raise ChatError("not_text", f"the message must be a string, not {_kind(text)}")
    if not text.strip():
        raise ChatError("empty", "the message is empty")
    if len(text) > max_length:
        raise ChatError("too_long", f"the message is too long: {len(text):,} characters, the limit is {max_length:,}")
    return text
