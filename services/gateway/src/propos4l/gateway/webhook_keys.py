"""The keys of WEBHOOK_SECRET_KEYS against the secrets they seal: the gateway's check before it starts (one line
naming a missing key instead of a traceback) and `propos4l webhooks rotate-keys` (re-encrypt with the newest key)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

import asyncpg

from propos4l.gateway.audit import Actor, AuditLog, Origin
from propos4l.gateway.webhook_secrets import SecretBox, WebhookKeysMissing, fernet_key
from propos4l.gateway.webhook_store import WebhookStore
from propos4l.shared.db import create_pool

__all__ = ["add_webhook_commands", "webhook_keys_problem"]

_ACTOR = Actor(name="command line", via="system")
_ORIGIN = Origin(address=None, user_agent="propos4l webhooks")


async def webhook_keys_problem(database_url: str, keys: Sequence[str], connect_seconds: float) -> str | None:
    """Why the gateway cannot start with `keys` (stored secrets need a key that is not among them), or None. A
    database that cannot be reached or read yet is no problem here: the gateway's start meets it and says so."""
    try:
        pool = await asyncio.wait_for(create_pool(database_url, max_size=1), connect_seconds)
    except (OSError, TimeoutError, asyncpg.PostgresError):
        return None
    try:
        missing = await WebhookStore(pool, SecretBox(keys)).missing_keys()
    except asyncpg.PostgresError:  # e.g. the migrations are not applied yet: no webhook table to check
        return None
    finally:
        await pool.close()
    return str(WebhookKeysMissing(missing, SecretBox(keys).key_ids)) if missing else None


def add_webhook_commands(parser: argparse.ArgumentParser) -> None:
    """The `webhooks` group of the `propos4l` command."""
    actions = parser.add_subparsers(dest="action", required=True)
    rotate = actions.add_parser(
        "rotate-keys",
        help="re-encrypt every webhook signing secret with the first key of WEBHOOK_SECRET_KEYS (DATABASE_URL); "
        "then the other keys may be dropped",
    )
    rotate.add_argument(
        "--replace-lost",
        action="store_true",
        help="give an endpoint whose secret no key opens a new secret and disable it (an admin rotates its secret "
        "to see it, and enables it again); without it such secrets stop the command, changing nothing",
    )
    parser.set_defaults(func=lambda arguments: asyncio.run(_rotate_keys(arguments.replace_lost)))


async def _rotate_keys(replace_lost: bool) -> int:
    url = os.environ.get("DATABASE_URL", "").strip()
    keys = [part.strip() for part in os.environ.get("WEBHOOK_SECRET_KEYS", "").split(",") if part.strip()]
    if not url or not keys:
        print("propos4l webhooks: DATABASE_URL and WEBHOOK_SECRET_KEYS (newest first) are required", file=sys.stderr)
        return 2
    try:
        for key in keys:
            fernet_key(key)
    except ValueError as error:
        print(f"propos4l webhooks: WEBHOOK_SECRET_KEYS: {error}", file=sys.stderr)
        return 2
    box = SecretBox(keys)
    pool = await create_pool(url, max_size=1)
    try:
        try:
            done = await WebhookStore(pool, box).reseal(replace_lost=replace_lost)
        except WebhookKeysMissing as error:
            print(f"propos4l webhooks rotate-keys: {error}", file=sys.stderr)
            return 1
        for endpoint_id in done.replaced:
            await AuditLog(pool).record(
                "webhook.secret_replaced",
                _ACTOR,
                _ORIGIN,
                object_type="webhook",
                object_id=endpoint_id,
                details={"reason": "its key left WEBHOOK_SECRET_KEYS", "enabled": "False"},
            )
    finally:
        await pool.close()
    print(f"propos4l webhooks rotate-keys: {done.resealed} endpoint(s) re-encrypted with key {box.newest_key_id}")
    if done.replaced:
        print(
            f"{len(done.replaced)} endpoint(s) had lost secrets: given new ones and disabled; rotate each one's "
            "secret (POST /api/webhooks/{id}/rotate-secret, or the Webhooks page), give it to the receiver and "
            "enable it: " + ", ".join(str(endpoint_id) for endpoint_id in done.replaced)
        )
    return 0
