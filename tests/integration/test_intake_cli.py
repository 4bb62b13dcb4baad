"""`propos4l intake send` and `propos4l intake producer`, against the real Redis of the test run."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis

from propos4l.shared.cli import main
from propos4l.shared.intake import read_intake
from propos4l.shared.streams import producer_streams

pytestmark = pytest.mark.integration

REQUEST = {"client_name": "Acme", "industry": "Logistics", "requirements": "Track the fleet.", "language": "en"}


async def test_send_adds_a_valid_intake_message(
    redis: Redis, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    request = tmp_path / "request.json"
    request.write_text(json.dumps(REQUEST), encoding="utf-8")
    arguments = ["intake", "send", str(request), "--source", "crm", "--key", "k-9", "--correlation-id", "deal-9"]
    assert await _run([*arguments, "--callback", '{"deal": "D-9"}']) == 0
    printed = json.loads(capsys.readouterr().out)
    entries = await redis.xrange(producer_streams("crm").intake)  # the producer's own stream
    assert [entry_id for entry_id, _ in entries] == [printed["entry_id"]]
    assert printed["stream"] == producer_streams("crm").intake
    message = read_intake(json.dumps(entries[0][1]), "crm")
    assert not hasattr(message, "errors"), message
    assert message.source == "crm" and message.idempotency_key == "k-9" and message.correlation_id == "deal-9"  # type: ignore[union-attr]
    assert message.callback == {"deal": "D-9"}  # type: ignore[union-attr]


async def test_send_refuses_an_invalid_request_before_sending_it(
    redis: Redis, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    request = tmp_path / "request.json"
    request.write_text(json.dumps({**REQUEST, "client_name": ""}), encoding="utf-8")
    assert await _run(["intake", "send", str(request), "--source", "crm"]) == 1
    assert "request.client_name" in capsys.readouterr().err
    assert await redis.xlen(producer_streams("crm").intake) == 0


async def test_producer_sets_the_user_and_prints_its_config_line(
    redis: Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    assert await _run(["intake", "producer", "erp", "--apply"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("user producer-erp reset on #")
    password = lines[2].split("redis://producer-erp:")[1].split("@")[0]
    assert password not in lines[1]
    assert f"%W~{producer_streams('erp').intake}" in lines[1].split()
    where = urlsplit(redis_url)
    producer = Redis(host=where.hostname or "", port=where.port or 6379, username="producer-erp", password=password)
    try:
        assert await producer.ping()
    finally:
        await producer.aclose()
        await redis.execute_command("ACL", "DELUSER", "producer-erp")  # type: ignore[no-untyped-call]


async def _run(arguments: list[str]) -> int:
    return await asyncio.to_thread(main, arguments)
