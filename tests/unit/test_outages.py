"""Telling a dependency outage (not the message's fault, not counted) from a failure of the message itself."""

from __future__ import annotations

import errno

import asyncpg
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from propos4l.shared.outages import DependencyUnavailable, dependency_outage


def _raised_while_handling(error: BaseException, context: BaseException) -> BaseException:
    try:
        try:
            raise context
        except type(context):
            raise error  # noqa: B904 - the implicit context is the point
    except type(error) as raised:
        return raised


@pytest.mark.parametrize(
    ("error", "dependency"),
    [
        (RedisConnectionError("Connection refused"), "redis"),
        (asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"), "postgresql"),
        (asyncpg.exceptions.CannotConnectNowError("the database system is starting up"), "postgresql"),
        (ConnectionRefusedError(111, "Connect call failed"), "network"),
        (
            _raised_while_handling(
                asyncpg.InterfaceError("the underlying connection is closed"),
                asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
            ),
            "postgresql",
        ),
        (DependencyUnavailable("pdf_storage", "no space left on the PDF storage"), "pdf_storage"),
    ],
)
def test_connection_failures_are_outages_of_their_dependency(error: BaseException, dependency: str) -> None:
    outage = dependency_outage(error)
    assert outage is not None and outage.dependency == dependency


def test_a_full_disk_is_a_storage_outage_that_names_the_folder() -> None:
    outage = dependency_outage(OSError(errno.ENOSPC, "No space left on device", "/data/pdfs"))
    assert outage is not None and outage.dependency == "storage" and outage.location == "/data/pdfs"


@pytest.mark.parametrize(
    "error",
    [
        TimeoutError(),  # a handler's own time limit: about the message
        ValueError("bad section"),
        ResponseError("WRONGTYPE"),
        OSError(errno.ENOENT, "No such file or directory"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        # A library that wraps a connection error in its own (httpx to the model server) has its own retry policy.
        _raised_while_handling(RuntimeError("cannot reach the model server"), ConnectionRefusedError(111, "refused")),
    ],
)
def test_other_failures_are_the_messages_own(error: BaseException) -> None:
    assert dependency_outage(error) is None
