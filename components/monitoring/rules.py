"""Prometheus alerting rules as Python data, thresholds from the stack config.

Pairs of alerts that measure the same thing share an ``alertname`` and differ in ``severity``
(e.g. ``ApiErrorRatio`` warning at 1 %, critical at 5 %), so Alertmanager can inhibit the
warning while the critical fires (``equal: [alertname, namespace]``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field, model_validator

from ..settings import Settings

BACKUP_NAMESPACE = "backups"
WORKLOAD_LABEL = "workload"
"""Set on every scraped series from the pod's ``app.kubernetes.io/name`` (the PodMonitors'
relabeling): the RED rules aggregate by it, so they cover every http workload by name."""


class RuleThresholds(Settings):
    """Alert thresholds (percentages are 0-100): the stack file's ``monitoring.thresholds``."""

    api_error_ratio_critical_percent: float = Field(default=5.0, gt=0, le=100)
    """5xx share of API requests that pages (over 5 minutes)."""

    api_error_ratio_warning_percent: float = Field(default=1.0, gt=0, le=100)
    """5xx share of API requests that warns."""

    api_latency_p95_warning_seconds: float = Field(default=2.0, gt=0, le=120)
    """p95 API latency that warns."""

    api_latency_p95_info_seconds: float = Field(default=0.5, gt=0, le=120)
    """p95 API latency worth a look (info)."""

    node_cpu_percent: float = Field(default=80.0, gt=0, le=100)
    """Node CPU utilisation."""

    node_memory_percent: float = Field(default=80.0, gt=0, le=100)
    """Node memory utilisation."""

    volume_free_percent: float = Field(default=20.0, gt=0, le=100)
    """Persistent volume free space below which to warn."""

    database_connections_percent: float = Field(default=80.0, gt=0, le=100)
    """Connections as a share of max_connections (pool exhaustion)."""

    database_cpu_percent: float = Field(default=80.0, gt=0, le=100)
    """RDS CPU."""

    database_free_storage_percent: float = Field(default=10.0, gt=0, le=100)
    """RDS free storage as a share of allocated storage."""

    cache_memory_percent: float = Field(default=80.0, gt=0, le=100)
    """Cache memory used."""

    cache_cpu_percent: float = Field(default=80.0, gt=0, le=100)
    """ElastiCache engine CPU."""

    queue_backlog: int = Field(default=1000, ge=1)
    """Celery queue length that, while growing, warns."""

    @model_validator(mode="after")
    def _ordered(self) -> RuleThresholds:
        if self.api_error_ratio_warning_percent >= self.api_error_ratio_critical_percent:
            raise ValueError("the warning error ratio must be below the critical one")
        if self.api_latency_p95_info_seconds >= self.api_latency_p95_warning_seconds:
            raise ValueError("the info latency must be below the warning latency")
        return self

    @property
    def api_error_ratio_critical(self) -> float:
        return self.api_error_ratio_critical_percent / 100

    @property
    def api_error_ratio_warning(self) -> float:
        return self.api_error_ratio_warning_percent / 100


def _alert(
    name: str, expr: str, for_: str, severity: str, summary: str, description: str, **labels: str
) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity, **labels},
        "annotations": {
            "summary": summary,
            "description": description,
            "runbook_url": f"https://github.com/acme/platform/blob/main/README.md#alert-{name.lower()}",
        },
    }


def _without(workloads: Sequence[str]) -> str:
    """A selector excluding the workloads whose SLO alerts replace a fixed threshold."""
    return f',{WORKLOAD_LABEL}!~"{"|".join(sorted(workloads))}"' if workloads else ""


