"""The observability stack's configuration: alert rules and their tests, collector pipelines, dashboards, data sources.

promtool and amtool come from the distribution's `prometheus` and `prometheus-alertmanager` packages (`make test`
unpacks them into .tools/ when they are missing); without them the tests that need them are skipped, saying so.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    Gauge,
    Histogram,
    InMemoryMetricReader,
    Sum,
)

from propos4l.shared.telemetry import BackupStatus, observe_backups
from propos4l.shared.telemetry.metrics import (
    LOG_TYPES,
    _create_instruments,
    _ProcessGauges,
    _register_process_gauges,
    _StreamReading,
)

REPO = Path(__file__).resolve().parents[2]
OBSERVABILITY = REPO / "observability"
RULES = OBSERVABILITY / "prometheus" / "rules" / "propos4l.rules.yml"
RULE_TESTS = OBSERVABILITY / "prometheus" / "tests" / "propos4l.rules.test.yml"
COLLECTOR = OBSERVABILITY / "otel-collector" / "config.yaml"
DATASOURCES = OBSERVABILITY / "grafana" / "provisioning" / "datasources" / "datasources.yaml"
DASHBOARDS = sorted((OBSERVABILITY / "grafana" / "dashboards").glob("*.json"))
OPERATIONS = REPO / "docs" / "operations.md"
GRAFANA_BUILT_IN = "-- Grafana --"


_PACKAGES = {"promtool": "prometheus", "amtool": "prometheus-alertmanager"}


def _tool(name: str) -> str:
    """The path of promtool or amtool: on the PATH, or unpacked into .tools/bin by `make test`."""
    local = REPO / ".tools" / "bin" / name
    found = shutil.which(name) or (str(local) if local.exists() else None)
    if found is None:
        pytest.skip(f"{name} is not installed: it comes with the {_PACKAGES[name]} package (`make test` fetches it)")
    return found


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _alerts() -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for group in _yaml(RULES)["groups"] for rule in group["rules"] if "alert" in rule}


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def _prometheus_queries() -> list[str]:
    queries = [rule["expr"] for group in _yaml(RULES)["groups"] for rule in group["rules"]]
    for path in DASHBOARDS:
        for panel in _panels(json.loads(path.read_text(encoding="utf-8"))):
            queries += [
                t["expr"] for t in panel.get("targets", []) if t.get("datasource", {}).get("type") == "prometheus"
            ]
    return queries


# --- alert rules ----------------------------------------------------------------------------------------------------


def test_promtool_accepts_the_alert_rules() -> None:
    checked = _run(_tool("promtool"), "check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_promtool_unit_tests_pass() -> None:
    tested = _run(_tool("promtool"), "test", "rules", str(RULE_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_is_tested_both_firing_and_quiet() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in _yaml(RULE_TESTS)["tests"]:
        for check in case.get("alert_rule_test", []):
            (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    alerts = set(_alerts())
    assert alerts - firing == set(), "alerts no test makes fire"
    assert alerts - quiet == set(), "alerts no test shows quiet"


def test_the_issue_s_alerts_are_all_there_with_a_severity_and_a_runbook() -> None:
    alerts = _alerts()
    assert {
        "HostHighCpu",
        "HostLowMemory",
        "HostLowDisk",
        "ErrorLogRate",
        "DeadLetters",
        "BackupStale",
        "GenerationSlow",
        "ServiceDown",
    } <= set(alerts)
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["annotations"]["runbook"] == f"docs/operations.md#{name.lower()}"
        assert {"summary", "description"} <= set(rule["annotations"]), name


def test_every_alert_has_a_runbook_section_in_the_operations_guide() -> None:
    text = OPERATIONS.read_text(encoding="utf-8")
    headings = {match.group(1) for match in re.finditer(r"^#### (\w+)\s*$", text, re.MULTILINE)}
    assert set(_alerts()) - headings == set()


def test_prometheus_configuration_is_valid() -> None:
    checked = _run(_tool("promtool"), "check", "config", str(OBSERVABILITY / "prometheus" / "prometheus.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_alertmanager_configuration_is_valid() -> None:
    checked = _run(_tool("amtool"), "check-config", str(OBSERVABILITY / "alertmanager" / "alertmanager.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    # promtool parses expressions only inside rule files: each query becomes a recording rule.
    rules = [
        {
            "record": f"dashboard:query_{index}",
            "expr": query.replace("$__rate_interval", "5m").replace("$__range", "1h"),
        }
        for index, query in enumerate(_prometheus_queries())
    ]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}), encoding="utf-8")
    checked = _run(_tool("promtool"), "check", "rules", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr


# --- metric names ---------------------------------------------------------------------------------------------------


def _prometheus_names(name: str, unit: str, kind: str) -> set[str]:
    """The names the collector's Prometheus exporter gives a metric (unit and type suffixes, as it adds them)."""
    base = re.sub(r"[^a-zA-Z0-9_]", "_", name)
    unit = re.sub(r"\{.*?\}", "", unit)
    suffix = {"s": "seconds", "ms": "milliseconds", "By": "bytes"}.get(unit, "ratio" if unit == "1" else unit)
    if suffix and not base.endswith(suffix):
        base = f"{base}_{suffix}"
    if kind == "counter":
        return {f"{base}_total"}
    if kind == "histogram":
        return {f"{base}_bucket", f"{base}_sum", f"{base}_count"}
    return {base}


