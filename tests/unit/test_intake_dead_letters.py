"""An intake message the gateway gives up on is answered on the rejected stream, not only dead-lettered."""

from __future__ import annotations

import json
from typing import Any, cast

from propos4l.gateway.intake import IntakeHandler
from propos4l.shared.delivery import DeadLetter, Publisher
from propos4l.shared.events import Event, IntakeRejected
from propos4l.shared.intake import intake_envelope
from propos4l.shared.streams import producer_streams


class Untouched:
    """Stands for the database, the repository and the outbox: the dead-letter path may hold them, never call them."""

    def __getattr__(self, name: str) -> Any:
        def called(*arguments: Any, **keywords: Any) -> Any:
            raise AssertionError(f"the dead-letter path called {name}")

        return called


class RecordingPublisher:
    """Keeps what would be published."""

    def __init__(self) -> None:
        self.published: list[Event] = []
        self.streams: list[str] = []

    async def publish(self, event: Event, headers: Any = None, *, to: str | None = None) -> str:
        self.published.append(event)
        self.streams.append(to or event.stream.value)
        return "1-0"


async def test_a_dead_lettered_intake_message_is_answered_with_its_reason_and_who_sent_it() -> None:
    fields = {
        "schema_version": "1",
        "source": "crm",
        "idempotency_key": "k-7",
        "correlation_id": "deal-7",
        "request": json.dumps({"client_name": "Acme", "industry": "Logistics", "requirements": "Fleet."}),
    }
    publisher = RecordingPublisher()
    nothing: Any = Untouched()  # the dead-letter path touches neither the database nor the outbox
    handler = IntakeHandler(nothing, nothing, nothing, nothing, cast(Publisher, publisher))
    dead = DeadLetter(
        stream="propos4l.intake.proposal-requested",
        group="gateway",
        message_id="1700000000000-0",
        fields=fields,
        reason="gave up after 5 failed deliveries to gateway",
        deliveries=6,
        envelope=intake_envelope(fields),
    )
    await handler.on_dead_letter(dead)
    await handler.on_dead_letter(dead)  # the hook may run again: the same rejection, the same id
    first, again = publisher.published
    assert isinstance(first, IntakeRejected)
    assert (first.source, first.idempotency_key, first.correlation_id) == ("crm", "k-7", "deal-7")
    assert first.intake_message_id == "1700000000000-0"
    assert "gave up after 5 failed deliveries" in first.detail
    assert again.event_id == first.event_id


async def test_a_dead_lettered_message_of_a_producers_stream_is_answered_on_that_producers_rejections() -> None:
    fields = {
        "schema_version": "1",
        "source": "someone-else",  # claimed: the stream says who sent it
        "idempotency_key": "k-8",
        "request": json.dumps({"client_name": "Acme", "industry": "Logistics", "requirements": "Fleet."}),
    }
    publisher = RecordingPublisher()
    nothing: Any = Untouched()
    handler = IntakeHandler(nothing, nothing, nothing, nothing, cast(Publisher, publisher))
    streams = producer_streams("crm")
    await handler.on_dead_letter(
        DeadLetter(
            stream=streams.intake,
            group="gateway",
            message_id="1700000000000-1",
            fields=fields,
            reason="gave up after 5 failed deliveries to gateway",
            deliveries=6,
            envelope=intake_envelope(fields),
        )
    )
    [rejected] = publisher.published
    assert isinstance(rejected, IntakeRejected) and rejected.source == "crm"
    assert publisher.streams == [streams.rejected]
