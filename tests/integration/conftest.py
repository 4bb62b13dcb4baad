"""Fixtures of the integration tests that run the gateway in-process, and of those that use an S3 store.

A module that defines a `gateway` fixture (a `RunningGateway`, built with its own settings) gets `app` and `client`
from it here; modules with a `client` of their own keep theirs. The S3 API is moto's server, one for the run (started
by the first test that asks for it), with a fresh bucket per test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from tests.support.gateway import RunningGateway
from tests.support.s3 import CREDENTIALS, FaultyProxy, moto_s3, s3_client


@pytest.fixture
def app(gateway: RunningGateway) -> FastAPI:
    return gateway.app


@pytest.fixture
def client(gateway: RunningGateway) -> httpx.AsyncClient:
    return gateway.client


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_s3() as endpoint:
        yield endpoint


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The usual AWS variables, which the S3 store reads through boto3 as in a deployment."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_REGION", "us-east-1")


@pytest.fixture
def bucket(s3_endpoint: str, aws_environment: None) -> str:
    """A new, empty bucket (and the AWS variables set)."""
    name = f"propos4l-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture
def proxy(s3_endpoint: str) -> Iterator[FaultyProxy]:
    """A proxy in front of the S3 server that can cut uploads mid-body or slow them."""
    with FaultyProxy(int(s3_endpoint.rsplit(":", 1)[1])) as faulty:
        yield faulty
