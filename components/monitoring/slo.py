"""Service level objectives: recording rules, multiwindow multi-burn-rate alerts and a Grafana
dashboard per SLO, generated from the workloads' ``slo`` in the stack file.

An SLO is a target share of good requests over a 30-day window: *availability* (not a 5xx)
or *latency* (served within a bucket boundary of the request-duration histogram). The error
budget is ``1 - target``; the burn rate is the error ratio divided by the budget (1: the
budget lasts exactly the window).

Alerts follow the Google SRE Workbook ("Alerting on SLOs": multiwindow, multi-burn-rate; its
recommended 14.4x/1h, 6x/6h and 1x/3d rows, plus the 3x/1d ticket of Sloth's defaults), each
pairing a long window with a short one (the short one makes an alert stop soon after the burn
does):

======  =================  ==========  ====================================
burn    long / short       severity    budget spent when it fires
======  =================  ==========  ====================================
14.4    1h / 5m            critical    2 % in an hour: page
6       6h / 30m           critical    5 % in six hours: page
3       1d / 2h            warning     10 % in a day: ticket
1       3d / 6h            warning     10 % in three days: ticket
======  =================  ==========  ====================================

Where a workload has an availability SLO its fixed 5xx-ratio alerts are not generated, and a
latency SLO replaces its fixed p95 alert (``rules.py``): one signal, one page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .rules import WORKLOAD_LABEL

SLO_WINDOW_DAYS = 30
RATE_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")
BURN_ALERTS: tuple[tuple[float, str, str, str, str], ...] = (
    # (burn rate, long window, short window, severity, for)
    (14.4, "1h", "5m", "critical", "2m"),
    (6.0, "6h", "30m", "critical", "15m"),
    (3.0, "1d", "2h", "warning", "1h"),
    (1.0, "3d", "6h", "warning", "3h"),
)

SloKind = Literal["availability", "latency"]


@dataclass(frozen=True)
class Slo:
    """One objective of one workload."""

    workload: str
    namespace: str
    kind: SloKind
    target_percent: float
    """Share of good requests over 30 days (99.9)."""
    histogram: str = "http_request_duration_seconds"
    """The request-duration histogram (latency SLOs)."""
    threshold_seconds: float | None = None
    """A latency SLO's bound: a bucket boundary of ``histogram``."""

    @property
    def name(self) -> str:
        return f"{self.workload}-{self.kind}"

    @property
    def budget(self) -> float:
        return round(1 - self.target_percent / 100, 10)

    @property
    def labels(self) -> dict[str, str]:
        return {"namespace": self.namespace, WORKLOAD_LABEL: self.workload, "slo": self.kind}


def le_matcher(seconds: float) -> str:
    """The ``le`` label of a bucket boundary, however the client library wrote it
    (Python writes ``1.0``, Go ``1``; Prometheus 3 normalises to the float form)."""
    if float(seconds).is_integer():
        return f'le=~"{int(seconds)}|{int(seconds)}.0"'
    return f'le="{float(seconds)!r}"'


def error_ratio(slo: Slo, window: str) -> str:
    """Bad requests over all requests of the workload, over ``window``."""
    sel = f'namespace="{slo.namespace}",{WORKLOAD_LABEL}="{slo.workload}"'
    by = f"namespace, {WORKLOAD_LABEL}"
    if slo.kind == "availability":
        bad = f'sum by ({by}) (rate(http_requests_total{{{sel},status=~"5.."}}[{window}]))'
        total = f"sum by ({by}) (rate(http_requests_total{{{sel}}}[{window}]))"
        return f"({bad} or {total} * 0) / {total}"
    assert slo.threshold_seconds is not None
    fast = (
        f"sum by ({by}) (rate({slo.histogram}_bucket{{{sel},"
        f"{le_matcher(slo.threshold_seconds)}}}[{window}]))"
    )
    total = f"sum by ({by}) (rate({slo.histogram}_count{{{sel}}}[{window}]))"
    return f"1 - ({fast} / {total})"


def _record(window: str) -> str:
    return f"slo:sli_error:ratio_rate{window}"


