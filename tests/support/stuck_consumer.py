"""A consumer process that takes one message and never finishes it: to be killed by tests.

Usage: python -m tests.support.stuck_consumer REDIS_URL CONSUMER_NAME MARKER_FILE
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from propos4l.shared.delivery import Consumer, ConsumerOptions, Delivery
from propos4l.shared.runtime import connect_redis
from propos4l.shared.streams import ConsumerGroup, Stream


async def main(redis_url: str, name: str, marker: Path) -> None:
    """Consume the requested stream as a generator replica that hangs on its first message."""
    redis = connect_redis(redis_url)

    async def hang(delivery: Delivery) -> None:
        marker.write_text(delivery.message_id)
        await asyncio.Event().wait()

    consumer = Consumer(
        redis,
        stream=Stream.PROPOSAL_REQUESTED,
        group=ConsumerGroup.GENERATOR,
        consumer=name,
        handler=hang,
        options=ConsumerOptions(visibility_timeout=30.0, block=0.2),
    )
    await consumer.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
