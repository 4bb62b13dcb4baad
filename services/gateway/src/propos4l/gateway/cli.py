"""`propos4l users ...`: accounts from the command line, straight in the database (DATABASE_URL), for the first admin
and for recovery when no admin can sign in (docs/operations.md). Every change is recorded in the audit log as done
by the system through the command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
from datetime import timedelta
from typing import Final

from propos4l.gateway.audit import Actor, AuditLog, Origin
from propos4l.gateway.passwords import PasswordRejected, check_new_password, hash_password
from propos4l.gateway.roles import Role
from propos4l.gateway.users import EmailTaken, UserChange, UserStore
from propos4l.gateway.web_sessions import SessionStore
from propos4l.shared.db import create_pool

__all__ = ["FIRST_ADMIN_EMAIL", "add_user_commands", "ensure_first_admin", "new_password"]

_ACTOR = Actor(name="command line", via="system")
_ORIGIN = Origin(address=None, user_agent="propos4l users")
_UNUSED: Final = timedelta(days=1)  # the command line only ends sessions: their lifetimes do not matter here


def new_password() -> str:
    """A random password that meets the rules (shown once; the user changes it or an admin sets another)."""
    return secrets.token_urlsafe(18)


async def _with_stores(action: str, arguments: argparse.Namespace) -> int:
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("DATABASE_URL is not set.", file=sys.stderr)
        return 2
    pool = await create_pool(url, max_size=2)
    try:
        users, audit = UserStore(pool), AuditLog(pool)
        sessions = SessionStore(pool, idle=_UNUSED, absolute=_UNUSED)
        found = await users.credentials(arguments.email)
        if action == "create":
            return await _create(users, audit, arguments)
        if found is None or found[0].is_system:
            print(f"There is no user {arguments.email}.", file=sys.stderr)
            return 1
        user = found[0]
        if action == "reset-password":
            password = new_password()
            await users.set_password(user.id, hash_password(password))
            await users.change(user.id, UserChange(active=True))
            await sessions.revoke_all(user.id)
            await audit.record("user.password_set", _ACTOR, _ORIGIN, object_type="user", object_id=user.id)
            print(f"New password of {user.email} (shown once): {password}")
        else:  # disable
            await users.change(user.id, UserChange(active=False))
            ended = await sessions.revoke_all(user.id)
            await audit.record(
                "user.changed",
                _ACTOR,
                _ORIGIN,
                object_type="user",
                object_id=user.id,
                details={"active": {"from": str(user.active), "to": "False"}, "sessions_ended": ended},
            )
            print(f"{user.email} is disabled; {ended} session(s) ended, its tokens stop working.")
        return 0
    finally:
        await pool.close()


async def _create(users: UserStore, audit: AuditLog, arguments: argparse.Namespace) -> int:
    password = new_password()
    try:
        check_new_password(password, email=arguments.email)
        user = await users.create(
            arguments.email,
            arguments.name or arguments.email.split("@")[0],
            Role(arguments.role),
            password_hash=hash_password(password),
        )
    except (EmailTaken, PasswordRejected) as error:
        print(str(error), file=sys.stderr)
        return 1
    await audit.record(
        "user.created",
        _ACTOR,
        _ORIGIN,
        object_type="user",
        object_id=user.id,
        details={"email": user.email, "role": user.role},
    )
    print(f"Created {user.email} ({user.role.value}). Password (shown once): {password}")
    return 0


FIRST_ADMIN_EMAIL: Final = "admin@localhost"


async def ensure_first_admin(database_url: str, password: str) -> bool:
    """Create FIRST_ADMIN_EMAIL, an admin with `password`, when the database has no account yet; whether it did."""
    pool = await create_pool(database_url, max_size=1)
    try:
        users = UserStore(pool)
        if await users.list():
            return False
        try:
            user = await users.create(FIRST_ADMIN_EMAIL, "Admin", Role.ADMIN, password_hash=hash_password(password))
        except EmailTaken:
            return False
        await AuditLog(pool).record(
            "user.created",
            _ACTOR,
            _ORIGIN,
            object_type="user",
            object_id=user.id,
            details={"email": user.email, "role": user.role, "first_admin": True},
        )
        return True
    finally:
        await pool.close()


def add_user_commands(parser: argparse.ArgumentParser) -> None:
    """The `users` group of the `propos4l` command."""
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create an account with a random password, printed once")
    create.add_argument("email")
    create.add_argument("--name", help="display name (default: the e-mail's local part)")
    create.add_argument("--role", choices=[role.value for role in Role], default=Role.ADMIN.value)
    reset = actions.add_parser(
        "reset-password", help="set a new random password (printed once), enable the account and end its sessions"
    )
    reset.add_argument("email")
    disable = actions.add_parser("disable", help="disable an account: its sessions end and its tokens stop working")
    disable.add_argument("email")
    parser.set_defaults(func=lambda arguments: asyncio.run(_with_stores(arguments.action, arguments)))
