"""Producers as Redis ACL users: each may XADD to its own intake stream and read its own rejections and lifecycle
stream, nothing else. The stream an entry is on is then what says who wrote it (Redis tells a consumer nothing of the
user that added an entry), so one producer cannot pass for another (ADR 0018)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Final

from redis.asyncio import Redis

from propos4l.shared.streams import producer_streams

__all__ = [
    "USER_PREFIX",
    "acl_config_line",
    "acl_rules",
    "apply_producer",
    "list_producers",
    "new_password",
    "producer_user",
    "revoke_producer",
]

USER_PREFIX: Final = "producer-"


def producer_user(source: str) -> str:
    """The Redis user of a producer: `producer-<source>` (raises ValueError for a name `producer_streams` refuses)."""
    producer_streams(source)
    return f"{USER_PREFIX}{source}"


async def list_producers(redis: Redis) -> list[str]:
    """The producers Redis knows: its users named `producer-<name>` (ACL USERS), sorted. The gateway reads each
    one's intake stream; a name that is not a valid producer name is left out."""
    users: Sequence[str] = await redis.execute_command("ACL", "USERS")  # type: ignore[no-untyped-call]
    found = []
    for user in users:
        name = user.decode() if isinstance(user, bytes) else str(user)
        if name.startswith(USER_PREFIX):
            try:
                producer_streams(name.removeprefix(USER_PREFIX))
            except ValueError:
                continue
            found.append(name.removeprefix(USER_PREFIX))
    return sorted(found)


def new_password() -> str:
    """A password for a producer (64 hexadecimal characters)."""
    return secrets.token_hex(32)


def acl_rules(source: str) -> list[str]:
    """What producer `source` may do, as ACL rules (Redis 7 selectors).

    Root permissions: XADD where it may write (its own intake stream only, `%W~`), read commands where it may read
    (its own rejections and lifecycle streams only, `%R~`): so it can read no intake (not even its own requests),
    nothing of another producer, and write none of the streams it reads. The selector lets it follow its streams
    with a consumer group of its own, and nothing else there (no XADD). Producer names hold no glob characters
    (`producer_streams`), so each pattern matches one key.
    """
    streams = producer_streams(source)
    read = (streams.lifecycle, streams.rejected)
    reading = [f"%R~{stream}" for stream in read]
    grouped = " ".join(
        [f"~{stream}" for stream in read]
        + ["resetchannels", "-@all"]
        + [
            f"+{command}"
            for command in (
                "xreadgroup",
                "xack",
                "xgroup|create",
                "xgroup|createconsumer",
                "xautoclaim",
                "xclaim",
                "xpending",
                "xinfo|groups",
                "xinfo|consumers",
            )
        ]
    )
    return [
        "resetkeys",
        "resetchannels",
        "-@all",
        "+ping",
        "+auth",
        "+hello",
        "+client|setname",
        "+client|id",
        f"%W~{streams.intake}",
        "+xadd",
        *reading,
        "+xread",
        "+xrange",
        "+xrevrange",
        "+xlen",
        "+xinfo|stream",
        f"({grouped})",
    ]


def acl_config_line(source: str, password: str) -> str:
    """The `user` line for a Redis config file (deploy/redis/producers.conf): the password as its SHA-256 only."""
    digest = hashlib.sha256(password.encode()).hexdigest()
    return " ".join(["user", producer_user(source), "reset", "on", f"#{digest}", *acl_rules(source)])


async def apply_producer(redis: Redis, source: str, password: str) -> None:
    """Create or reset the producer's user on a running Redis (ACL SETUSER), with the same rules as its config line."""
    digest = hashlib.sha256(password.encode()).hexdigest()
    await redis.execute_command(  # type: ignore[no-untyped-call]
        "ACL", "SETUSER", producer_user(source), "reset", "on", f"#{digest}", *acl_rules(source)
    )


async def revoke_producer(redis: Redis, source: str) -> bool:
    """Delete the producer's user on a running Redis (ACL DELUSER, which also closes its connections); whether it
    existed. The gateway stops reading its intake stream at its next look at the users."""
    deleted = await redis.execute_command("ACL", "DELUSER", producer_user(source))  # type: ignore[no-untyped-call]
    return int(deleted) > 0
