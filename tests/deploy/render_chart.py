"""Render a Helm chart with Helm's own engine (helm-python-sdk) and print the manifests as JSON: {template: text}.

Runs in .tools/helm's Python (`make helm`), not the project's: `python render_chart.py CHART VALUES_JSON`.
"""

from __future__ import annotations

import json
import sys

import helm_python as helm  # type: ignore[import-not-found]


def main() -> None:
    chart_path, values_json = sys.argv[1], sys.argv[2]
    values = json.loads(values_json)
    with helm.Chart.load(chart_path) as chart:
        manifests = chart.render(values, name="acme", namespace="propos4l")
    report = helm.lint(chart_path, values, strict=True, namespace="propos4l", kube_version="v1.33.0")
    json.dump({"manifests": manifests, "lint": report}, sys.stdout)


if __name__ == "__main__":
    main()
