"""The pipeline's own metrics: messages, dead letters, streams, LLM, rendering, backups, logs and liveness.

Instruments come from the global meter. Until `configure_telemetry` installs the SDK they are OpenTelemetry's no-op
proxies, so recording costs next to nothing when telemetry is off. The names below are what Prometheus sees after the
collector's translation (dots become underscores, the unit and `_total` are appended): the alert rules and the
dashboard in `observability/` rely on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Counter, Histogram, Meter, MeterProvider, Observation, _Gauge
from redis.asyncio import Redis
from redis.exceptions import RedisError

from propos4l.shared.aio import wait_event
from propos4l.shared.events import LlmUsage

__all__ = [
    "LOG_TYPES",
    "SCOPE",
    "BackupStatus",
    "StreamWatch",
    "count_dead_letter",
    "count_log_record",
    "count_republished",
    "count_trimmed",
    "instruments",
    "mark_consumer_paused",
    "observe_backups",
    "process_gauges",
    "record_generation",
    "record_library_document",
    "record_render",
    "set_generation_objective",
    "telemetry_enabled",
    "watch_stream",
]

logger = logging.getLogger(__name__)

SCOPE: Final = "propos4l"
LOG_TYPES: Final = ("app", "access", "error")

# Bucket boundaries in the unit of each histogram (the SDK's default ones are meant for milliseconds).
_MESSAGE_SECONDS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
_GENERATION_SECONDS: Final = (1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0, 600.0, 900.0)
_RENDER_SECONDS: Final = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
_PAGES: Final = (1.0, 2.0, 4.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0)


def telemetry_enabled() -> bool:
    """True once `configure_telemetry` has installed the OpenTelemetry SDK in this process."""
    from opentelemetry.sdk.trace import TracerProvider  # here: a process with telemetry off never loads the SDK

    return isinstance(trace.get_tracer_provider(), TracerProvider)


@dataclass(frozen=True, slots=True)
class _Instruments:
    """Every synchronous instrument of the pipeline."""

    message_duration: Histogram
    dead_letters: Counter
    events_published: Counter
    generation_duration: Histogram
    generation_objective: _Gauge
    llm_tokens: Counter
    llm_duration: Histogram
    render_duration: Histogram
    render_pages: Histogram
    library_index_duration: Histogram
    library_pages: Counter
    log_records: Counter
    outbox_republished: Counter
    stream_trimmed: Counter
    consumer_paused: _Gauge


@functools.cache  # instruments are per process in OpenTelemetry: created once, shared by every caller
def instruments() -> _Instruments:
    """The pipeline's instruments (no-op proxies until telemetry is configured)."""
    return _create_instruments(metrics.get_meter(SCOPE))


def _create_instruments(meter: Meter) -> _Instruments:
    return _Instruments(
        message_duration=meter.create_histogram(
            "propos4l.message.duration",
            unit="s",
            description="Time to handle one delivery of a stream message, by stream, group and outcome.",
            explicit_bucket_boundaries_advisory=_MESSAGE_SECONDS,
        ),
        dead_letters=meter.create_counter(
            "propos4l.dead_letters",
            unit="{message}",
            description="Messages moved to a dead-letter stream, by stream, group and cause.",
        ),
        events_published=meter.create_counter(
            "propos4l.events.published",
            unit="{event}",
            description="Events appended to their streams, by event type (and failure stage).",
        ),
        generation_duration=meter.create_histogram(
            "propos4l.generation.duration",
            unit="s",
            description="Time to draft a proposal (model calls, validation, repair), by provider, model, outcome.",
            explicit_bucket_boundaries_advisory=_GENERATION_SECONDS,
        ),
        generation_objective=meter.create_gauge(
            "propos4l.generation.p95_objective",
            unit="s",
            description="The 95th percentile drafting time above which the latency alert fires.",
        ),
        llm_tokens=meter.create_counter(
            "propos4l.llm.tokens",
            unit="{token}",
            description="Tokens the model server read and wrote, by provider, model and token type.",
        ),
        llm_duration=meter.create_histogram(
            "propos4l.llm.duration",
            unit="s",
            description="Time the model server reported for drafting one proposal, by provider and model.",
            explicit_bucket_boundaries_advisory=_GENERATION_SECONDS,
        ),
        render_duration=meter.create_histogram(
            "propos4l.render.duration",
            unit="s",
            description="Time to render a proposal's PDF in a worker, by template and outcome.",
            explicit_bucket_boundaries_advisory=_RENDER_SECONDS,
        ),
        render_pages=meter.create_histogram(
            "propos4l.render.pages",
            unit="{page}",
            description="Pages of the rendered PDFs, by template.",
            explicit_bucket_boundaries_advisory=_PAGES,
        ),
        library_index_duration=meter.create_histogram(
            "propos4l.library.index.duration",
            unit="s",
            description="Time to extract, split and index a library document, by media type and outcome.",
            explicit_bucket_boundaries_advisory=_MESSAGE_SECONDS,
        ),
        library_pages=meter.create_counter(
            "propos4l.library.pages",
            unit="{page}",
            description="Pages of library documents indexed, by media type and whether OCR read them.",
        ),
        log_records=meter.create_counter(
            "propos4l.log.records",
            unit="{record}",
            description="Log records written, by log type (app, access, error).",
        ),
        outbox_republished=meter.create_counter(
            "propos4l.outbox.republished",
            unit="{event}",
            description="Events Redis lost after the gateway published them, published again, by stream.",
        ),
        stream_trimmed=meter.create_counter(
            "propos4l.stream.trimmed",
            unit="{entry}",
            description="Stream entries every consumer group was done with, trimmed by the retention rounds.",
        ),
        consumer_paused=meter.create_gauge(
            "propos4l.consumer.paused",
            unit="{consumer}",
            description="1 while a consumer waits for a dependency (postgresql, redis, pdf_storage...) to come back.",
        ),
    )


