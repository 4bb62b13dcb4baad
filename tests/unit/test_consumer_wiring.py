"""Which group reads which stream is declared once (`CONSUMERS`); a service's handler table must agree with it.

Stream retention trims a stream behind the groups `CONSUMERS` names. A service that read a stream `CONSUMERS` does
not list for it would see entries trimmed before it read them; one that left out a listed stream would hold
retention back for ever. `group_consumers` builds every service's consumers and refuses both at start.
"""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from propos4l.shared.delivery import ConsumerOptions, Delivery
from propos4l.shared.runtime import group_consumers
from propos4l.shared.streams import CONSUMERS, ConsumerGroup, Stream, streams_read_by


async def _handler(delivery: Delivery) -> None:
    return None


def _consumers(group: ConsumerGroup, streams: tuple[Stream, ...]) -> list[str]:
    redis = Redis()  # never connected: building consumers talks to no one
    built = group_consumers(
        redis,
        group,
        dict.fromkeys(streams, _handler),
        consumer="test",
        on_dead_letter=None,
        options=ConsumerOptions(),
    )
    return [consumer.stream for consumer in built]


@pytest.mark.parametrize("group", list(ConsumerGroup))
def test_a_groups_consumers_are_exactly_the_streams_consumers_lists_for_it(group: ConsumerGroup) -> None:
    listed = {stream.value for stream, groups in CONSUMERS.items() if group in groups}
    assert listed, f"no stream is read by {group.value}"
    assert set(_consumers(group, streams_read_by(group))) == listed


def test_a_handler_table_that_leaves_out_a_stream_the_group_reads_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no handler for \['propos4l.proposal.rendered'\]"):
        _consumers(
            ConsumerGroup.GATEWAY,
            tuple(s for s in streams_read_by(ConsumerGroup.GATEWAY) if s.name != "PROPOSAL_RENDERED"),
        )


def test_a_handler_for_a_stream_the_group_does_not_read_is_refused() -> None:
    streams = (*streams_read_by(ConsumerGroup.RENDERER), Stream.PROPOSAL_RENDERED)
    with pytest.raises(ValueError, match=r"streams it does not list: \['propos4l.proposal.rendered'\]"):
        _consumers(ConsumerGroup.RENDERER, streams)
