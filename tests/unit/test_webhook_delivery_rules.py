"""The rules of webhook delivery that need no server: which addresses are refused, the backoff, the signature."""

from __future__ import annotations

import ipaddress
import random
import uuid
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from propos4l.gateway.webhook_address import AddressRefused, refused_reason, resolve_target
from propos4l.gateway.webhook_sender import RetryPolicy, retry_delay
from propos4l.gateway.webhook_signing import new_secret, signature_headers


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("100.64.0.1", "private"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("169.254.10.10", "link-local"),
        ("fe80::1", "link-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "reserved"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_non_public_addresses_are_refused(address: str, reason: str) -> None:
    refused = refused_reason(ipaddress.ip_address(address), [])
    assert refused is not None and reason in refused


def test_public_addresses_pass_and_the_allow_list_lets_a_private_network_through() -> None:
    assert refused_reason(ipaddress.ip_address("93.184.216.34"), []) is None
    allowed = [ipaddress.ip_network("10.0.5.0/24")]
    assert refused_reason(ipaddress.ip_address("10.0.5.7"), allowed) is None
    assert refused_reason(ipaddress.ip_address("10.0.6.7"), allowed) is not None


async def test_a_name_is_checked_on_what_it_resolves_to_and_the_request_goes_to_that_address() -> None:
    with pytest.raises(AddressRefused, match="localhost resolves to .*loopback"):
        await resolve_target("http://localhost:8080/hook", [])
    target = await resolve_target("http://localhost:8080/hook?x=1", [ipaddress.ip_network("127.0.0.0/8")])
    assert target.url == "http://127.0.0.1:8080/hook?x=1" or target.url == "http://[::1]:8080/hook?x=1"
    assert target.host_header == "localhost:8080"


def test_the_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_seconds=5, max_delay_seconds=7200)
    rng = random.Random(7)
    delays = [retry_delay(attempt, policy, rng) for attempt in range(1, 16)]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(7200, 5 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert max(delays) <= 7200
    assert len({round(retry_delay(3, policy), 6) for _ in range(20)}) > 1  # jittered


def test_signatures_verify_with_the_standardwebhooks_package() -> None:
    secret, old = new_secret(), new_secret()
    body = b'{"type":"proposal.ready"}'
    headers = signature_headers([secret, old], f"msg_{uuid.uuid4().hex}", int(datetime.now(UTC).timestamp()), body)
    assert Webhook(secret).verify(body, headers) == {"type": "proposal.ready"}
    assert Webhook(old).verify(body, headers) == {"type": "proposal.ready"}
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(secret).verify(body + b" ", headers)
