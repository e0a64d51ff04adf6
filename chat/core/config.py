"""The core's settings: the numbers its rules use, read once from the app's configuration."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Settings:
    """The limits and sizes the chat's rules apply (chat/settings/declared.py documents each key)."""

    default_room: str = "general"
    max_message_length: int = 2000
    rooms_per_connection: int = 10
    history_limit: int = 50
    history_page_max: int = 100
    history_max_bytes: int = 100_000
    retention_messages: int = 0
    retention_seconds: float = 0
    max_mentions: int = 20
    seen_by_max: int = 50
    receipts_scan: int = 100
    max_emoji_length: int = 16
    max_ban_seconds: int = 7 * 86400
    max_mute_seconds: int = 7 * 86400
    max_moderation_reason: int = 200
    guest_lifetime_seconds: float = 7 * 86400

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Settings":
        """Read the settings from a Flask config mapping, by their config keys."""
        return cls(
            default_room=config["DEFAULT_ROOM"],
            max_message_length=config["MAX_MESSAGE_LENGTH"],
            rooms_per_connection=config["ROOMS_PER_CONNECTION"],
            history_limit=config["HISTORY_LIMIT"],
            history_page_max=config["HISTORY_PAGE_MAX"],
            history_max_bytes=config["HISTORY_MAX_BYTES"],
            retention_messages=config["RETENTION_MESSAGES"],
            retention_seconds=config["RETENTION_DAYS"] * 86400,
            max_mentions=config["MAX_MENTIONS"],
            seen_by_max=config["SEEN_BY_MAX"],
            receipts_scan=config["RECEIPTS_SCAN"],
            max_emoji_length=config["MAX_EMOJI_LENGTH"],
            max_ban_seconds=config["MAX_BAN_SECONDS"],
            max_mute_seconds=config["MAX_MUTE_SECONDS"],
            max_moderation_reason=config["MAX_MODERATION_REASON"],
            guest_lifetime_seconds=config["GUEST_LIFETIME_DAYS"] * 86400,
        )
