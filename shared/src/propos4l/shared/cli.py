"""`propos4l`: the operator's command line (migrations, the local run, dead letters, library import, intake,
backups, accounts)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence

from propos4l.shared.logs import configure_logging

__all__ = ["main"]


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        print("propos4l: configuration error: DATABASE_URL is required but not set", file=sys.stderr)
        raise SystemExit(2)
    return url


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL", "").strip()
    if not url:
        print("propos4l: configuration error: REDIS_URL is required but not set", file=sys.stderr)
        raise SystemExit(2)
    return url


def _migrate(_: argparse.Namespace) -> int:
    from propos4l.shared.db import MigrationError, apply_migrations

    try:
        applied = asyncio.run(apply_migrations(_database_url()))
    except MigrationError as error:
        print(f"propos4l migrate: {error}", file=sys.stderr)
        return 1
    except (OSError, ConnectionError) as error:
        print(f"propos4l migrate: cannot reach the database: {error}", file=sys.stderr)
        return 1
    names = ", ".join(f"{m.version:04d}_{m.name}" for m in applied) or "none (the database is up to date)"
    print(f"propos4l migrate: applied {names}")
    return 0


def _run(_: argparse.Namespace) -> int:
    from propos4l.shared.localrun.supervisor import run_local

    return run_local()


def _observe(_: argparse.Namespace) -> int:
    from propos4l.shared.localrun.supervisor import data_dir_from_environment
    from propos4l.shared.localrun.tracing_ui import serve_phoenix

    return serve_phoenix(data_dir_from_environment(), os.environ)


def _dead_letters(arguments: argparse.Namespace) -> int:
    from propos4l.shared.deadletters import list_dead_letters, replay_dead_letters, show_dead_letters

    url = _redis_url()
    if arguments.action in {"list", "show"}:
        entries = (
            list_dead_letters(url, limit=arguments.limit)
            if arguments.action == "list"
            else show_dead_letters(url, arguments.stream, limit=arguments.limit)
        )
        for entry in asyncio.run(entries):
            print(json.dumps(entry, ensure_ascii=False))
        return 0
    replayed = asyncio.run(replay_dead_letters(url, arguments.stream, limit=arguments.limit))
    print(f"propos4l dead-letters: replayed {replayed} message(s) to the group that gave up on them")
    return 0


def _library(arguments: argparse.Namespace) -> int:
    from pathlib import Path

    import httpx

    from propos4l.shared.library_import import run_import
    from propos4l.shared.library_import_folder import LibraryFileError

    if not arguments.token:
        print("propos4l library import: give an API token with --token or PROPOS4L_TOKEN", file=sys.stderr)
        return 2
    try:
        summary = asyncio.run(run_import(Path(arguments.folder), arguments.url, arguments.token))
    except LibraryFileError as error:
        print(f"propos4l library import: {error}", file=sys.stderr)
        return 1
    except httpx.HTTPError as error:
        print(f"propos4l library import: cannot reach the gateway at {arguments.url}: {error}", file=sys.stderr)
        return 1
    print(f"propos4l library import: {arguments.folder}\n{summary.text()}")
    return 1 if summary.failures else 0


def _add_library(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    library = commands.add_parser("library", help="the knowledge library (through the gateway's API)")
    actions = library.add_subparsers(dest="action", required=True)
    importing = actions.add_parser(
        "import",
        help="import a folder of library records (JSON/CSV) and documents; again updates the same rows",
        description="See docs/operations.md, 'Knowledge library', for the files and their formats.",
    )
    importing.add_argument("folder", help="the folder to import (e.g. docs/examples/library)")
    importing.add_argument(
        "--url",
        default=os.environ.get("PROPOS4L_URL") or "http://localhost:8000",
        help="the gateway's base URL (default: $PROPOS4L_URL or http://localhost:8000)",
    )
    importing.add_argument(
        "--token", default=os.environ.get("PROPOS4L_TOKEN"), help="an API token (default: $PROPOS4L_TOKEN)"
    )
    importing.set_defaults(func=_library)


def _add_backup(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `backup` group, where the backup service is installed (its commands live in propos4l.backup.cli)."""
    try:
        from propos4l.backup.cli import add_backup_commands
    except ModuleNotFoundError as error:
        if error.name is None or not error.name.startswith("propos4l.backup"):
            raise
        return
    add_backup_commands(commands.add_parser("backup", help="run, list, verify, drill and restore backups (BACKUP_DIR)"))


def add_intake_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `intake` group (its commands live in propos4l.shared.intake_cli)."""
    from propos4l.shared.intake_cli import add_intake_commands as add

    add(commands)


def _add_users(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `users` group, where the gateway is installed (its commands live in propos4l.gateway.cli)."""
    try:
        from propos4l.gateway.cli import add_user_commands
    except ModuleNotFoundError as error:
        if error.name is None or not error.name.startswith("propos4l.gateway"):
            raise
        return
    add_user_commands(
        commands.add_parser("users", help="create, reset the password of, or disable accounts (DATABASE_URL)")
    )


def _add_webhooks(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `webhooks` group, where the gateway is installed (its commands live in propos4l.gateway.webhook_keys)."""
    try:
        from propos4l.gateway.webhook_keys import add_webhook_commands
    except ModuleNotFoundError as error:
        if error.name is None or not error.name.startswith("propos4l.gateway"):
            raise
        return
    add_webhook_commands(
        commands.add_parser(
            "webhooks",
            help="re-encrypt webhook signing secrets with the newest key (DATABASE_URL, WEBHOOK_SECRET_KEYS)",
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the command."""
    parser = argparse.ArgumentParser(prog="propos4l", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply the database migrations (DATABASE_URL)").set_defaults(func=_migrate)
    commands.add_parser(
        "run", help="run the whole system locally (embedded Redis and PostgreSQL when no URL is set)"
    ).set_defaults(func=_run)
    commands.add_parser(
        "observe", help="run the tracing UI (Arize Phoenix, installed by `make observe`) that `run` sends traces to"
    ).set_defaults(func=_observe)
    dead = commands.add_parser(
        "dead-letters",
        help="list, show or replay dead-lettered messages, the producers' intake streams' too (REDIS_URL)",
    )
    dead.add_argument("action", choices=["list", "show", "replay"])
    dead.add_argument("stream", nargs="?", help="with show or replay: the dead-letter stream")
    dead.add_argument("--limit", type=int, default=1000, help="at most this many entries per dead-letter stream")
    dead.set_defaults(func=_dead_letters)
    _add_library(commands)
    add_intake_commands(commands)
    _add_backup(commands)
    _add_users(commands)
    _add_webhooks(commands)
    arguments = parser.parse_args(argv)
    if arguments.command == "dead-letters" and arguments.action != "list" and not arguments.stream:
        parser.error(f"{arguments.action} needs a dead-letter stream (see 'propos4l dead-letters list')")
    console = os.environ.get("LOG_FORMAT", "json").strip().lower() == "console"
    configure_logging("cli", os.environ.get("LOG_LEVEL", "warning"), "console" if console else "json")
    return int(arguments.func(arguments))


if __name__ == "__main__":
    raise SystemExit(main())
