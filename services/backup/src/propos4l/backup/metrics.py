"""Backup metrics: the age of the newest verified backup (for the stale-backup alert), sizes, durations, failures,
and the restore drill's duration (the measured RTO).

The gauges read the status the agent last fetched from the database (after every job and every minute), so an
exporter's callback never touches the database. They go through the OpenTelemetry API: exported when the process
configured telemetry (`running_telemetry`), free otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from propos4l.backup.model import Kind
from propos4l.backup.records import KindStatus
from propos4l.shared.telemetry import BackupStatus, observe_backups
from propos4l.shared.telemetry.metrics import SCOPE

__all__ = ["BackupMetrics"]


class BackupMetrics:
    """Holds the latest status of each kind and reports it to OpenTelemetry."""

    def __init__(self, intervals: Mapping[Kind, float | None]) -> None:
        self._intervals = dict(intervals)
        self._statuses: tuple[KindStatus, ...] = ()

    def update(self, statuses: Sequence[KindStatus]) -> None:
        """Replace the status the gauges report."""
        self._statuses = tuple(statuses)

    def backup_statuses(self) -> list[BackupStatus]:
        """Per kind: when the newest verified backup last matched its source, and how often that is renewed."""
        return [
            BackupStatus(
                kind=status.kind.value,
                last_verified_at=status.covered_at.timestamp() if status.covered_at is not None else None,
                interval_seconds=self._intervals.get(status.kind),
            )
            for status in self._statuses
        ]

    def observe_size(self, _: CallbackOptions | None = None) -> Iterable[Observation]:
        """Bytes the newest verified backup covers, and bytes it added to BACKUP_DIR."""
        for status in self._statuses:
            if status.size_bytes is not None:
                yield Observation(status.size_bytes, {"kind": status.kind.value, "measure": "covered"})
            if status.stored_bytes is not None:
                yield Observation(status.stored_bytes, {"kind": status.kind.value, "measure": "added"})

    def observe_duration(self, _: CallbackOptions | None = None) -> Iterable[Observation]:
        """Seconds the newest verified backup took to make."""
        for status in self._statuses:
            if status.duration_seconds is not None:
                yield Observation(status.duration_seconds, {"kind": status.kind.value})

    def observe_failures(self, _: CallbackOptions | None = None) -> Iterable[Observation]:
        """Failed attempts since the newest verified backup, and failed attempts in the last 24 hours."""
        for status in self._statuses:
            yield Observation(status.consecutive_failures, {"kind": status.kind.value, "window": "consecutive"})
            yield Observation(status.failures_last_24h, {"kind": status.kind.value, "window": "24h"})

    def observe_drill(self, _: CallbackOptions | None = None) -> Iterable[Observation]:
        """Seconds the last restore drill took (the measured RTO), labelled with its outcome."""
        for status in self._statuses:
            if status.last_drill_seconds is not None:
                ok = "true" if status.last_drill_ok else "false"
                yield Observation(status.last_drill_seconds, {"kind": status.kind.value, "ok": ok})

    def register(self, meter_provider: metrics.MeterProvider | None = None) -> None:
        """Create the gauges (once per process) on the global meter provider, or on the one given."""
        observe_backups(self.backup_statuses, meter_provider=meter_provider)
        meter = metrics.get_meter(SCOPE, meter_provider=meter_provider)
        gauges = (
            ("propos4l.backup.size", self.observe_size, "By", "Size of the newest verified backup, by kind."),
            ("propos4l.backup.duration", self.observe_duration, "s", "Time the newest verified backup took."),
            ("propos4l.backup.failures", self.observe_failures, "{failure}", "Failed backup attempts, by kind."),
            ("propos4l.backup.drill.duration", self.observe_drill, "s", "Time the last restore drill took (RTO)."),
        )
        for name, callback, unit, description in gauges:
            meter.create_observable_gauge(name, callbacks=[callback], unit=unit, description=description)
