"""Webhook signing secrets at rest: encrypted with WEBHOOK_SECRET_KEYS, so the database alone does not give them;
the gateway re-encrypts readable secrets (from before encryption) and those of an older key at its start."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest

from propos4l.gateway.webhook_secrets import SEALED_PREFIX, SecretBox, SecretUnreadable
from propos4l.gateway.webhook_signing import new_secret
from tests.support.gateway import AUTH, WEBHOOK_SECRET_KEY, gateway_settings, running_gateway

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