def count_dead_letter(stream: str, group: str, cause: str) -> None:
    """One message of `stream` given up on by `group` (cause: unreadable, exhausted or permanent)."""
    instruments().dead_letters.add(1, {"stream": stream, "group": group, "cause": cause})


def count_republished(stream: str, events: int) -> None:
    """`events` of `stream` that Redis lost after they were published, published again by the outbox audit."""
    instruments().outbox_republished.add(events, {"stream": stream})


def count_trimmed(stream: str, entries: int) -> None:
    """`entries` of `stream` trimmed by a retention round."""
    instruments().stream_trimmed.add(entries, {"stream": stream})


def mark_consumer_paused(stream: str, group: str, dependency: str, paused: bool) -> None:
    """A consumer of `stream` in `group` paused for `dependency` being unavailable (or resumed)."""
    instruments().consumer_paused.set(1 if paused else 0, {"stream": stream, "group": group, "dependency": dependency})


def count_log_record(log_type: str) -> None:
    """One log record of `log_type` written."""
    instruments().log_records.add(1, {"log_type": log_type})


def record_generation(provider: str, model: str, outcome: str, seconds: float, usage: LlmUsage | None = None) -> None:
    """One drafting attempt: its duration and outcome, and what the model server reported it cost."""
    attributes = {"provider": provider, "model": model}
    instruments().generation_duration.record(seconds, {**attributes, "outcome": outcome})
    span = trace.get_current_span()
    span.set_attribute("propos4l.generation.outcome", outcome)
    if usage is None:
        return
    if usage.prompt_tokens:
        instruments().llm_tokens.add(usage.prompt_tokens, {**attributes, "token_type": "input"})
        span.set_attribute("gen_ai.usage.input_tokens", usage.prompt_tokens)
    if usage.output_tokens:
        instruments().llm_tokens.add(usage.output_tokens, {**attributes, "token_type": "output"})
        span.set_attribute("gen_ai.usage.output_tokens", usage.output_tokens)
    if usage.duration_ms is not None and (usage.prompt_tokens or usage.output_tokens):
        instruments().llm_duration.record(usage.duration_ms / 1000, attributes)


def set_generation_objective(seconds: float) -> None:
    """Publish the p95 drafting time the generation latency alert compares against."""
    instruments().generation_objective.set(seconds)


def record_render(template: str, outcome: str, seconds: float, pages: int | None = None) -> None:
    """One render: how long the worker took, how it ended, and how many pages it made."""
    instruments().render_duration.record(seconds, {"template": template, "outcome": outcome})
    if pages is not None:
        instruments().render_pages.record(pages, {"template": template})


def record_library_document(media_type: str, outcome: str, seconds: float, pages: int = 0, ocr_pages: int = 0) -> None:
    """One library document handled: how long indexing took, how it ended, and the pages read (by OCR or not)."""
    instruments().library_index_duration.record(seconds, {"media_type": media_type, "outcome": outcome})
    if pages - ocr_pages > 0:
        instruments().library_pages.add(pages - ocr_pages, {"media_type": media_type, "ocr": "false"})
    if ocr_pages > 0:
        instruments().library_pages.add(ocr_pages, {"media_type": media_type, "ocr": "true"})


# --- observable gauges ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _StreamReading:
    lag: int | None
    pending: int
    dead_letters: int


@dataclass(slots=True)
class _ProcessGauges:
    """What the process's observable gauges report: the latest stream readings, and how often to take them."""

    readings: dict[tuple[str, str], _StreamReading] = field(default_factory=dict)
    read_interval: float = 10.0

    def lag(self, _: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(reading.lag, {"stream": stream, "group": group})
            for (stream, group), reading in list(self.readings.items())
            if reading.lag is not None
        ]

    def pending(self, _: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(reading.pending, {"stream": stream, "group": group})
            for (stream, group), reading in list(self.readings.items())
        ]

    def dead_letters(self, _: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(reading.dead_letters, {"stream": stream, "group": group})
            for (stream, group), reading in list(self.readings.items())
        ]