def _exported_metric_names() -> set[str]:
    """Every Prometheus name the services' own instruments produce, as the collector would name them."""
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    meter = provider.get_meter("test")
    made = _create_instruments(meter)
    for counter in (
        made.dead_letters,
        made.events_published,
        made.llm_tokens,
        made.log_records,
        made.outbox_republished,
        made.stream_trimmed,
    ):
        counter.add(1)
    for histogram in (
        made.message_duration,
        made.generation_duration,
        made.llm_duration,
        made.render_duration,
        made.render_pages,
    ):
        histogram.record(1)
    made.generation_objective.set(1)
    made.consumer_paused.set(1)
    gauges = _ProcessGauges()
    gauges.readings[("s", "g")] = _StreamReading(lag=1, pending=1, dead_letters=1)
    _register_process_gauges(meter, gauges)
    observe_backups(lambda: [BackupStatus("database", 1.0, 60.0)], meter_provider=provider)
    data = reader.get_metrics_data()
    assert data is not None
    names: set[str] = set()
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if isinstance(metric.data, Histogram):
                    kind = "histogram"
                elif isinstance(metric.data, Sum) and metric.data.is_monotonic:
                    kind = "counter"
                else:
                    assert isinstance(metric.data, Gauge | Sum)
                    kind = "gauge"
                names |= _prometheus_names(metric.name, metric.unit or "", kind)
    provider.shutdown()
    return names


def _host_metric_names() -> set[str]:
    """The hostmetrics utilization gauges the collector configuration enables."""
    scrapers = _yaml(COLLECTOR)["receivers"]["hostmetrics"]["scrapers"]
    return {
        name
        for scraper in scrapers.values()
        for metric, settings in ((scraper or {}).get("metrics") or {}).items()
        if settings.get("enabled")
        for name in _prometheus_names(metric, "1", "gauge")
    }


# The gateway's HTTP metric comes from the FastAPI instrumentation (http.server.duration, in ms); the integration test
# of the trace checks that the gateway exports it.
_INSTRUMENTATION_METRICS = _prometheus_names("http.server.duration", "ms", "histogram")


def test_every_metric_the_alerts_and_the_dashboard_use_is_one_the_system_exports() -> None:
    used = {
        name
        for query in _prometheus_queries()
        for name in re.findall(r"\b((?:propos4l|http_server|system)_[a-z0-9_]+)\b", query)
    }
    exported = _exported_metric_names() | _host_metric_names() | _INSTRUMENTATION_METRICS
    assert used - exported == set()
    assert {"propos4l_up", "propos4l_stream_lag", "propos4l_backup_last_verified_timestamp_seconds"} <= exported


# --- collector ------------------------------------------------------------------------------------------------------


def test_every_collector_pipeline_uses_components_that_are_defined() -> None:
    config = _yaml(COLLECTOR)
    receivers, processors, exporters = set(config["receivers"]), set(config["processors"]), set(config["exporters"])
    connectors = set(config.get("connectors") or {})
    pipelines: dict[str, dict[str, list[str]]] = config["service"]["pipelines"]
    assert set(config["service"].get("extensions", [])) <= set(config.get("extensions") or {})
    used: set[str] = set()
    for name, pipeline in pipelines.items():
        assert pipeline.get("receivers") and pipeline.get("exporters"), name
        assert set(pipeline["receivers"]) <= receivers | connectors, name
        assert set(pipeline.get("processors", [])) <= processors, name
        assert set(pipeline["exporters"]) <= exporters | connectors, name
        used |= set(pipeline["receivers"]) | set(pipeline.get("processors", [])) | set(pipeline["exporters"])
        if set(pipeline["receivers"]) & receivers:  # data entering the collector is limited before anything else
            assert pipeline["processors"][0] == "memory_limiter", name
        if set(pipeline["exporters"]) & exporters:  # and leaves it in batches
            assert "batch" in pipeline["processors"], name
    assert (receivers | processors | exporters | connectors) - used == set(), "defined but never used"
    for connector in connectors:
        as_exporter = [n for n, p in pipelines.items() if connector in p["exporters"]]
        as_receiver = [n for n, p in pipelines.items() if connector in p["receivers"]]
        assert as_exporter and as_receiver, connector
    signals = {name.split("/")[0] for name in pipelines}
    assert signals == {"traces", "metrics", "logs"}


