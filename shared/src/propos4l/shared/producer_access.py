"""Producers as Redis ACL users: each may XADD to the intake stream and read the public streams, nothing else."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Final

from redis.asyncio import Redis

from propos4l.shared.streams import Stream

__all__ = ["acl_config_line", "acl_rules", "apply_producer", "new_password", "producer_user"]

_NAME: Final = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
_READ: Final = (Stream.PROPOSAL_LIFECYCLE.value, Stream.INTAKE_REJECTED.value)


def producer_user(source: str) -> str:
    """The Redis user of a producer: `producer-<source>`, with the name it writes as `source`."""
    if not _NAME.fullmatch(source):
        raise ValueError(f"{source!r} is not a producer name: lower-case letters, digits, '.', '_' and '-'")
    return f"producer-{source}"


def new_password() -> str:
    """A password for a producer (64 hexadecimal characters)."""
    return secrets.token_hex(32)


def acl_rules() -> list[str]:
    """What a producer may do, as ACL rules (Redis 7 selectors).

    Root permissions: XADD where it may write (the intake stream only, `%W~`), read commands where it may read (the
    public streams only, `%R~`): so it can neither read the intake (other producers' requests) nor write to the
    public streams. The selector lets it follow the public streams with a consumer group of its own, and nothing
    else there (no XADD).
    """
    reading = [f"%R~{stream}" for stream in _READ]
    grouped = " ".join(
        [f"~{stream}" for stream in _READ]
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
        f"%W~{Stream.INTAKE_PROPOSAL_REQUESTED.value}",
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
    return " ".join(["user", producer_user(source), "reset", "on", f"#{digest}", *acl_rules()])


async def apply_producer(redis: Redis, source: str, password: str) -> None:
    """Create or reset the producer's user on a running Redis (ACL SETUSER), with the same rules as its config line."""
    digest = hashlib.sha256(password.encode()).hexdigest()
    await redis.execute_command(  # type: ignore[no-untyped-call]
        "ACL", "SETUSER", producer_user(source), "reset", "on", f"#{digest}", *acl_rules()
    )