@functools.cache  # one set of gauges per process, fed by every consumer that runs in it
def process_gauges() -> _ProcessGauges:
    """The process's stream gauges and its liveness gauge."""
    gauges = _ProcessGauges()
    _register_process_gauges(metrics.get_meter(SCOPE), gauges)
    for log_type in LOG_TYPES:  # a counter that exists at zero lets rate() see its first increase
        instruments().log_records.add(0, {"log_type": log_type})
    return gauges


def _register_process_gauges(meter: Meter, gauges: _ProcessGauges) -> None:
    meter.create_observable_gauge(
        "propos4l.up", callbacks=[lambda _: [Observation(1)]], description="1 while the service process runs."
    )
    meter.create_observable_gauge(
        "propos4l.stream.lag",
        callbacks=[gauges.lag],
        unit="{message}",
        description="Entries of a stream its consumer group has not read yet (Redis 7 and later).",
    )
    meter.create_observable_gauge(
        "propos4l.stream.pending",
        callbacks=[gauges.pending],
        unit="{message}",
        description="Entries a consumer group has read but not acknowledged.",
    )
    meter.create_observable_gauge(
        "propos4l.stream.dead_letters",
        callbacks=[gauges.dead_letters],
        unit="{message}",
        description="Entries waiting in a consumer group's dead-letter stream.",
    )


class StreamWatch:
    """Reads a consumer group's lag, pending count and dead letters periodically, for the stream gauges."""

    def __init__(self, redis: Redis, stream: str, group: str, dead_letter_stream: str) -> None:
        self._redis = redis
        self.stream = stream
        self.group = group
        self.dead_letter_stream = dead_letter_stream
        self._closing = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        if telemetry_enabled():
            self._task = asyncio.create_task(self._run(), name=f"stream gauges {stream}")

    async def close(self) -> None:
        """Stop reading and withdraw this stream's readings."""
        if self._task is None:
            return
        # The event, not only the cancellation: a Redis client interrupted mid-command may turn it into an error.
        self._closing.set()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        from opentelemetry.instrumentation.utils import suppress_instrumentation

        gauges = process_gauges()
        key = (self.stream, self.group)
        try:
            while not self._closing.is_set():
                try:
                    with suppress_instrumentation():  # these reads are bookkeeping, not part of any trace
                        gauges.readings[key] = await self._read()
                except (RedisError, OSError) as error:
                    logger.debug("could not read stream state", extra={"stream": self.stream, "error": str(error)})
                await wait_event(self._closing, gauges.read_interval)
        finally:
            gauges.readings.pop(key, None)

    async def _read(self) -> _StreamReading:
        groups: list[dict[str, object]] = await self._redis.xinfo_groups(self.stream)
        mine = next((entry for entry in groups if entry.get("name") == self.group), {})
        dead_letters = int(await self._redis.xlen(self.dead_letter_stream))
        lag = mine.get("lag")  # absent before Redis 7, None when Redis cannot tell (entries deleted)
        return _StreamReading(
            lag=int(lag) if isinstance(lag, int | str) else None,
            pending=int(str(mine.get("pending", 0))),
            dead_letters=dead_letters,
        )


def watch_stream(redis: Redis, stream: str, group: str, dead_letter_stream: str) -> StreamWatch:
    """Start reading a consumer group's state for the gauges (nothing happens while telemetry is off)."""
    return StreamWatch(redis, stream, group, dead_letter_stream)


@dataclass(frozen=True, slots=True)
class BackupStatus:
    """What the backup agent knows of one kind of backup, for the backup-age alert."""

    kind: str
    last_verified_at: float | None
    interval_seconds: float | None


def observe_backups(read: Callable[[], Iterable[BackupStatus]], *, meter_provider: MeterProvider | None = None) -> None:
    """Export, per kind, the time of the newest verified backup and the backup interval; call once per process.

    `read` runs on the metrics exporter's thread at every collection: it must be quick and thread-safe (return what
    the agent holds in memory). A kind with no verified backup yet reports the time this function was called, so a
    first backup that never happens still raises the alert, 1.5 intervals after the agent started. `meter_provider`
    defaults to the global one (tests pass their own).
    """
    started = time.time()

    def statuses() -> list[BackupStatus]:
        try:
            return list(read())
        except Exception:
            logger.exception("could not read the backup status for the metrics")
            return []

    def last_verified(_: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(status.last_verified_at or started, {"kind": status.kind})
            for status in statuses()
            if status.interval_seconds is not None or status.last_verified_at is not None
        ]

    def interval(_: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(status.interval_seconds, {"kind": status.kind})
            for status in statuses()
            if status.interval_seconds is not None
        ]

    meter = metrics.get_meter(SCOPE, meter_provider=meter_provider)
    meter.create_observable_gauge(
        "propos4l.backup.last_verified_timestamp",
        callbacks=[last_verified],
        unit="s",
        description="Unix time of the newest verified backup, by kind.",
    )
    meter.create_observable_gauge(
        "propos4l.backup.interval",
        callbacks=[interval],
        unit="s",
        description="How often a kind of backup is taken (kinds taken on change have none).",
    )