def test_the_collector_routes_each_log_type_to_its_own_pipeline() -> None:
    config = _yaml(COLLECTOR)
    routing = config["connectors"]["routing/logs"]
    routes = {re.search(r'== "(\w+)"', route["condition"]).group(1): route["pipelines"] for route in routing["table"]}  # type: ignore[union-attr]
    routes["app"] = routing["default_pipelines"]
    assert set(routes) == set(LOG_TYPES)
    for log_type, [pipeline] in routes.items():
        processors = config["service"]["pipelines"][pipeline]["processors"]
        [resource] = [p for p in processors if p.startswith("resource/")]
        assert config["processors"][resource]["attributes"] == [
            {"key": "log_type", "value": log_type, "action": "upsert"}
        ]
    loki = _yaml(OBSERVABILITY / "loki" / "loki.yaml")
    assert loki["limits_config"]["allow_structured_metadata"] is True
    indexed = loki["limits_config"]["otlp_config"]["resource_attributes"]["attributes_config"]
    assert {"action": "index_label", "attributes": ["log_type"]} in indexed


def test_hosts_and_ports_agree_across_the_stack() -> None:
    collector = _yaml(COLLECTOR)
    exporters = collector["exporters"]
    tempo_port = _yaml(OBSERVABILITY / "tempo" / "tempo.yaml")["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]
    assert exporters["otlp/tempo"]["endpoint"] == "tempo:" + tempo_port["endpoint"].rsplit(":", 1)[1]
    assert exporters["otlphttp/loki"]["endpoint"].startswith("http://loki:3100/")
    jobs = {job["job_name"]: job for job in _yaml(OBSERVABILITY / "prometheus" / "prometheus.yml")["scrape_configs"]}
    exporter_port = exporters["prometheus"]["endpoint"].rsplit(":", 1)[1]
    assert jobs["otel-collector"]["static_configs"][0]["targets"] == [f"otel-collector:{exporter_port}"]
    assert jobs["otel-collector"]["honor_labels"] is True  # `job` stays the service name, as the alerts expect
    assert collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")


# --- Grafana --------------------------------------------------------------------------------------------------------


def test_dashboards_are_valid_json_and_use_only_provisioned_data_sources() -> None:
    provisioned = {source["uid"]: source["type"] for source in _yaml(DATASOURCES)["datasources"]}
    assert DASHBOARDS, "no dashboard provisioned"
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        assert dashboard["uid"] and dashboard["title"]
        panels = list(_panels(dashboard))
        assert len({panel["id"] for panel in panels}) == len(panels), f"{path.name}: panel ids repeat"
        for panel in panels:
            references = [panel.get("datasource")] + [target.get("datasource") for target in panel.get("targets", [])]
            for reference in filter(None, references):
                if reference["uid"] == GRAFANA_BUILT_IN:
                    continue
                assert provisioned.get(reference["uid"]) == reference["type"], f"{path.name}: {panel['title']}"
            if panel["type"] != "row":
                assert panel.get("targets"), f"{path.name}: {panel['title']} shows nothing"


def test_the_pipeline_dashboard_covers_what_the_issue_asks_for() -> None:
    dashboard = json.loads((OBSERVABILITY / "grafana" / "dashboards" / "propos4l-pipeline.json").read_text())
    rows = [panel["title"] for panel in dashboard["panels"] if panel["type"] == "row"]
    assert rows == [
        "Overview",
        "Requests (gateway)",
        "Pipeline stages",
        "Streams",
        "Failures",
        "LLM",
        "Rendering",
        "Backups",
        "Host",
        "Traces",
    ]


def test_data_sources_link_traces_logs_and_metrics_by_uid() -> None:
    sources = {source["uid"]: source for source in _yaml(DATASOURCES)["datasources"]}
    assert set(sources) == {"prometheus", "loki", "tempo", "alertmanager"}
    tempo = sources["tempo"]["jsonData"]
    assert tempo["tracesToLogsV2"]["datasourceUid"] in sources
    assert tempo["lokiSearch"]["datasourceUid"] in sources
    assert tempo["tracesToMetrics"]["datasourceUid"] in sources
    [derived] = sources["loki"]["jsonData"]["derivedFields"]
    assert derived["datasourceUid"] in sources and derived["matcherRegex"] == "trace_id"
    assert sources["prometheus"]["jsonData"]["alertmanagerUid"] in sources
    assert {source["url"].split("//")[1].split(":")[0] for source in sources.values()} == {
        "prometheus",
        "loki",
        "tempo",
        "alertmanager",
    }
    provider = _yaml(OBSERVABILITY / "grafana" / "provisioning" / "dashboards" / "dashboards.yaml")
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