def _http_alerts(
    t: RuleThresholds,
    app_namespace: str,
    availability_slos: Sequence[str] = (),
    latency_slos: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """RED alerts per scraped http workload (by its ``workload`` label), but for the
    workloads whose SLO's burn-rate alerts take their place (``slo.py``)."""
    sel = f'namespace="{app_namespace}",{WORKLOAD_LABEL}!=""'
    by = f"namespace, {WORKLOAD_LABEL}"
    err_sel = sel + _without(availability_slos)
    requests = f"sum by ({by}) (rate(http_requests_total{{{err_sel}}}[5m]))"
    errors = f'sum by ({by}) (rate(http_requests_total{{{err_sel},status=~"5.."}}[5m]))'
    ratio = f"({errors} / {requests})"
    p95 = (
        f"histogram_quantile(0.95, sum by ({by}, le) "
        f"(rate(http_request_duration_seconds_bucket{{{sel}{_without(latency_slos)}}}[5m])))"
    )

    api = [
        _alert("ApiErrorRatio", f"{ratio} > {t.api_error_ratio_critical}", "5m", "critical",
               f"5xx ratio above {t.api_error_ratio_critical:.0%}",
               "{{ $value | humanizePercentage }} of {{ $labels.workload }}'s requests fail with 5xx."),
        _alert("ApiErrorRatio", f"{ratio} > {t.api_error_ratio_warning}", "10m", "warning",
               f"5xx ratio above {t.api_error_ratio_warning:.0%}",
               "{{ $value | humanizePercentage }} of {{ $labels.workload }}'s requests fail with 5xx."),
        _alert("ApiLatencyP95", f"{p95} > {t.api_latency_p95_warning_seconds}", "10m", "warning",
               f"p95 latency above {t.api_latency_p95_warning_seconds}s",
               "{{ $labels.workload }}'s p95 latency is {{ $value | humanizeDuration }}."),
        _alert("ApiLatencyP95", f"{p95} > {t.api_latency_p95_info_seconds}", "15m", "info",
               f"p95 latency above {t.api_latency_p95_info_seconds}s",
               "{{ $labels.workload }}'s p95 latency is {{ $value | humanizeDuration }}."),
    ]  # fmt: skip
    return api


def rule_groups(
    t: RuleThresholds,
    app_namespace: str,
    backup_max_age_seconds: int,
    slo_workloads: Mapping[str, Sequence[str]] | None = None,
) -> list[dict[str, Any]]:
    """The platform's rule groups (PrometheusRule ``spec.groups``); the RED rules cover every
    scraped http workload of ``app_namespace``, per workload (``slo_workloads``: the
    workloads with an ``availability`` or a ``latency`` SLO, whose fixed alerts it replaces)."""
    slos = slo_workloads or {}
    api = _http_alerts(t, app_namespace, slos.get("availability", ()), slos.get("latency", ()))
    workloads = [
        _alert(
            "PodCrashLooping",
            'max by (namespace, pod, container) (max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m])) >= 1',
            "15m", "warning", "Container is crash-looping",
            "{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) keeps restarting.",
        ),
        _alert(
            "HpaAtMaxReplicas",
            "max by (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_current_replicas) "
            ">= max by (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_spec_max_replicas)",
            "15m", "warning", "Autoscaler pinned at its maximum",
            "{{ $labels.horizontalpodautoscaler }} has run at max replicas for 15 minutes: raise the "
            "maximum or the nodes.",
        ),
        _alert(
            "WorkerQueueBacklogGrowing",
            f'(max by (namespace) (redis_key_size{{key="celery"}}) > {t.queue_backlog}) '
            'and (max by (namespace) (deriv(redis_key_size{key="celery"}[15m])) > 0)',
            "15m", "warning", "Worker queue backlog is growing",
            "{{ $value }} tasks waiting and rising: scale workers or find the slow task.",
        ),
    ]  # fmt: skip
    nodes = [
        _alert("NodeCpuHigh",
               f'100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{{mode="idle"}}[5m]))) > {t.node_cpu_percent}',
               "15m", "warning", f"Node CPU above {t.node_cpu_percent:g}%", "{{ $labels.instance }} CPU at {{ $value }}%."),
        _alert("NodeMemoryHigh",
               f"100 * (1 - max by (instance) (node_memory_MemAvailable_bytes) / max by (instance) (node_memory_MemTotal_bytes)) > {t.node_memory_percent}",
               "15m", "warning", f"Node memory above {t.node_memory_percent:g}%", "{{ $labels.instance }} memory at {{ $value }}%."),
        _alert("PersistentVolumeFillingUp",
               "100 * min by (namespace, persistentvolumeclaim) (kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes) "
               f"< {t.volume_free_percent}",
               "10m", "warning", f"Volume below {t.volume_free_percent:g}% free",
               "{{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has {{ $value }}% free."),
    ]  # fmt: skip
    data = [
        _alert("DatabaseConnectionsHigh",
               "100 * sum(pg_stat_activity_count) / max(pg_settings_max_connections) "
               f"> {t.database_connections_percent}",
               "5m", "critical", "Database connections near max_connections",
               "{{ $value }}% of max_connections in use: the pools are about to be exhausted."),
        _alert("CacheMemoryHigh",
               f"100 * max(redis_memory_used_bytes / redis_memory_max_bytes) > {t.cache_memory_percent}",
               "10m", "warning", "Cache memory high", "Cache at {{ $value }}% of maxmemory."),
        _alert("CacheEvictions", "sum(increase(redis_evicted_keys_total[10m])) > 0",
               "10m", "warning", "Cache is evicting keys", "{{ $value }} keys evicted in 10 minutes."),
    ]  # fmt: skip
    bns = BACKUP_NAMESPACE
    backups = [
        _alert("BackupJobFailed", _latest_job_failed(bns),
               "0m", "critical", "The latest run of a backup CronJob failed",
               "The newest Job of {{ $labels.cronjob }} failed (its Failed condition, after its retries): check its logs."),
        _alert("BackupTooOld",
               f'time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{{namespace="{bns}",cronjob="pg-dump"}}) '
               f"> {backup_max_age_seconds}",
               "5m", "critical", "Last successful database dump is older than the RPO",
               "The newest pg_dump is {{ $value | humanizeDuration }} old."),
    ]  # fmt: skip
    return [
        {"name": "platform.api", "rules": api},
        {"name": "platform.workloads", "rules": workloads},
        {"name": "platform.nodes", "rules": nodes},
        {"name": "platform.data", "rules": data},
        {"name": "platform.backups", "rules": backups},
    ]


def _latest_job_failed(namespace: str) -> str:
    """The newest Job of a CronJob ended Failed (its ``Failed`` condition, set once its
    retries are exhausted), and no run of that CronJob succeeded since it started.

    Not ``kube_job_status_failed``: that counts failed *pods*, stays above zero for a Job
    that failed once and then succeeded on retry, and for a failed Job until it is
    garbage-collected, long after a later run succeeded."""
    ns = f'namespace="{namespace}"'
    failed_start = (
        "max by (namespace, cronjob) (label_replace("
        f"kube_job_status_start_time{{{ns}}}"
        f' * on (namespace, job_name) group_left (owner_name) kube_job_owner{{{ns},owner_kind="CronJob"}}'
        f' * on (namespace, job_name) group_left () (kube_job_failed{{{ns},condition="true"}} > 0),'
        ' "cronjob", "$1", "owner_name", "(.+)"))'
    )
    last_success = f"max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{{{ns}}})"
    return (
        f"({failed_start} > on (namespace, cronjob) {last_success})"
        f" or ({failed_start} unless on (namespace, cronjob) {last_success})"
    )


def rules_file(
    t: RuleThresholds, app_namespace: str, backup_max_age_seconds: int
) -> dict[str, Any]:
    """A Prometheus rule file (what ``promtool check rules`` reads)."""
    return {"groups": rule_groups(t, app_namespace, backup_max_age_seconds)}
