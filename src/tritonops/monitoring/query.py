"""Prometheus' HTTP API (``/api/v1/query``, ``/api/v1/alerts``): the one reader of a Prometheus.

API reference: prometheus.io/docs/prometheus/latest/querying/api/. Every answer is JSON with
``status`` ``success`` or ``error``; failures raise ``MonitoringError`` naming the URL and the fix.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from tritonops.errors import MonitoringError

_FIX = "check --prometheus-url (e.g. http://prometheus:9090) and that Prometheus runs"


@dataclass(frozen=True)
class Sample:
    """One series of an instant vector: its labels and value."""

    labels: dict[str, str]
    value: float


class PrometheusApi:
    """Queries against one Prometheus at ``url`` (``host:port`` or ``http://host:port``)."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = (url if "://" in url else f"http://{url}").rstrip("/")
        self.timeout_s = timeout_s

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        full = f"{self.url}{path}"
        if params:
            full += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(full, timeout=self.timeout_s) as response:
                body: bytes = response.read()
        except urllib.error.HTTPError as exc:
            # Prometheus answers 400/422 with a JSON error naming the bad query
            detail = exc.read().decode("utf-8", "replace")[:500]
            raise MonitoringError(f"Prometheus at {self.url} refused {path}: {detail}") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise MonitoringError(f"cannot reach Prometheus at {self.url}: {exc} — {_FIX}") from exc
        try:
            answer = json.loads(body)
        except ValueError as exc:
            raise MonitoringError(f"{full} did not answer JSON — {_FIX}") from exc
        if not isinstance(answer, dict) or answer.get("status") != "success":
            raise MonitoringError(
                f"Prometheus at {self.url} answered an error for {path}: {answer}"
            )
        return answer.get("data")

    def ready(self) -> bool:
        """Whether ``/-/ready`` answers 200 (Prometheus has loaded its config and TSDB)."""
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=self.timeout_s) as answer:
                return int(answer.status) == 200
        except (OSError, http.client.HTTPException):
            return False

    def query(self, expr: str, at: float | None = None) -> list[Sample]:
        """An instant query (at Unix time ``at``, default now); only vectors are accepted."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = self._get("/api/v1/query", params)
        if not isinstance(data, dict) or data.get("resultType") != "vector":
            raise MonitoringError(f"{expr!r} is not an instant vector query")
        return [
            Sample(dict(item.get("metric", {})), float(item["value"][1]))
            for item in data.get("result", [])
        ]

    def alerts(self) -> list[dict[str, Any]]:
        """Every active alert (pending or firing), as Prometheus lists them."""
        data = self._get("/api/v1/alerts")
        found = data.get("alerts", []) if isinstance(data, dict) else []
        return [a for a in found if isinstance(a, dict)]
