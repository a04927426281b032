"""SLO burn-rate alerts, proven with ``promtool test rules`` on the generated rule file: the
fast burn pages within minutes of a full outage, the slow burn opens a ticket on a sustained
small error rate, and nothing fires while the errors stay inside the budget."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.monitoring.rules import RuleThresholds, rule_groups
from components.monitoring.slo import Slo, le_matcher, slo_dashboard, slo_rule_groups

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed")

AVAILABILITY = Slo("api", "apps", "availability", 99.9)
LATENCY = Slo("api", "apps", "latency", 95, "http_request_duration_seconds", 0.5)
LABELS = 'namespace="apps",workload="api"'


def _requests(ok_per_min: int, errors_per_min: int, minutes: int) -> list[dict[str, str]]:
    return [
        {"series": f'http_requests_total{{{LABELS},status="200"}}',
         "values": f"0+{ok_per_min}x{minutes}"},
        {"series": f'http_requests_total{{{LABELS},status="500"}}',
         "values": f"0+{errors_per_min}x{minutes}"},
    ]  # fmt: skip


def _outage_after_an_hour() -> list[dict[str, str]]:
    """10 requests/s, all fine for an hour, then every one a 500."""
    return [
        {"series": f'http_requests_total{{{LABELS},status="200"}}',
         "values": "0+600x60 36000x30"},
        {"series": f'http_requests_total{{{LABELS},status="500"}}',
         "values": "0x60 600+600x30"},
    ]  # fmt: skip


def _fired(slo: Slo, burn_window: str, severity: str) -> dict[str, Any]:
    return {"exp_labels": {"severity": severity, "burn_window": burn_window, **slo.labels}}


def _promtool(tmp_path: Path, slos: list[Slo], series: list[dict[str, str]],
              at: str, expected: list[dict[str, Any]]) -> None:  # fmt: skip
    rules = {"groups": slo_rule_groups(slos)}
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / "slo.yaml").write_text(yaml.safe_dump(rules))
    test = {
        "interval": "1m",
        "input_series": series,
        "alert_rule_test": [
            {"eval_time": at, "alertname": "SloErrorBudgetBurn", "exp_alerts": expected}
        ],
    }
    (tmp_path / "tests.yaml").write_text(
        yaml.safe_dump({"rule_files": ["slo.yaml"], "evaluation_interval": "1m", "tests": [test]})
    )
    result = subprocess.run([PROMTOOL, "test", "rules", "tests.yaml"],  # type: ignore[list-item]
                            capture_output=True, text=True, check=False, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_a_full_outage_pages_within_minutes(tmp_path: Path) -> None:
    # the outage starts at 60m; 6 minutes later the 1h/5m burn (14.4x) pages, nothing else yet
    _promtool(tmp_path, [AVAILABILITY], _outage_after_an_hour(), "66m",
              [_fired(AVAILABILITY, "1h", "critical")])  # fmt: skip


@needs_promtool
def test_the_fast_burn_is_silent_before_the_outage(tmp_path: Path) -> None:
    _promtool(tmp_path, [AVAILABILITY], _outage_after_an_hour(), "59m", [])


@needs_promtool
def test_a_sustained_small_error_rate_opens_a_ticket_not_a_page(tmp_path: Path) -> None:
    # 0.5 % errors burn a 0.1 % budget 5x: over the 1d/2h (3x) and 3d/6h (1x) thresholds,
    # under the 6x and 14.4x pages
    tickets = [_fired(AVAILABILITY, "1d", "warning"), _fired(AVAILABILITY, "3d", "warning")]
    _promtool(tmp_path, [AVAILABILITY], _requests(995, 5, 300), "4h", tickets)


@needs_promtool
def test_errors_inside_the_budget_fire_nothing(tmp_path: Path) -> None:
    # 0.05 % errors: half the budget, for four hours
    _promtool(tmp_path, [AVAILABILITY], _requests(1999, 1, 300), "4h", [])


def _slow_after_an_hour(minutes: int) -> list[dict[str, str]]:
    """10 requests/s, all within 500 ms for an hour, then every one slower."""
    return [
        {"series": f'http_request_duration_seconds_bucket{{{LABELS},le="0.5"}}',
         "values": f"0+600x60 36000x{minutes}"},
        {"series": f"http_request_duration_seconds_count{{{LABELS}}}",
         "values": f"0+600x{60 + minutes}"},
    ]  # fmt: skip


@needs_promtool
@pytest.mark.parametrize(("at", "windows"), [("98m", []), ("103m", ["6h"]), ("107m", ["1h", "6h"])])
def test_slow_responses_burn_the_latency_budget(
    tmp_path: Path, at: str, windows: list[str]
) -> None:
    """A 95 % objective has a 5 % budget, and a page means 2 % (or 5 %) of it spent: the 6h
    page needs 6 x 5 % = 30 % slow requests over the six hours (here only 60 + m minutes of
    data: after 26 minutes of total slow-down, then 15 minutes of ``for``), the 1h page
    14.4 x 5 % = 72 % over the hour (after 44 minutes, then 2 of ``for``). A 99.9 %
    objective pages 6 minutes into an outage (above): tighter objectives page sooner."""
    expected = [_fired(LATENCY, w, "critical") for w in windows]
    _promtool(tmp_path, [LATENCY], _slow_after_an_hour(60), at, expected)


@needs_promtool
def test_promtool_checks_the_slo_rules(tmp_path: Path) -> None:
    (tmp_path / "slo.yaml").write_text(
        yaml.safe_dump({"groups": slo_rule_groups([AVAILABILITY, LATENCY])})
    )
    result = subprocess.run([PROMTOOL, "check", "rules", str(tmp_path / "slo.yaml")],  # type: ignore[list-item]
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_slo_replaces_the_workloads_fixed_alerts() -> None:
    groups = rule_groups(RuleThresholds(), "apps", 7200, {"availability": ["api"],
                                                          "latency": ["api"]})  # fmt: skip
    api = next(g for g in groups if g["name"] == "platform.api")["rules"]
    for rule in api:
        assert 'workload!~"api"' in rule["expr"], rule["alert"]


def test_le_matches_how_clients_write_the_bound() -> None:
    assert le_matcher(0.5) == 'le="0.5"'
    assert le_matcher(1.0) == 'le=~"1|1.0"'


def test_the_dashboard_shows_the_remaining_budget() -> None:
    panels = {p["title"]: p for p in slo_dashboard(AVAILABILITY)["panels"]}
    (target,) = panels["Error budget remaining"]["targets"]
    assert (
        target["expr"]
        == (
            ' 1 - (slo:sli_error:ratio_rate30d{namespace="apps",workload="api",slo="availability"}'
            " / 0.001)"
        ).strip()
    )
