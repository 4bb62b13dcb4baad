"""The stream gauges read a consumer group's lag, pending count and dead letters from a real Redis."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from redis.asyncio import Redis

from propos4l.shared.delivery import ensure_group
from propos4l.shared.streams import ConsumerGroup, Stream, dead_letter_stream
from propos4l.shared.telemetry import StreamWatch
from propos4l.shared.telemetry.metrics import _ProcessGauges, _register_process_gauges

pytestmark = pytest.mark.integration

STREAM = Stream.PROPOSAL_DRAFTED
GROUP = ConsumerGroup.RENDERER


async def test_a_stream_watch_reads_lag_pending_and_dead_letters_of_its_group(redis: Redis) -> None:
    await ensure_group(redis, STREAM.value, GROUP.value)
    await ensure_group(redis, STREAM.value, ConsumerGroup.GATEWAY.value)  # another group's state is not ours
    for number in range(5):
        await redis.xadd(STREAM.value, {"n": str(number)})
    await redis.xreadgroup(GROUP.value, "renderer-1", {STREAM.value: ">"}, count=2)  # read, not acknowledged
    await redis.xadd(dead_letter_stream(STREAM, GROUP), {"dead:reason": "gave up"})

    watch = StreamWatch(redis, STREAM.value, GROUP.value, dead_letter_stream(STREAM, GROUP))
    reading = await watch._read()
    await watch.close()

    assert reading.pending == 2
    assert reading.dead_letters == 1
    major = int(str((await redis.info("server"))["redis_version"]).split(".")[0])
    assert reading.lag == (3 if major >= 7 else None)  # XINFO GROUPS reports lag since Redis 7


async def test_the_gauges_report_each_group_s_latest_reading(redis: Redis) -> None:
    await ensure_group(redis, STREAM.value, GROUP.value)
    await redis.xadd(STREAM.value, {"n": "1"})
    watch = StreamWatch(redis, STREAM.value, GROUP.value, dead_letter_stream(STREAM, GROUP))
    gauges = _ProcessGauges()
    gauges.readings[(STREAM.value, GROUP.value)] = await watch._read()
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    _register_process_gauges(provider.get_meter("test"), gauges)

    data = reader.get_metrics_data()
    assert data is not None
    values = {
        metric.name: [(dict(point.attributes or {}), point.value) for point in metric.data.data_points]  # type: ignore[union-attr]
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    labels = {"stream": STREAM.value, "group": GROUP.value}
    assert values["propos4l.stream.pending"] == [(labels, 0)]
    assert values["propos4l.stream.dead_letters"] == [(labels, 0)]
    assert values["propos4l.up"] == [({}, 1)]
    provider.shutdown()