def _selector(slo: Slo) -> str:
    return ",".join(f'{k}="{v}"' for k, v in slo.labels.items())


def _alert(
    slo: Slo, burn: float, long: str, short: str, severity: str, for_: str
) -> dict[str, Any]:
    sel = _selector(slo)
    threshold = round(burn * slo.budget, 10)
    spent = {14.4: "2 % of the 30-day error budget in an hour",
             6.0: "5 % of the 30-day error budget in six hours",
             3.0: "10 % of the 30-day error budget in a day",
             1.0: "10 % of the 30-day error budget in three days"}[burn]  # fmt: skip
    return {
        "alert": "SloErrorBudgetBurn",
        "expr": (
            f"{_record(long)}{{{sel}}} > {threshold} and {_record(short)}{{{sel}}} > {threshold}"
        ),
        "for": for_,
        "labels": {"severity": severity, "burn_window": long, **slo.labels},
        "annotations": {
            "summary": f"{slo.workload} burns its {slo.kind} error budget ({burn:g}x)",
            "description": (
                f"{{{{ $labels.workload }}}} is spending {spent} (target "
                f"{slo.target_percent:g} %; error ratio over {long}: "
                "{{ $value | humanizePercentage }})."
            ),
            "runbook_url": "https://github.com/acme/platform/blob/main/README.md#slos",
        },
    }


def slo_rule_groups(slos: Sequence[Slo]) -> list[dict[str, Any]]:
    """Recording rules (the error ratio per window) and the burn-rate alerts, one group per
    SLO (evaluated every 30s; the 30-day ratio feeds the dashboard's remaining budget)."""
    groups = []
    for slo in slos:
        records = [
            {"record": _record(w), "expr": error_ratio(slo, w), "labels": {"slo": slo.kind}}
            for w in RATE_WINDOWS
            if w != "30d"
        ] + [
            # the dashboard's 30 days from the recorded 5m ratio, not 30 days of raw samples
            {
                "record": _record("30d"),
                "expr": f"avg_over_time({_record('5m')}{{{_selector(slo)}}}[30d])",
            }
        ]
        alerts = [_alert(slo, *spec) for spec in BURN_ALERTS]
        groups.append({"name": f"slo.{slo.name}", "interval": "30s", "rules": records + alerts})
    return groups


def slo_dashboard(slo: Slo) -> dict[str, Any]:
    """A dashboard of one SLO: target, 30-day SLI, remaining error budget, burn rates."""
    sel = _selector(slo)
    ratio = f"{_record('30d')}{{{sel}}}"

    def stat(title: str, expr: str, unit: str, x: int) -> dict[str, Any]:
        return {
            "type": "stat",
            "title": title,
            "gridPos": {"h": 6, "w": 8, "x": x, "y": 0},
            "fieldConfig": {"defaults": {"unit": unit, "decimals": 3}},
            "targets": [{"expr": expr, "refId": "A"}],
        }

    return {
        "title": f"SLO {slo.namespace}/{slo.workload} {slo.kind}",
        "uid": f"slo-{slo.namespace}-{slo.name}"[:40],
        "tags": ["slo", slo.namespace, slo.workload],
        "schemaVersion": 39,
        "time": {"from": "now-30d", "to": "now"},
        "panels": [
            stat("Objective (30 days)", str(slo.target_percent / 100), "percentunit", 0),
            stat("SLI (30 days)", f"1 - {ratio}", "percentunit", 8),
            stat("Error budget remaining", f"1 - ({ratio} / {slo.budget})", "percentunit", 16),
            {
                "type": "timeseries",
                "title": "Burn rate (1 = the budget lasts exactly 30 days)",
                "gridPos": {"h": 9, "w": 24, "x": 0, "y": 6},
                "targets": [
                    {"expr": f"{_record(w)}{{{sel}}} / {slo.budget}", "legendFormat": w, "refId": w}
                    for w in ("1h", "6h", "1d", "3d")
                ],
            },
        ],
    }


def slo_dashboard_json(slo: Slo) -> str:
    return json.dumps(slo_dashboard(slo), sort_keys=True)
