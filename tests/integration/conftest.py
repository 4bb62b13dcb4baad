"""Fixtures of the integration tests that run the gateway in-process.

A module that defines a `gateway` fixture (a `RunningGateway`, built with its own settings) gets `app` and `client`
from it here; modules with a `client` of their own keep theirs.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.support.gateway import RunningGateway


@pytest.fixture
def app(gateway: RunningGateway) -> FastAPI:
    return gateway.app


@pytest.fixture
def client(gateway: RunningGateway) -> httpx.AsyncClient:
    return gateway.client
