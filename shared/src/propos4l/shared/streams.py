"""Names of the Redis streams and consumer groups. Nothing outside this module spells them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "CONSUMERS",
    "PUBLIC_STREAMS",
    "ConsumerGroup",
    "ProducerStreams",
    "Stream",
    "dead_letter_stream",
    "intake_producer",
    "producer_streams",
    "retry_stream",
    "streams_read_by",
]


class Stream(StrEnum):
    """The streams that carry Propos4l's events."""

    PROPOSAL_REQUESTED = "propos4l.proposal.requested"
    GENERATION_STARTED = "propos4l.proposal.generation-started"
    PROPOSAL_PROGRESSED = "propos4l.proposal.progressed"
    SECTION_REGENERATION_REQUESTED = "propos4l.section.regeneration-requested"
    PROPOSAL_DRAFTED = "propos4l.proposal.drafted"
    PROPOSAL_RENDERED = "propos4l.proposal.rendered"
    PROPOSAL_FAILED = "propos4l.proposal.failed"
    TEMPLATE_CHANGED = "propos4l.template.changed"
    LIBRARY_ENTRY_CHANGED = "propos4l.library.entry-changed"
    LIBRARY_DOCUMENT_UPLOADED = "propos4l.library.document-uploaded"
    LIBRARY_DOCUMENT_INDEXED = "propos4l.library.document-indexed"
    LIBRARY_DOCUMENT_FAILED = "propos4l.library.document-failed"
    PROPOSAL_DOCUMENT_UPLOADED = "propos4l.proposal.document-uploaded"
    PROPOSAL_DOCUMENT_PROGRESSED = "propos4l.proposal.document-progressed"
    PROPOSAL_DOCUMENT_READ = "propos4l.proposal.document-read"
    PROPOSAL_DOCUMENT_FAILED = "propos4l.proposal.document-failed"
    PROPOSAL_REQUIREMENTS_FOUND = "propos4l.proposal.requirements-found"
    PROPOSAL_REQUIREMENTS_REVIEWED = "propos4l.proposal.requirements-reviewed"
    # The public streams: a contract with systems outside Propos4l, versioned and kept compatible (ADR 0018).
    # Producers write to their own intake stream (`producer_streams`); this shared one is deprecated (it cannot tell
    # who wrote an entry) and read until intake contract 2.
    INTAKE_PROPOSAL_REQUESTED = "propos4l.intake.proposal-requested"
    INTAKE_REJECTED = "propos4l.intake.rejected"
    PROPOSAL_LIFECYCLE = "propos4l.proposal.lifecycle"


PUBLIC_STREAMS: tuple[Stream, ...] = (
    Stream.INTAKE_PROPOSAL_REQUESTED,
    Stream.INTAKE_REJECTED,
    Stream.PROPOSAL_LIFECYCLE,
)
"""The shared public streams. Each producer also has streams of its own (`producer_streams`), the only ones its Redis
user may use: XADD to its intake stream, read its rejections and its proposals' lifecycle."""


class ConsumerGroup(StrEnum):
    """One consumer group per service, so that replicas of a service share its work."""

    GATEWAY = "gateway"
    GENERATOR = "generator"
    RENDERER = "renderer"
    BACKUP = "backup"
    LIBRARY = "library"
    WEBHOOKS = "webhooks"


