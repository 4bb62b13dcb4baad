"""Webhook signing secrets at rest: encrypted with WEBHOOK_SECRET_KEYS, so the database alone does not give them;
the gateway re-encrypts readable secrets (from before encryption) and those of an older key at its start (and
`propos4l webhooks rotate-keys` does too); a key dropped too early stops the gateway with one line that names it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest
from cryptography.fernet import Fernet

from propos4l.gateway.webhook_keys import webhook_keys_problem
from propos4l.gateway.webhook_secrets import (
    SEALED_PREFIX,
    KeyMissing,
    SecretBox,
    SecretUnreadable,
    fernet_key,
    key_id,
    sealing_key_id,
)
from propos4l.gateway.webhook_signing import new_secret
from propos4l.shared.cli import main
from propos4l.shared.localrun.processes import free_port
from tests.support.gateway import AUTH, TOKEN, WEBHOOK_SECRET_KEY, gateway_settings, running_gateway

pytestmark = pytest.mark.integration

OLD_KEY = "an-older-key-that-is-at-least-32-characters-long"


async def _stored(database_url: str) -> dict[uuid.UUID, tuple[str, str | None]]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT id, secret, previous_secret FROM webhook_endpoints")
    finally:
        await connection.close()
    return {row["id"]: (row["secret"], row["previous_secret"]) for row in rows}


async def test_the_database_holds_no_secret_the_api_showed(database_url: str, redis_url: str, data_dir: Path) -> None:
    settings = gateway_settings(database_url, redis_url, data_dir)
    async with running_gateway(settings) as gateway:
        created = await gateway.client.post(
            "/api/webhooks", json={"url": "https://hooks.example/a", "event_types": ["proposal.ready"]}, headers=AUTH
        )
        assert created.status_code == 201, created.text
        rotated = await gateway.client.post(f"/api/webhooks/{created.json()['id']}/rotate-secret", headers=AUTH)
        assert rotated.status_code == 200, rotated.text
    shown = {created.json()["secret"], rotated.json()["secret"]}
    [(secret, previous)] = (await _stored(database_url)).values()
    assert previous is not None
    for stored in (secret, previous):
        assert stored.startswith(SEALED_PREFIX)
        assert not any(value in stored or value.removeprefix("whsec_") in stored for value in shown)
    box = SecretBox([WEBHOOK_SECRET_KEY])
    assert {box.open(secret), box.open(previous)} == shown
    with pytest.raises(SecretUnreadable):  # another deployment's key opens nothing
        SecretBox([OLD_KEY]).open(secret)


async def test_the_gateway_reencrypts_readable_and_old_key_secrets_at_its_start(
    database_url: str, redis_url: str, data_dir: Path
) -> None:
    readable, old = new_secret(), new_secret()
    legacy_id, rotated_id = uuid.uuid4(), uuid.uuid4()
    connection = await asyncpg.connect(database_url)
    try:
        await connection.executemany(
            """INSERT INTO webhook_endpoints (id, url, event_types, secret, previous_secret)
               VALUES ($1, 'https://hooks.example/b', '{proposal.ready}', $2, $3)""",
            [
                (legacy_id, readable, None),  # written before secrets were encrypted
                (rotated_id, SecretBox([OLD_KEY]).seal(old), SecretBox([OLD_KEY]).seal(readable)),
            ],
        )
    finally:
        await connection.close()
    # The new key first, the old one still listed: every row is sealed with the new key at the start.
    settings = gateway_settings(
        database_url, redis_url, data_dir, webhook_secret_keys=f"{WEBHOOK_SECRET_KEY},{OLD_KEY}"
    )
    async with running_gateway(settings):
        pass
    stored = await _stored(database_url)
    newest = SecretBox([WEBHOOK_SECRET_KEY])  # the old key can now be dropped
    assert newest.open(stored[legacy_id][0]) == readable and stored[legacy_id][1] is None
    assert newest.open(stored[rotated_id][0]) == old
    assert newest.open(stored[rotated_id][1] or "") == readable
    assert all(value is None or newest.resealed(value) is None for pair in stored.values() for value in pair)


def test_a_secret_is_opened_by_any_configured_key_and_sealed_by_the_first() -> None:
    old_box = SecretBox([OLD_KEY])
    both = SecretBox([WEBHOOK_SECRET_KEY, OLD_KEY])
    sealed_old = old_box.seal("whsec_abc")
    assert both.open(sealed_old) == "whsec_abc"
    resealed = both.resealed(sealed_old)
    assert resealed is not None and SecretBox([WEBHOOK_SECRET_KEY]).open(resealed) == "whsec_abc"
    tampered = sealed_old[:-6] + ("A" if sealed_old[-6] != "A" else "B") + sealed_old[-5:]
    with pytest.raises(SecretUnreadable):
        both.open(tampered)
    with pytest.raises(SecretUnreadable):  # a readable value is never taken as a secret
        both.open("whsec_abc")
    with pytest.raises(ValueError, match="at least 32 characters"):
        SecretBox(["short"])


def test_a_stored_secret_names_its_key_and_a_missing_key_is_named() -> None:
    sealed = SecretBox([OLD_KEY]).seal("whsec_abc")
    assert sealing_key_id(sealed) == key_id(OLD_KEY) and OLD_KEY not in sealed
    assert key_id(OLD_KEY) != key_id(WEBHOOK_SECRET_KEY)
    with pytest.raises(KeyMissing, match=f"key {key_id(OLD_KEY)}, which is not in WEBHOOK_SECRET_KEYS"):
        SecretBox([WEBHOOK_SECRET_KEY]).open(sealed)
    # Sealed before key ids (`fernet:<token>`): still opened by any key, and given its key's id when resealed.
    unnamed = SEALED_PREFIX + Fernet(fernet_key(OLD_KEY)).encrypt(b"whsec_old").decode()
    both = SecretBox([WEBHOOK_SECRET_KEY, OLD_KEY])
    assert sealing_key_id(unnamed) is None and both.open(unnamed) == "whsec_old"
    resealed = both.resealed(unnamed)
    assert resealed is not None and sealing_key_id(resealed) == key_id(WEBHOOK_SECRET_KEY)
    assert SecretBox([WEBHOOK_SECRET_KEY]).resealed(resealed) is None


async def _insert_endpoint(database_url: str, secret: str, previous: str | None = None) -> uuid.UUID:
    endpoint_id = uuid.uuid4()
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            """INSERT INTO webhook_endpoints (id, url, event_types, secret, previous_secret)
               VALUES ($1, 'https://hooks.example/c', '{proposal.ready}', $2, $3)""",
            endpoint_id,
            secret,
            previous,
        )
    finally:
        await connection.close()
    return endpoint_id


def _gateway_environment(database_url: str, redis_url: str, data_dir: Path, keys: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "PROPOS4L_", "WEBHOOK_"))}
    return {
        **inherited,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PROPOS4L_ADMIN_TOKEN": TOKEN,
        "WEBHOOK_SECRET_KEYS": keys,
        "GATEWAY_PORT": str(free_port()),
        "PDF_STORAGE_DIR": str(data_dir / "pdfs"),
        "TEMPLATES_DIR": str(data_dir / "templates"),
        "LIBRARY_DIR": str(data_dir / "library"),
        "OTEL_SDK_DISABLED": "true",
    }


async def test_a_dropped_key_that_still_seals_secrets_stops_the_gateway_with_one_line_naming_it(
    database_url: str, redis_url: str, data_dir: Path
) -> None:
    await _insert_endpoint(database_url, SecretBox([OLD_KEY]).seal(new_secret()))
    environment = _gateway_environment(database_url, redis_url, data_dir, WEBHOOK_SECRET_KEY)  # the old key dropped
    finished = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-W", "error", "-m", "propos4l.gateway"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 2, finished.stderr
    assert "Traceback" not in finished.stderr + finished.stdout
    [line] = finished.stderr.strip().splitlines()
    assert line.startswith("propos4l-gateway: configuration error: WEBHOOK_SECRET_KEYS")
    assert f"lacks key {key_id(OLD_KEY)} (secrets of 1 webhook endpoint(s))" in line
    assert "put that key back" in line and "propos4l webhooks rotate-keys" in line


async def test_rotate_keys_reencrypts_with_the_newest_key_so_the_old_one_can_be_dropped(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old_box = SecretBox([OLD_KEY])
    endpoint_id = await _insert_endpoint(database_url, old_box.seal("whsec_now"), old_box.seal("whsec_before"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("WEBHOOK_SECRET_KEYS", f"{WEBHOOK_SECRET_KEY},{OLD_KEY}")
    assert await asyncio.to_thread(main, ["webhooks", "rotate-keys"]) == 0
    assert f"1 endpoint(s) re-encrypted with key {key_id(WEBHOOK_SECRET_KEY)}" in capsys.readouterr().out
    secret, previous = (await _stored(database_url))[endpoint_id]
    newest = SecretBox([WEBHOOK_SECRET_KEY])
    assert (newest.open(secret), newest.open(previous or "")) == ("whsec_now", "whsec_before")
    assert await webhook_keys_problem(database_url, [WEBHOOK_SECRET_KEY], 10.0) is None  # the old key can go


async def test_rotate_keys_refuses_lost_secrets_unless_told_to_replace_them(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lost_id = await _insert_endpoint(database_url, SecretBox([OLD_KEY]).seal("whsec_lost"))
    kept_id = await _insert_endpoint(
        database_url, SecretBox([WEBHOOK_SECRET_KEY]).seal("whsec_kept"), SecretBox([OLD_KEY]).seal("whsec_older")
    )
    before = await _stored(database_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("WEBHOOK_SECRET_KEYS", WEBHOOK_SECRET_KEY)
    assert await asyncio.to_thread(main, ["webhooks", "rotate-keys"]) == 1
    assert f"lacks key {key_id(OLD_KEY)} (secrets of 2 webhook endpoint(s))" in capsys.readouterr().err
    assert await _stored(database_url) == before  # nothing changed

    assert await asyncio.to_thread(main, ["webhooks", "rotate-keys", "--replace-lost"]) == 0
    assert str(lost_id) in capsys.readouterr().out
    stored = await _stored(database_url)
    newest = SecretBox([WEBHOOK_SECRET_KEY])
    assert newest.open(stored[lost_id][0]).startswith("whsec_") and stored[lost_id][1] is None
    assert newest.open(stored[kept_id][0]) == "whsec_kept" and stored[kept_id][1] is None  # the lost previous dropped
    connection = await asyncpg.connect(database_url)
    try:
        enabled = dict(await connection.fetch("SELECT id, enabled FROM webhook_endpoints"))  # type: ignore[arg-type]
        audited = await connection.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'webhook.secret_replaced' AND object_id = $1", str(lost_id)
        )
    finally:
        await connection.close()
    assert enabled == {lost_id: False, kept_id: True}
    assert audited == 1
    assert await webhook_keys_problem(database_url, [WEBHOOK_SECRET_KEY], 10.0) is None
