"""Alert rules and Alertmanager config checked by Prometheus' own tools.

``promtool test rules`` proves every alert fires on a synthetic series that breaches it and
stays silent on a healthy one; ``promtool check rules`` and ``amtool check-config`` validate
the generated files. (promtool/amtool: Debian packages ``prometheus`` and
``prometheus-alertmanager``, installed by .ci/run.)
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.monitoring.alertmanager import Email, HeartbeatTopic, alertmanager_config
from components.monitoring.rules import RuleThresholds, rules_file

PROMTOOL = shutil.which("promtool")
AMTOOL = shutil.which("amtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (apt install prometheus)"
)
needs_amtool = pytest.mark.skipif(
    AMTOOL is None, reason="amtool not installed (apt install prometheus-alertmanager)"
)

A = 'namespace="apps"'
W = 'namespace="apps",workload="frontend"'
"""An http workload not named api: the RED rules cover every scraped workload by label."""


B = 'namespace="backups"'


def _job(
    name: str, *, start: int, failed: bool | None, pod_failures: int = 0
) -> list[dict[str, str]]:
    """kube-state-metrics series of one Job of the pg-dump CronJob. ``failed``: the Job's
    Failed condition (None: the Job has none, e.g. it succeeded after a pod failed)."""
    series = [
        {
            "series": f'kube_job_owner{{{B},job_name="{name}",owner_kind="CronJob",owner_name="pg-dump",owner_is_controller="true"}}',
            "values": "1x10",
        },
        {"series": f'kube_job_status_start_time{{{B},job_name="{name}"}}', "values": f"{start}x10"},
        {
            "series": f'kube_job_status_failed{{{B},job_name="{name}"}}',
            "values": f"{pod_failures}x10",
        },
    ]
    if failed is not None:
        for condition, value in (("true", int(failed)), ("false", int(not failed))):
            series.append(
                {
                    "series": f'kube_job_failed{{{B},job_name="{name}",condition="{condition}"}}',
                    "values": f"{value}x10",
                }
            )
    return series


def _last_success(at: int) -> list[dict[str, str]]:
    return [
        {
            "series": f'kube_cronjob_status_last_successful_time{{{B},cronjob="pg-dump"}}',
            "values": f"{at}x10",
        }
    ]


def _hist(per_bucket: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"series": f'http_request_duration_seconds_bucket{{{W},le="{le}"}}', "values": v}
        for le, v in per_bucket.items()
    ]


# alertname -> (breaching series, healthy series, eval time, expected alerts when breached)
CASES: dict[str, tuple[list[dict[str, str]], list[dict[str, str]], str, list[dict[str, str]]]] = {
    "ApiErrorRatio": (
        [{"series": f'http_requests_total{{{W},status="200"}}', "values": "0+90x30"},
         {"series": f'http_requests_total{{{W},status="500"}}', "values": "0+10x30"}],
        [{"series": f'http_requests_total{{{W},status="200"}}', "values": "0+100x30"},
         {"series": f'http_requests_total{{{W},status="500"}}', "values": "0+0x30"}],
        "20m",
        [{"severity": "critical", "namespace": "apps", "workload": "frontend"},
         {"severity": "warning", "namespace": "apps", "workload": "frontend"}],
    ),
    "ApiLatencyP95": (
        _hist({"0.5": "0x30", "1": "0x30", "2.5": "0x30", "5": "0+10x30", "+Inf": "0+10x30"}),
        _hist({"0.5": "0+10x30", "1": "0+10x30", "2.5": "0+10x30", "5": "0+10x30", "+Inf": "0+10x30"}),
        "20m",
        [{"severity": "warning", "namespace": "apps", "workload": "frontend"},
         {"severity": "info", "namespace": "apps", "workload": "frontend"}],
    ),
    "PodCrashLooping": (
        [{"series": f'kube_pod_container_status_waiting_reason{{{A},pod="api-1",container="api",reason="CrashLoopBackOff"}}', "values": "1x30"}],
        [{"series": f'kube_pod_container_status_waiting_reason{{{A},pod="api-1",container="api",reason="CrashLoopBackOff"}}', "values": "0x30"}],
        "20m",
        [{"severity": "warning", "namespace": "apps", "pod": "api-1", "container": "api"}],
    ),
    "HpaAtMaxReplicas": (
        [{"series": f'kube_horizontalpodautoscaler_status_current_replicas{{{A},horizontalpodautoscaler="api"}}', "values": "20x30"},
         {"series": f'kube_horizontalpodautoscaler_spec_max_replicas{{{A},horizontalpodautoscaler="api"}}', "values": "20x30"}],
        [{"series": f'kube_horizontalpodautoscaler_status_current_replicas{{{A},horizontalpodautoscaler="api"}}', "values": "5x30"},
         {"series": f'kube_horizontalpodautoscaler_spec_max_replicas{{{A},horizontalpodautoscaler="api"}}', "values": "20x30"}],
        "20m",
        [{"severity": "warning", "namespace": "apps", "horizontalpodautoscaler": "api"}],
    ),
    "WorkerQueueBacklogGrowing": (
        [{"series": 'redis_key_size{namespace="monitoring",key="celery"}', "values": "1000+50x40"}],
        [{"series": 'redis_key_size{namespace="monitoring",key="celery"}', "values": "500x40"}],
        "35m",
        [{"severity": "warning", "namespace": "monitoring"}],
    ),
    "NodeCpuHigh": (
        [{"series": 'node_cpu_seconds_total{instance="n1",cpu="0",mode="idle"}', "values": "0+6x30"}],
        [{"series": 'node_cpu_seconds_total{instance="n1",cpu="0",mode="idle"}', "values": "0+54x30"}],
        "25m",
        [{"severity": "warning", "instance": "n1"}],
    ),
    "NodeMemoryHigh": (
        [{"series": 'node_memory_MemAvailable_bytes{instance="n1"}', "values": "1000000000x30"},
         {"series": 'node_memory_MemTotal_bytes{instance="n1"}', "values": "10000000000x30"}],
        [{"series": 'node_memory_MemAvailable_bytes{instance="n1"}', "values": "5000000000x30"},
         {"series": 'node_memory_MemTotal_bytes{instance="n1"}', "values": "10000000000x30"}],
        "20m",
        [{"severity": "warning", "instance": "n1"}],
    ),
    "PersistentVolumeFillingUp": (
        [{"series": 'kubelet_volume_stats_available_bytes{namespace="monitoring",persistentvolumeclaim="data"}', "values": "10x30"},
         {"series": 'kubelet_volume_stats_capacity_bytes{namespace="monitoring",persistentvolumeclaim="data"}', "values": "100x30"}],
        [{"series": 'kubelet_volume_stats_available_bytes{namespace="monitoring",persistentvolumeclaim="data"}', "values": "50x30"},
         {"series": 'kubelet_volume_stats_capacity_bytes{namespace="monitoring",persistentvolumeclaim="data"}', "values": "100x30"}],
        "20m",
        [{"severity": "warning", "namespace": "monitoring", "persistentvolumeclaim": "data"}],
    ),
    "DatabaseConnectionsHigh": (
        [{"series": 'pg_stat_activity_count{datname="app",state="active"}', "values": "90x30"},
         {"series": "pg_settings_max_connections", "values": "100x30"}],
        [{"series": 'pg_stat_activity_count{datname="app",state="active"}', "values": "50x30"},
         {"series": "pg_settings_max_connections", "values": "100x30"}],
        "10m",
        [{"severity": "critical"}],
    ),
    "CacheMemoryHigh": (
        [{"series": 'redis_memory_used_bytes{instance="r"}', "values": "90x30"},
         {"series": 'redis_memory_max_bytes{instance="r"}', "values": "100x30"}],
        [{"series": 'redis_memory_used_bytes{instance="r"}', "values": "50x30"},
         {"series": 'redis_memory_max_bytes{instance="r"}', "values": "100x30"}],
        "20m",
        [{"severity": "warning"}],
    ),
    "CacheEvictions": (
        [{"series": 'redis_evicted_keys_total{instance="r"}', "values": "0+5x30"}],
        [{"series": 'redis_evicted_keys_total{instance="r"}', "values": "0x30"}],
        "25m",
        [{"severity": "warning"}],
    ),
    "BackupJobFailed": (
        # the newest run of pg-dump failed for good, after the last success
        [*_job("pg-dump-2", start=200, failed=True), *_last_success(100)],
        # the newest run succeeded (an older failed Job is still around)
        [*_job("pg-dump-1", start=100, failed=True), *_job("pg-dump-2", start=200, failed=False),
         *_last_success(250)],
        "5m",
        [{"severity": "critical", "namespace": "backups", "cronjob": "pg-dump"}],
    ),
    "BackupTooOld": (
        [{"series": 'kube_cronjob_status_last_successful_time{namespace="backups",cronjob="pg-dump"}', "values": "0x200"}],
        [{"series": 'kube_cronjob_status_last_successful_time{namespace="backups",cronjob="pg-dump"}', "values": "0+60x200"}],
        "150m",
        [{"severity": "critical", "namespace": "backups", "cronjob": "pg-dump"}],
    ),
}  # fmt: skip


def _rules(**thresholds: float) -> dict[str, Any]:
    """The rule file for workloads in ``apps`` and an hourly dump (alert after two hours)."""
    return rules_file(RuleThresholds(**thresholds), "apps", backup_max_age_seconds=2 * 3600)


def _write_rules(tmp_path: Path, *, annotations: bool = True) -> Path:
    """The generated rule file; without annotations for unit tests (promtool compares rendered
    annotations too, and these tests are about when alerts fire)."""
    rules = _rules()
    if not annotations:
        for group in rules["groups"]:
            for rule in group["rules"]:
                rule.pop("annotations")
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(rules, sort_keys=False))
    return path


def test_every_alert_has_a_firing_and_a_silent_case() -> None:
    names = {rule["alert"] for g in _rules()["groups"] for rule in g["rules"]}
    assert names == set(CASES)


def test_thresholds_come_from_config() -> None:
    rules = _rules(api_error_ratio_critical_percent=7, node_cpu_percent=91.5)
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    assert any(e.endswith("> 0.07") for e in exprs)
    assert any(e.endswith("> 91.5") for e in exprs)


@needs_promtool
def test_promtool_check_rules(tmp_path: Path) -> None:
    result = subprocess.run([PROMTOOL, "check", "rules", str(_write_rules(tmp_path))],  # type: ignore[list-item]
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 15 rules found" in result.stdout


@needs_promtool
def test_promtool_unit_tests(tmp_path: Path) -> None:
    _write_rules(tmp_path, annotations=False)
    tests: list[dict[str, Any]] = []
    for alert, (breach, healthy, at, expected) in CASES.items():
        for series, alerts in ((breach, expected), (healthy, [])):
            tests.append(
                {
                    "interval": "1m",
                    "input_series": series,
                    "alert_rule_test": [
                        {
                            "eval_time": at,
                            "alertname": alert,
                            "exp_alerts": [{"exp_labels": labels} for labels in alerts],
                        }
                    ],
                }
            )
    test_file = tmp_path / "tests.yaml"
    test_file.write_text(
        yaml.safe_dump({"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests})
    )
    result = subprocess.run([PROMTOOL, "test", "rules", str(test_file)],  # type: ignore[list-item]
                            capture_output=True, text=True, check=False, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@needs_promtool
@pytest.mark.parametrize(
    ("scenario", "series", "fires"),
    [
        # the regression: a pod failed, the Job's retry succeeded -> no Failed condition
        ("failed-once-then-succeeded-on-retry",
         [*_job("pg-dump-1", start=100, failed=None, pod_failures=1), *_last_success(160)], False),
        ("failed-then-next-run-succeeded",
         [*_job("pg-dump-1", start=100, failed=True), *_job("pg-dump-2", start=200, failed=False),
          *_last_success(260)], False),
        ("never-succeeded-and-failed",
         [*_job("pg-dump-1", start=100, failed=True)], True),
        ("latest-failed-after-an-older-success",
         [*_job("pg-dump-1", start=100, failed=False), *_last_success(150),
          *_job("pg-dump-2", start=200, failed=True)], True),
    ],
)  # fmt: skip
def test_backup_job_failed_tracks_the_latest_run(
    tmp_path: Path, scenario: str, series: list[dict[str, str]], fires: bool
) -> None:
    _write_rules(tmp_path, annotations=False)
    expected = [
        {"exp_labels": {"severity": "critical", "namespace": "backups", "cronjob": "pg-dump"}}
    ]
    test = {
        "interval": "1m",
        "input_series": series,
        "alert_rule_test": [
            {
                "eval_time": "5m",
                "alertname": "BackupJobFailed",
                "exp_alerts": expected if fires else [],
            }
        ],
    }
    (tmp_path / "tests.yaml").write_text(
        yaml.safe_dump({"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": [test]})
    )
    result = subprocess.run([PROMTOOL, "test", "rules", str(tmp_path / "tests.yaml")],  # type: ignore[list-item]
                            capture_output=True, text=True, check=False, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, scenario + result.stdout + result.stderr


EVERYTHING = {
    "slack": True,
    "slack_channel": "#alerts",
    "pagerduty": True,
    "email": Email(("oncall@example.com",), "email-smtp.eu-west-1.amazonaws.com:587",
                   "alerts@example.com", "AKIAEXAMPLE"),
    "heartbeat": HeartbeatTopic("arn:aws:sns:eu-west-1:123456789012:prod-alertmanager-heartbeat",
                             "eu-west-1"),
}  # fmt: skip
MINIMAL = {"slack": False, "slack_channel": "#alerts", "pagerduty": False}


def _amtool_config(tmp_path: Path, config: dict[str, Any]) -> Path:
    path = tmp_path / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@needs_amtool
@pytest.mark.parametrize("receivers", [MINIMAL, EVERYTHING], ids=["minimal", "everything"])
def test_amtool_check_config(tmp_path: Path, receivers: dict[str, Any]) -> None:
    path = _amtool_config(tmp_path, alertmanager_config(**receivers))
    result = subprocess.run([AMTOOL, "check-config", str(path)],  # type: ignore[list-item]
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@needs_amtool
@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["alertname=Watchdog", "severity=none"], "heartbeat"),
        (["alertname=InfoInhibitor", "severity=none"], "null"),
        (["alertname=ApiErrorRatio", "severity=critical"], "critical"),
        (["alertname=ApiErrorRatio", "severity=warning"], "warning"),
        (["alertname=CPUThrottlingHigh", "severity=info"], "null"),
        (["alertname=Unlabelled"], "warning"),
    ],
)
def test_amtool_routes_each_alert_to_its_receiver(
    tmp_path: Path, labels: list[str], receiver: str
) -> None:
    """What Alertmanager itself decides (``amtool config routes test``): the heartbeat gets
    Watchdog, the chart's InfoInhibitor never reaches anyone (it used to fall through to the
    default receiver and mail and post on every info alert)."""
    path = _amtool_config(tmp_path, alertmanager_config(**EVERYTHING))
    result = subprocess.run([AMTOOL, "config", "routes", "test", f"--config.file={path}", *labels],  # type: ignore[list-item]
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert result.stdout.strip() == receiver, result.stdout + result.stderr


def test_every_receiver_is_enabled_and_reachable() -> None:
    """Each receiver of the full configuration sends somewhere and some route reaches it."""
    config = alertmanager_config(**EVERYTHING)
    routed = {config["route"]["receiver"]} | {r["receiver"] for r in config["route"]["routes"]}
    for receiver in config["receivers"]:
        assert receiver["name"] in routed
        if receiver["name"] != "null":
            assert any(k.endswith("_configs") for k in receiver), receiver["name"]
    by_name = {r["name"]: r for r in config["receivers"]}
    assert set(by_name["critical"]) == {"name", "pagerduty_configs", "slack_configs",
                                        "email_configs"}  # fmt: skip
    assert set(by_name["warning"]) == {"name", "slack_configs", "email_configs"}


def test_email_goes_through_ses_smtp_with_authentication() -> None:
    config = alertmanager_config(**EVERYTHING)["global"]
    assert config["smtp_smarthost"] == "email-smtp.eu-west-1.amazonaws.com:587"
    assert config["smtp_from"] == "alerts@example.com"
    assert config["smtp_auth_username"] == "AKIAEXAMPLE"
    assert config["smtp_auth_password_file"].endswith("/smtp-password")
    assert "smtp_auth_password" not in config
    assert config["smtp_require_tls"] is True


def test_routing_by_severity_and_inhibition() -> None:
    config = alertmanager_config(**EVERYTHING)
    route = config["route"]
    assert route["group_by"] == ["alertname", "namespace"]
    watchdog = next(r for r in route["routes"] if r["matchers"] == ['alertname="Watchdog"'])
    assert watchdog["repeat_interval"] == "1m"  # the heartbeat beats every minute
    (critical, _warning, info_inhibitor) = config["inhibit_rules"]
    assert critical["source_matchers"] == ['severity="critical"']
    # per workload and SLO: one workload's critical burn never silences another's warning
    assert critical["equal"] == ["alertname", "namespace", "workload", "slo"]
    assert info_inhibitor == {"source_matchers": ['alertname="InfoInhibitor"'],
                              "target_matchers": ['severity="info"'], "equal": ["namespace"]}  # fmt: skip
