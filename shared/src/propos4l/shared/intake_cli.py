"""`propos4l intake`: send a proposal request as a producer, and create or revoke a producer's Redis user."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from propos4l.shared.field_errors import field_errors
from propos4l.shared.intake import IntakeMessage, intake_fields
from propos4l.shared.producer_access import (
    acl_config_line,
    apply_producer,
    new_password,
    producer_user,
    revoke_producer,
)
from propos4l.shared.runtime import connect_redis
from propos4l.shared.streams import producer_streams

__all__ = ["add_intake_commands"]


T = TypeVar("T")


def add_intake_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `intake` group of the `propos4l` command line."""
    intake = commands.add_parser("intake", help="the public intake stream (see docs/integrations.md)")
    actions = intake.add_subparsers(dest="action", required=True)
    send = actions.add_parser(
        "send",
        help="XADD a proposal request to the producer's intake stream, propos4l.intake.proposal-requested.<source> "
        "(REDIS_URL: the producer's user)",
        description="The request is the JSON body of POST /api/proposals, from a file or '-' for standard input.",
    )
    send.add_argument("request", help="a JSON file with the request, or - for standard input")
    send.add_argument("--source", required=True, help="the producer's name (crm, site-form): its stream's")
    send.add_argument("--key", help="the idempotency key (default: a new UUID, printed)")
    send.add_argument("--correlation-id", help="echoed on the lifecycle events and rejections of this request")
    send.add_argument("--callback", help="a JSON object of strings, echoed on the lifecycle events")
    send.set_defaults(func=_send)
    producer = actions.add_parser(
        "producer",
        help="make a producer's Redis user: print its config line and password; --apply also sets it on REDIS_URL",
    )
    producer.add_argument("source", help="the producer's name, as it will write it in `source`")
    producer.add_argument(
        "--apply", action="store_true", help="ACL SETUSER on the Redis at REDIS_URL (an admin's URL) as well"
    )
    producer.set_defaults(func=_producer)
    revoke = actions.add_parser(
        "revoke",
        help="delete a producer's Redis user on REDIS_URL (an admin's URL): it can no longer connect, and the gateway "
        "stops reading its intake stream",
    )
    revoke.add_argument("source", help="the producer's name")
    revoke.set_defaults(func=_revoke)


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL", "").strip()
    if not url:
        print("propos4l intake: configuration error: REDIS_URL is required but not set", file=sys.stderr)
        raise SystemExit(2)
    return url


def _on_redis(work: Callable[[Redis], Awaitable[T]]) -> T:
    """Run `work` with a connection to REDIS_URL, closed afterwards (Redis's and the network's errors are raised)."""

    async def run() -> T:
        redis = connect_redis(_redis_url())
        try:
            return await work(redis)
        finally:
            await redis.aclose()

    return asyncio.run(run())


def _send(arguments: argparse.Namespace) -> int:
    try:
        streams = producer_streams(arguments.source)
    except ValueError as error:
        print(f"propos4l intake send: --source: {error}", file=sys.stderr)
        return 2
    text = sys.stdin.read() if arguments.request == "-" else Path(arguments.request).read_text(encoding="utf-8")
    key = arguments.key or str(uuid.uuid4())
    try:
        message = IntakeMessage.model_validate(
            {
                "schema_version": "1",
                "source": arguments.source,
                "idempotency_key": key,
                "correlation_id": arguments.correlation_id,
                "request": json.loads(text),
                "callback": json.loads(arguments.callback) if arguments.callback else None,
            }
        )
    except ValueError as error:
        errors = field_errors(error.errors()) if isinstance(error, ValidationError) else []
        for item in errors:
            print(f"propos4l intake send: {item.field}: {item.message}", file=sys.stderr)
        if not errors:
            print(f"propos4l intake send: not valid JSON: {error}", file=sys.stderr)
        return 1

    async def add(redis: Redis) -> str:
        return str(await redis.xadd(streams.intake, intake_fields(message)))  # type: ignore[arg-type]

    try:
        entry = _on_redis(add)
    except (RedisError, OSError) as error:
        print(f"propos4l intake send: cannot add to the intake stream: {error}", file=sys.stderr)
        return 1
    print(json.dumps({"entry_id": entry, "stream": streams.intake, "source": message.source, "idempotency_key": key}))
    return 0


def _producer(arguments: argparse.Namespace) -> int:
    try:
        user = producer_user(arguments.source)
    except ValueError as error:
        print(f"propos4l intake producer: {error}", file=sys.stderr)
        return 2
    password = new_password()
    if arguments.apply:
        try:
            _on_redis(lambda redis: apply_producer(redis, arguments.source, password))
        except (RedisError, OSError) as error:
            print(f"propos4l intake producer: cannot set the user: {error}", file=sys.stderr)
            return 1
    print(f"# Redis user {user}: add this line to deploy/redis/producers.conf (kept across Redis restarts)")
    print(acl_config_line(arguments.source, password))
    streams = producer_streams(arguments.source)
    print(f"# The producer connects as redis://{user}:{password}@<redis-host>:6379/0 (shown once: keep it safe)")
    print(f"# It writes to {streams.intake}; it reads {streams.lifecycle} and {streams.rejected}")
    if not arguments.apply:
        print("# The gateway starts reading its stream once Redis has the user (within INTAKE_PRODUCER_SCAN_SECONDS)")
    return 0


def _revoke(arguments: argparse.Namespace) -> int:
    try:
        user = producer_user(arguments.source)
    except ValueError as error:
        print(f"propos4l intake revoke: {error}", file=sys.stderr)
        return 2

    try:
        existed = _on_redis(lambda redis: revoke_producer(redis, arguments.source))
    except (RedisError, OSError) as error:
        print(f"propos4l intake revoke: cannot delete the user: {error}", file=sys.stderr)
        return 1
    if existed:
        print(f"# Redis user {user} deleted (its connections closed)")
    else:
        print(f"# Redis has no user {user} (already revoked?)")
    print(f"# Remove its 'user {user} ...' line from deploy/redis/producers.conf, or a Redis restart brings it back")
    print("# The gateway stops reading its intake stream within INTAKE_PRODUCER_SCAN_SECONDS")
    return 0
