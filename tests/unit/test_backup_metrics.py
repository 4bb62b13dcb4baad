"""Backup metrics: the age alert's timestamp and interval, sizes, durations, failures and the drill, per kind."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from propos4l.backup.metrics import BackupMetrics
from propos4l.backup.model import Kind
from propos4l.backup.records import KindStatus

COVERED = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


def status(kind: Kind, **values: Any) -> KindStatus:
    defaults: dict[str, Any] = {
        "last_verified_id": None,
        "last_verified_at": None,
        "covered_at": None,
        "age_seconds": None,
        "size_bytes": None,
        "stored_bytes": None,
        "duration_seconds": None,
        "consecutive_failures": 0,
        "failures_last_24h": 0,
        "last_run_status": None,
        "last_run_error": None,
        "last_drill_at": None,
        "last_drill_ok": None,
        "last_drill_seconds": None,
    }
    return KindStatus(kind=kind, **(defaults | values))


def test_every_kind_is_exported_with_its_age_sizes_failures_and_drill() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    metrics = BackupMetrics({Kind.DB: 21600, Kind.PDFS: 86400, Kind.TEMPLATES: 3600})
    metrics.register(provider)
    metrics.update(
        [
            status(
                Kind.DB,
                last_verified_id="db-20260301T060000Z-abcdef",
                covered_at=COVERED,
                size_bytes=1000,
                stored_bytes=1200,
                duration_seconds=2.5,
                last_drill_ok=True,
                last_drill_seconds=12.8,
            ),
            status(Kind.PDFS, consecutive_failures=3, failures_last_24h=4),
        ]
    )
    data = reader.get_metrics_data()
    assert data is not None
    points: dict[str, dict[tuple[tuple[str, Any], ...], float]] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:  # type: ignore[union-attr]
                    points.setdefault(metric.name, {})[tuple(sorted(point.attributes.items()))] = point.value
    provider.shutdown()
    assert points["propos4l.backup.last_verified_timestamp"][(("kind", "db"),)] == COVERED.timestamp()
    assert points["propos4l.backup.interval"] == {(("kind", "db"),): 21600, (("kind", "pdfs"),): 86400}
    assert points["propos4l.backup.size"] == {
        (("kind", "db"), ("measure", "covered")): 1000,
        (("kind", "db"), ("measure", "added")): 1200,
    }
    assert points["propos4l.backup.duration"] == {(("kind", "db"),): 2.5}
    assert points["propos4l.backup.failures"][(("kind", "pdfs"), ("window", "consecutive"))] == 3
    assert points["propos4l.backup.failures"][(("kind", "pdfs"), ("window", "24h"))] == 4
    assert points["propos4l.backup.drill.duration"] == {(("kind", "db"), ("ok", "true")): 12.8}