CONSUMERS: dict[Stream, tuple[ConsumerGroup, ...]] = {
    Stream.PROPOSAL_REQUESTED: (ConsumerGroup.GENERATOR,),
    Stream.GENERATION_STARTED: (ConsumerGroup.GATEWAY,),
    Stream.PROPOSAL_PROGRESSED: (ConsumerGroup.GATEWAY,),
    Stream.SECTION_REGENERATION_REQUESTED: (ConsumerGroup.GENERATOR,),
    Stream.PROPOSAL_DRAFTED: (ConsumerGroup.RENDERER, ConsumerGroup.GATEWAY),
    Stream.PROPOSAL_RENDERED: (ConsumerGroup.GATEWAY,),
    Stream.PROPOSAL_FAILED: (ConsumerGroup.GATEWAY,),
    Stream.TEMPLATE_CHANGED: (ConsumerGroup.BACKUP,),
    Stream.LIBRARY_ENTRY_CHANGED: (ConsumerGroup.LIBRARY,),
    Stream.LIBRARY_DOCUMENT_UPLOADED: (ConsumerGroup.LIBRARY,),
    Stream.LIBRARY_DOCUMENT_INDEXED: (ConsumerGroup.GATEWAY,),
    Stream.LIBRARY_DOCUMENT_FAILED: (ConsumerGroup.GATEWAY,),
    Stream.PROPOSAL_DOCUMENT_UPLOADED: (ConsumerGroup.LIBRARY,),
    Stream.PROPOSAL_DOCUMENT_PROGRESSED: (ConsumerGroup.GATEWAY,),
    Stream.PROPOSAL_DOCUMENT_READ: (ConsumerGroup.GATEWAY,),
    Stream.PROPOSAL_DOCUMENT_FAILED: (ConsumerGroup.GATEWAY,),
    Stream.PROPOSAL_REQUIREMENTS_FOUND: (ConsumerGroup.GENERATOR,),
    Stream.PROPOSAL_REQUIREMENTS_REVIEWED: (ConsumerGroup.GATEWAY,),
    Stream.INTAKE_PROPOSAL_REQUESTED: (ConsumerGroup.GATEWAY,),
    Stream.INTAKE_REJECTED: (),  # read by the producers only, each its own way: trimmed by age alone
    Stream.PROPOSAL_LIFECYCLE: (ConsumerGroup.WEBHOOKS,),  # and by outside consumers, with their own groups
}
"""The consumer groups that read each stream: an entry is done with once all of them have acknowledged it.

The one declaration of who reads what: stream retention and the AsyncAPI document read it, and each service starts
its consumers through `propos4l.shared.runtime.group_consumers`, which refuses a handler table that disagrees.
"""


@dataclass(frozen=True, slots=True)
class ProducerStreams:
    """The streams of one producer (Redis user `producer-<name>`): the stream name says who wrote an entry, since
    Redis ACL key patterns let the user XADD there and nowhere else (ADR 0018)."""

    producer: str
    intake: str
    rejected: str
    lifecycle: str

    def groups(self) -> dict[str, tuple[ConsumerGroup, ...]]:
        """Who reads each of them inside Propos4l (for stream retention), as `CONSUMERS` says of the shared ones."""
        return {self.intake: (ConsumerGroup.GATEWAY,), self.rejected: (), self.lifecycle: ()}


_PRODUCER_NAME: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


def producer_streams(producer: str) -> ProducerStreams:
    """The streams of producer `producer`: `<shared stream>.<producer>`. Names are lower case letters, digits, `-`
    and `_` (no `.`, so one producer's streams never look like another's; no glob characters for ACL patterns)."""
    if not _PRODUCER_NAME.fullmatch(producer):
        raise ValueError(
            f"{producer!r} is not a producer name: 1 to 63 lower-case letters, digits, '-' and '_', "
            "starting with a letter or digit"
        )
    return ProducerStreams(
        producer=producer,
        intake=f"{Stream.INTAKE_PROPOSAL_REQUESTED.value}.{producer}",
        rejected=f"{Stream.INTAKE_REJECTED.value}.{producer}",
        lifecycle=f"{Stream.PROPOSAL_LIFECYCLE.value}.{producer}",
    )


def intake_producer(stream: str) -> str | None:
    """The producer whose intake stream `stream` is, or None (the deprecated shared stream, or another stream)."""
    prefix = f"{Stream.INTAKE_PROPOSAL_REQUESTED.value}."
    if not stream.startswith(prefix):
        return None
    producer = stream.removeprefix(prefix)
    return producer if _PRODUCER_NAME.fullmatch(producer) else None


def streams_read_by(group: ConsumerGroup) -> tuple[Stream, ...]:
    """The streams `group` reads, in `CONSUMERS` order."""
    return tuple(stream for stream, groups in CONSUMERS.items() if group in groups)


def dead_letter_stream(stream: Stream | str, group: ConsumerGroup) -> str:
    """The stream where a group's messages from `stream` go once they exhaust their deliveries."""
    return f"{stream!s}.dead.{group.value}"


def retry_stream(stream: Stream | str, group: ConsumerGroup) -> str:
    """The stream only `group` reads besides `stream`: replayed dead letters go there, so no other group sees them."""
    return f"{stream!s}.retry.{group.value}"
