"""MonitoringStack: kube-prometheus-stack, exporters, alert rules and routing, dashboards and
CloudWatch alarms for the managed services.

Secrets never reach Helm values: Grafana's admin password is a Kubernetes Secret built from a
Pulumi secret Output (``grafana.admin.existingSecret``); the receivers' Slack webhook and
PagerDuty key stay in Secrets Manager and reach Alertmanager as mounted files through
external-secrets (``alertmanagerSpec.secrets``); exporters read database and cache credentials
from Secrets made by external-secrets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random
import yaml
from pydantic import Field

from . import versions
from ._shared import chart_release, external_secret, pod_security_namespace
from ._util import Statement, policy_document
from .app_deployment import RELOADER_ANNOTATION
from .elasticache import CacheSettings
from .iam_roles import OidcProvider, service_account_role
from .monitoring.alarms import Alarm, alb_alarms, cache_alarms, queue_alarms, rds_alarms
from .monitoring.alertmanager import (
    PAGERDUTY_ROUTING_KEY,
    RECEIVER_SECRET,
    SLACK_WEBHOOK,
    SMTP_PASSWORD,
    Email,
    HeartbeatTopic,
    alertmanager_config,
)
from .monitoring.delivery import (
    Heartbeat,
    SmtpLogin,
    heartbeat,
    ses_smtp_login,
    silence_alarm,
    smtp_host,
)
from .monitoring.rules import WORKLOAD_LABEL, RuleThresholds, rule_groups
from .monitoring.slo import Slo, slo_dashboard_json, slo_rule_groups
from .rds_postgres import PostgresSettings
from .settings import Settings

NAMESPACE = "monitoring"
DASHBOARDS = Path(__file__).parent / "monitoring" / "dashboards"
ALERTMANAGER_SECRET = "alertmanager-platform"
ALERTMANAGER_SERVICE_ACCOUNT = "kps-alertmanager"
GRAFANA_SERVICE_ACCOUNT = "kps-grafana"


def grafana_log_reads(group_arns: list[str]) -> list[Statement]:
    """Grafana's CloudWatch data source: Logs Insights over the container log groups, read
    only (the query-result calls have no resource type: Service Authorization Reference)."""
    return [
        {
            "Sid": "QueryContainerLogs",
            "Effect": "Allow",
            "Action": [
                "logs:StartQuery",
                "logs:GetLogEvents",
                "logs:GetLogGroupFields",
                "logs:DescribeLogStreams",
            ],
            "Resource": sorted({*group_arns, *(f"{arn}:*" for arn in group_arns)}),
        },
        {
            "Sid": "QueryResults",
            "Effect": "Allow",
            "Action": ["logs:GetQueryResults", "logs:StopQuery", "logs:DescribeLogGroups"],
            "Resource": "*",
        },
    ]


PROMETHEUS_CR = "kps-prometheus"
"""The Prometheus resource kube-prometheus-stack creates (``fullnameOverride: kps``)."""


def prometheus_claims(replicas: int) -> list[str]:
    """The operator's claim names (prometheus-operator pkg/prometheus: volume
    ``prometheus-<name>-db`` in StatefulSet ``prometheus-<name>``), one per replica."""
    return [
        f"prometheus-{PROMETHEUS_CR}-db-prometheus-{PROMETHEUS_CR}-{i}" for i in range(replicas)
    ]


GRAFANA_SECRET = "grafana-admin"
ALERTMANAGER_CONFIG_ANNOTATION = "platform/alertmanager-config"
APP_NAMESPACE_TOKEN = "__APP_NAMESPACE__"
"""Replaced in dashboard files by ``apps.namespace``."""


@dataclass(frozen=True)
class ScrapeTarget:
    """A workload whose pods serve Prometheus metrics."""

    workload: str
    port: str
    """The container port's name (``http`` or ``metrics``)."""
    path: str


def pod_monitor_spec(app_namespace: str, target: ScrapeTarget) -> dict[str, Any]:
    """Scrape the workload's pods (Service or not) and label every series with ``workload``
    (the RED rules and the dashboard aggregate by it)."""
    return {
        "namespaceSelector": {"matchNames": [app_namespace]},
        "selector": {"matchLabels": {"app.kubernetes.io/name": target.workload}},
        "podMetricsEndpoints": [
            {
                "port": target.port,
                "path": target.path,
                "interval": "30s",
                "relabelings": [
                    {
                        "sourceLabels": ["__meta_kubernetes_pod_label_app_kubernetes_io_name"],
                        "targetLabel": WORKLOAD_LABEL,
                    }
                ],
            }
        ],
    }


class MonitoringSettings(Settings):
    """What an operator chooses about metrics and alerting; defaults are the production-safe
    choice. The stack file's ``monitoring`` section extends this model
    (``environment.config.monitoring``)."""

    prometheus_retention_days: int = Field(default=30, ge=1, le=365)
    """Days Prometheus keeps samples."""

    prometheus_storage_gib: int = Field(default=100, ge=10, le=16384)
    """gp3 volume per Prometheus replica."""

    prometheus_replicas: int = Field(default=2, ge=1, le=5)
    """Prometheus replicas (each scrapes everything)."""

    alertmanager_replicas: int = Field(default=2, ge=1, le=5)
    """Alertmanager replicas (clustered)."""

    thresholds: RuleThresholds = RuleThresholds()
    """Alert thresholds."""

    slack_channel: str = Field(default="#platform-alerts", pattern=r"^#[a-z0-9_-]{1,79}$")
    """Slack channel for alerts."""

    alert_emails: tuple[str, ...] = Field(default=())
    """Addresses subscribed to the CloudWatch alarm topic, and mailed critical and warning
    alerts by Alertmanager (through SES, from ``emailSender``)."""

    email_sender: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
    """The SES identity alert emails come from (an address; SES mails it a verification link
    on the first deploy, and a new account must leave the SES sandbox to mail anyone else).
    Required with ``alertEmails``."""

    smtp_credentials_rotation: int = Field(default=0, ge=0)
    """Bump to replace the SES SMTP key Alertmanager sends with (create before delete)."""

    heartbeat: bool = True
    """Send the always-firing ``Watchdog`` to an SNS heartbeat topic every minute; a
    CloudWatch alarm outside the cluster tells the alarm topic when it stops for 15 minutes
    (a dead Prometheus or Alertmanager is noticed)."""


@dataclass(frozen=True, kw_only=True)
class MonitoringStackArgs:
    """Inputs: the wiring, the settings, and what is watched (by name, from its component)."""

    environment: str
    region: str
    k8s_provider: k8s.Provider
    oidc: OidcProvider
    """The cluster's OIDC provider (Alertmanager's role publishes the heartbeat)."""
    storage_class: str
    app_namespace: str
    """Where the workloads run (``apps.namespace``)."""
    scrape_targets: Sequence[ScrapeTarget] = ()
    """Workloads scraped (a PodMonitor each)."""
    container_log_group_arns: Sequence[pulumi.Input[str]] = ()
    """The container log groups (``LogShipping``): Grafana's CloudWatch data source reads
    them."""
    slos: Sequence[Slo] = ()
    """The workloads' objectives: burn-rate rules replace their fixed alerts, a dashboard
    each."""
    extra_alerts: Sequence[Mapping[str, Any]]
    """The stack's own alerting rules (PrometheusRule ``custom``)."""
    settings: MonitoringSettings = field(default_factory=MonitoringSettings)
    live_claim_gib: pulumi.Input[Mapping[str, int]] = field(default_factory=dict)
    """GiB of the running Prometheus volumes by claim (``components.live``): smaller ones are
    expanded to ``settings.prometheus_storage_gib`` (the operator never expands a claim)."""
    backup_max_age_seconds: int
    """Age of the newest database dump that alerts (twice the dump interval)."""
    slack_webhook_secret: pulumi.Input[str] | None = None
    """Secrets Manager ARN of the Slack webhook URL; None: no Slack receiver."""
    pagerduty_routing_key_secret: pulumi.Input[str] | None = None
    """Secrets Manager ARN of the PagerDuty routing key; None: no paging."""
    secret_store: str
    """The ClusterSecretStore the exporters' ExternalSecrets read through."""
    # managed services watched by CloudWatch alarms and the exporters
    database_identifier: str | None = None
    """The instance identifier (``RdsPostgres.identifier``): alarm names and dimensions;
    None: no database is watched."""
    database: PostgresSettings
    """The instance's settings (class, storage, ``max_connections``): alarm thresholds."""
    database_replicas: tuple[str, ...] = ()
    """Read replicas whose lag is watched (a standby's database is one, standing by)."""
    database_replica_lag_seconds: float
    """Lag beyond which a replica alarms (a standby's: its region-loss RPO target)."""
    database_host: pulumi.Input[str] | None = None
    database_name: pulumi.Input[str] | None
    database_secret: pulumi.Input[str] | None = None
    """Secrets Manager name (or ARN) of the exporter's own login (``pg_monitor``)."""
    database_credentials_ready: Sequence[pulumi.Resource] = ()
    """The exporter login's current secret value (read only after it exists)."""
    credentials_rotation: int
    """Force-syncs the exporter's ExternalSecret when bumped."""
    queues: Sequence[tuple[str, str, int]]
    """(queue, dead-letter queue, max age in seconds) of each SQS queue (``Queues``)."""
    cache_node_ids: Sequence[str] = ()
    cache: CacheSettings
    """The replication group's settings (cluster mode, replicas): exporter and alarms."""
    cache_host: pulumi.Input[str] | None = None
    cache_secret_arn: pulumi.Input[str] | None = None
    load_balancer_names: Sequence[str] = ()
    """ALBs made by the controller (by ``load-balancer-name``), resolved after ``ingresses``."""
    ingresses: Sequence[pulumi.Resource] = ()
    ready: Sequence[pulumi.Resource] = field(default_factory=list)
    """Controllers (external-secrets) that ExternalSecrets need."""
    protect: bool = True


class MonitoringStack(pulumi.ComponentResource):
    """Metrics, alerting and alarms for one environment."""

    alarm_topic_arn: pulumi.Output[str]
    alarms: list[aws.cloudwatch.MetricAlarm]
    smtp_password_secret_arn: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: MonitoringStackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:MonitoringStack", name, None, opts)
        self._name = name
        self._args = args
        namespace = self._namespace(name, args)
        in_ns = pulumi.ResourceOptions(
            parent=self, provider=args.k8s_provider, depends_on=[namespace]
        )

        grafana_secret = self._grafana_admin(name, in_ns)
        self._delivery(name, args)
        am_secrets = self._alertmanager_secrets(in_ns)
        dashboards = self._dashboards(name, args, in_ns)
        chart = versions.HELM_CHARTS["kube-prometheus-stack"]
        self.release = k8s.helm.v3.Release(
            f"{name}-kube-prometheus-stack",
            name="kube-prometheus-stack",
            chart=chart.chart,
            version=chart.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository),
            namespace=NAMESPACE,
            values=self._values(),
            atomic=True,
            cleanup_on_fail=True,
            timeout=900,
            max_history=5,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.k8s_provider,
                depends_on=[namespace, grafana_secret, *am_secrets, *dashboards, *args.ready],
            ),
        )
        after_release = pulumi.ResourceOptions(
            parent=self, provider=args.k8s_provider, depends_on=[self.release]
        )
        self.expanded_claims: pulumi.Output[list[str]] = pulumi.Output.from_input(
            args.live_claim_gib
        ).apply(lambda live: self._expand_claims(dict(live), after_release))
        self._rules(name, args, after_release)
        self._exporters(after_release)
        self._cloudwatch()
        if self._heartbeat is not None:
            silence_alarm(
                name,
                environment=args.environment,
                alarm_topic_arn=self.alarm_topic_arn,
                parent=self,
            )
        self.register_outputs({"alarmTopicArn": self.alarm_topic_arn})

    # --- Kubernetes --------------------------------------------------------------------------

    def _namespace(self, name: str, args: MonitoringStackArgs) -> k8s.core.v1.Namespace:
        # node-exporter needs the host network and PID namespace
        return pod_security_namespace(
            name, NAMESPACE, enforce="privileged", audit="restricted", parent=self,
            provider=args.k8s_provider,
        )  # fmt: skip

    def _grafana_admin(self, name: str, in_ns: pulumi.ResourceOptions) -> k8s.core.v1.Secret:
        """Grafana's admin login: a generated password, in a Secret the chart references."""
        password = random.RandomPassword(
            f"{name}-grafana-admin",
            length=32,
            special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata={"name": GRAFANA_SECRET, "namespace": NAMESPACE},
            string_data={"admin-user": "admin", "admin-password": password.result},
            opts=in_ns,
        )

    def _rules(
        self, name: str, args: MonitoringStackArgs, after_release: pulumi.ResourceOptions
    ) -> None:
        """The platform's rules, the SLOs', the stack's own, and a PodMonitor per workload."""
        k8s.apiextensions.CustomResource(
            f"{name}-rules",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata={"name": "platform", "namespace": NAMESPACE},
            spec={
                "groups": rule_groups(
                    args.settings.thresholds,
                    args.app_namespace,
                    args.backup_max_age_seconds,
                    {
                        kind: [s.workload for s in args.slos if s.kind == kind]
                        for kind in ("availability", "latency")
                    },
                )
            },
            opts=after_release,
        )
        if args.slos:
            k8s.apiextensions.CustomResource(
                f"{name}-slo-rules",
                api_version="monitoring.coreos.com/v1",
                kind="PrometheusRule",
                metadata={"name": "slos", "namespace": NAMESPACE},
                spec={"groups": slo_rule_groups(args.slos)},
                opts=after_release,
            )
        for target in args.scrape_targets:
            k8s.apiextensions.CustomResource(
                f"{name}-scrape-{target.workload}",
                api_version="monitoring.coreos.com/v1",
                kind="PodMonitor",
                metadata={"name": f"app-{target.workload}", "namespace": NAMESPACE},
                spec=pod_monitor_spec(args.app_namespace, target),
                opts=after_release,
            )
        if args.extra_alerts:
            k8s.apiextensions.CustomResource(
                f"{name}-custom-rules",
                api_version="monitoring.coreos.com/v1",
                kind="PrometheusRule",
                metadata={"name": "custom", "namespace": NAMESPACE},
                spec={"groups": [{"name": "custom", "rules": list(args.extra_alerts)}]},
                opts=after_release,
            )

    def _dashboards(
        self, name: str, args: MonitoringStackArgs, in_ns: pulumi.ResourceOptions
    ) -> list[k8s.core.v1.ConfigMap]:
        """The dashboards kept as JSON in the repository and one per SLO, one ConfigMap each
        (the Grafana sidecar loads every ConfigMap labelled ``grafana_dashboard``)."""
        # the HTTP dashboard's namespace is the stack's (its workloads: a variable)
        boards = {
            path.stem: path.read_text().replace(APP_NAMESPACE_TOKEN, args.app_namespace)
            for path in sorted(DASHBOARDS.glob("*.json"))
        } | {f"slo-{slo.name}": slo_dashboard_json(slo) for slo in args.slos}
        return [
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{stem}",
                metadata={
                    "name": f"dashboard-{stem}",
                    "namespace": NAMESPACE,
                    "labels": {"grafana_dashboard": "1"},
                },
                data={f"{stem}.json": text},
                opts=in_ns,
            )
            for stem, text in boards.items()
        ]

    def _expand_claims(self, live: dict[str, int], opts: pulumi.ResourceOptions) -> list[str]:
        """Grow every existing Prometheus claim smaller than the configured storage (gp3 with
        ``allowVolumeExpansion``: EBS grows the volume and the filesystem online). Growing the
        storage spec alone only makes the operator recreate its StatefulSet over the old
        claims (prometheus-operator Documentation/platform/storage.md, "Resizing volumes"),
        while ``retentionSize`` would follow the new size and fill the old disks."""
        wanted = self._args.settings.prometheus_storage_gib
        grown = sorted(claim for claim, gib in live.items() if gib < wanted)
        # every existing claim keeps its patch (a request never below the live size): a
        # patch that disappeared would relinquish the request it forced
        for claim, gib in sorted(live.items()):
            k8s.core.v1.PersistentVolumeClaimPatch(
                f"{self._name}-expand-{claim}",
                metadata={
                    "name": claim,
                    "namespace": NAMESPACE,
                    # the StatefulSet controller owns the request: take it over
                    "annotations": {"pulumi.com/patchForce": "true"},
                },
                spec={"resources": {"requests": {"storage": f"{max(gib, wanted)}Gi"}}},
                opts=pulumi.ResourceOptions.merge(
                    opts, pulumi.ResourceOptions(retain_on_delete=True)
                ),
            )
        return grown

    def _receiver_secrets(self) -> dict[str, pulumi.Input[str]]:
        a = self._args
        smtp = self._smtp.password_secret_arn if self._smtp else None
        pairs = ((SLACK_WEBHOOK, a.slack_webhook_secret),
                 (PAGERDUTY_ROUTING_KEY, a.pagerduty_routing_key_secret),
                 (SMTP_PASSWORD, smtp))  # fmt: skip
        return {key: arn for key, arn in pairs if arn is not None}

    def _delivery(self, name: str, args: MonitoringStackArgs) -> None:
        """The SES login (with alert emails) and the heartbeat (``monitoring/delivery.py``)."""
        settings = args.settings
        self._smtp: SmtpLogin | None = None
        if settings.alert_emails and settings.email_sender is not None:
            self._smtp = ses_smtp_login(
                name,
                environment=args.environment,
                sender=settings.email_sender,
                rotation=settings.smtp_credentials_rotation,
                parent=self,
            )
        self.smtp_password_secret_arn = self._smtp.password_secret_arn if self._smtp else None
        self._grafana_role: aws.iam.Role | None = None
        if args.container_log_group_arns:
            self._grafana_role = service_account_role(
                f"{name}-grafana",
                oidc=args.oidc,
                namespace=NAMESPACE,
                service_account=GRAFANA_SERVICE_ACCOUNT,
                statements=pulumi.Output.all(*args.container_log_group_arns).apply(
                    lambda arns: grafana_log_reads(list(arns))
                ),
                parent=self,
            )
        """The SMTP password's secret (the shared secret store's role must read it)."""
        self._heartbeat: Heartbeat | None = None
        if settings.heartbeat:
            self._heartbeat = heartbeat(
                name,
                environment=args.environment,
                oidc=args.oidc,
                namespace=NAMESPACE,
                service_account=ALERTMANAGER_SERVICE_ACCOUNT,
                parent=self,
            )

    def _alertmanager_document(self) -> pulumi.Output[dict[str, Any]]:
        a, smtp, beat = self._args, self._smtp, self._heartbeat
        receivers = self._receiver_secrets()
        sender = a.settings.email_sender

        def document(username: str | None, topic_arn: str | None) -> dict[str, Any]:
            return alertmanager_config(
                slack=SLACK_WEBHOOK in receivers,
                slack_channel=a.settings.slack_channel,
                pagerduty=PAGERDUTY_ROUTING_KEY in receivers,
                email=None
                if username is None or sender is None
                else Email(a.settings.alert_emails, smtp_host(a.region), sender, username),
                heartbeat=None if topic_arn is None else HeartbeatTopic(topic_arn, a.region),
            )

        return pulumi.Output.all(
            smtp.username if smtp else None, beat.topic_arn if beat else None
        ).apply(lambda v: document(v[0], v[1]))

    def _alertmanager_secrets(self, opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        """The routing (no secret in it) and, when a receiver needs one, the ExternalSecret
        that mounts the receivers' secrets; Alertmanager reads them per notification."""
        a = self._args
        receivers = self._receiver_secrets()
        document = self._alertmanager_document()
        made: list[pulumi.Resource] = [
            k8s.core.v1.Secret(
                f"{self._name}-alertmanager",
                metadata={
                    "name": ALERTMANAGER_SECRET,
                    "namespace": NAMESPACE,
                    # the provider keeps every Secret's data secret; this document holds none,
                    # so a reviewable copy (``plan --manifests``, amtool) rides along
                    "annotations": {ALERTMANAGER_CONFIG_ANNOTATION: document.apply(json.dumps)},
                },
                string_data={
                    "alertmanager.yaml": document.apply(
                        lambda d: yaml.safe_dump(d, sort_keys=False)
                    )
                },
                opts=opts,
            )
        ]
        if receivers:
            made.append(
                external_secret(
                    f"{self._name}-alert-receivers",
                    namespace=NAMESPACE,
                    secret=RECEIVER_SECRET,
                    store=a.secret_store,
                    data={key: (arn, None) for key, arn in receivers.items()},
                    # a rotated key is read by the next notification after the refresh
                    refresh_interval="5m",
                    opts=pulumi.ResourceOptions.merge(
                        opts,
                        pulumi.ResourceOptions(
                            depends_on=[
                                *a.ready,
                                *([self._smtp.version] if self._smtp else []),
                            ]
                        ),
                    ),
                )
            )
        return made

    def _values(self) -> dict[str, Any]:
        a = self._args

        def claim(gib: int) -> dict[str, Any]:
            return {
                "volumeClaimTemplate": {
                    "spec": {
                        "storageClassName": a.storage_class,
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": f"{gib}Gi"}},
                    }
                }
            }

        return {
            "fullnameOverride": "kps",
            # Helm never upgrades crds/: the chart's own pre-install/pre-upgrade hook Job applies
            # the CRDs of the pinned chart (server-side) before the operator rolls, so a chart
            # bump never runs a new operator on old CRDs. Images pinned (busybox from ECR Public,
            # not Docker Hub's "latest"); kubectl follows the cluster's version.
            "crds": {
                "upgradeJob": {
                    "enabled": True,
                    # Helm's manager created the CRDs: take over the fields a bump changes
                    "forceConflicts": True,
                    "image": {"busybox": versions.CRD_UPGRADE_BUSYBOX_IMAGE},
                    "resources": {
                        "requests": {"cpu": "50m", "memory": "64Mi"},
                        "limits": {"cpu": "500m", "memory": "256Mi"},
                    },
                }
            },
            "prometheus": {
                "prometheusSpec": {
                    "replicas": a.settings.prometheus_replicas,
                    "retention": f"{a.settings.prometheus_retention_days}d",
                    "retentionSize": f"{int(a.settings.prometheus_storage_gib * 0.85)}GB",
                    "storageSpec": claim(a.settings.prometheus_storage_gib),
                    "serviceMonitorSelectorNilUsesHelmValues": False,
                    "podMonitorSelectorNilUsesHelmValues": False,
                    "ruleSelectorNilUsesHelmValues": False,
                    "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}},
                },
                "podDisruptionBudget": {"enabled": a.settings.prometheus_replicas > 1},
            },
            "alertmanager": self._alertmanager_values(claim(10)),
            "grafana": self._grafana_values(),
            "kube-state-metrics": {
                "metricLabelsAllowlist": ["nodes=[eks.amazonaws.com/capacityType]"],
            },
            # EKS runs these on the managed control plane: nothing to scrape
            "kubeControllerManager": {"enabled": False},
            "kubeScheduler": {"enabled": False},
            "kubeEtcd": {"enabled": False},
        }

    def _grafana_values(self) -> dict[str, Any]:
        """Admin from a Secret, dashboards from ConfigMaps, and with container logs the
        CloudWatch data source (its own read-only role, IRSA)."""
        values: dict[str, Any] = {
            "admin": {
                "existingSecret": GRAFANA_SECRET,
                "userKey": "admin-user",
                "passwordKey": "admin-password",
            },
            "sidecar": {
                "dashboards": {
                    "enabled": True,
                    "label": "grafana_dashboard",
                    "labelValue": "1",
                    "searchNamespace": NAMESPACE,
                }
            },
        }
        if self._grafana_role is not None:
            values["serviceAccount"] = {
                "create": True,
                "name": GRAFANA_SERVICE_ACCOUNT,
                "annotations": {"eks.amazonaws.com/role-arn": self._grafana_role.arn},
            }
            values["additionalDataSources"] = [
                {
                    "name": "CloudWatch",
                    "uid": "cloudwatch",
                    "type": "cloudwatch",
                    "access": "proxy",
                    "editable": False,
                    "jsonData": {"authType": "default", "defaultRegion": self._args.region},
                }
            ]
        return values

    def _alertmanager_values(self, storage: dict[str, Any]) -> dict[str, Any]:
        a = self._args
        return {
            "alertmanagerSpec": {
                "replicas": a.settings.alertmanager_replicas,
                "configSecret": ALERTMANAGER_SECRET,
                # mounted at /etc/alertmanager/secrets/<name>/ (receiver *_file settings)
                "secrets": [RECEIVER_SECRET] if self._receiver_secrets() else [],
                "storage": storage,
                # the IRSA webhook injects credentials when a pod is created: a new role rolls
                # the pods (an existing service account's new annotation alone would not)
                "podMetadata": {
                    "annotations": (
                        {"platform/irsa-role": self._heartbeat.role_arn} if self._heartbeat else {}
                    )
                },
            },
            "podDisruptionBudget": {"enabled": a.settings.alertmanager_replicas > 1},
            # named, so the heartbeat role trusts exactly this account
            "serviceAccount": {
                "create": True,
                "name": ALERTMANAGER_SERVICE_ACCOUNT,
                "annotations": (
                    {"eks.amazonaws.com/role-arn": self._heartbeat.role_arn}
                    if self._heartbeat
                    else {}
                ),
            },
        }

    def _external_secret(
        self,
        key: str,
        remote_arn: pulumi.Input[str],
        properties: dict[str, str],
        opts: pulumi.ResourceOptions,
    ) -> k8s.apiextensions.CustomResource:
        return external_secret(
            f"{self._name}-{key}-credentials",
            namespace=NAMESPACE,
            secret=key,
            store=self._args.secret_store,
            data={target: (remote_arn, source) for target, source in properties.items()},
            annotations={"force-sync": str(self._args.credentials_rotation)},
            opts=opts,
        )

    def _exporters(self, opts: pulumi.ResourceOptions) -> None:
        a = self._args
        es_opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(depends_on=[*a.ready, self.release])
        )
        if a.database_host is not None and a.database_secret is not None:
            secret = self._external_secret(
                "postgres-exporter",
                a.database_secret,
                {"username": "username", "password": "password"},
                pulumi.ResourceOptions.merge(
                    es_opts, pulumi.ResourceOptions(depends_on=list(a.database_credentials_ready))
                ),
            )
            self._exporter_release(
                "prometheus-postgres-exporter",
                {
                    "config": {
                        "datasource": {
                            "host": a.database_host,
                            "port": "5432",
                            "database": a.database_name,
                            # in-VPC, read-only pg_monitor role: encrypted, not verified
                            # (the chart has no hook for the RDS CA bundle; README)
                            "sslmode": "require",
                            "userSecret": {"name": "postgres-exporter", "key": "username"},
                            "passwordSecret": {"name": "postgres-exporter", "key": "password"},
                        }
                    },
                    "serviceMonitor": {"enabled": True},
                    # reads its login from env: roll it when the Secret changes
                    "deployment": {"annotations": {RELOADER_ANNOTATION: "true"}},
                },
                secret,
            )
        if a.cache_host is not None and a.cache_secret_arn is not None:
            secret = self._external_secret(
                "redis-exporter", a.cache_secret_arn, {"password": "password"}, es_opts
            )
            args: dict[str, Any] = {"check-single-keys": "db0=celery"}
            if a.cache.cluster_mode:
                args["is-cluster"] = True
            self._exporter_release(
                "prometheus-redis-exporter",
                {
                    "redisAddress": pulumi.Output.concat("rediss://", a.cache_host, ":6379"),
                    "auth": {
                        "enabled": True,
                        "secret": {"name": "redis-exporter", "key": "password"},
                    },
                    "extraArgs": args,
                    "serviceMonitor": {"enabled": True},
                    "annotations": {RELOADER_ANNOTATION: "true"},
                },
                secret,
            )

    def _exporter_release(
        self, key: str, values: dict[str, Any], secret: pulumi.Resource
    ) -> k8s.helm.v3.Release:
        return chart_release(
            f"{self._name}-{key}",
            key,
            release=key,
            namespace=NAMESPACE,
            values={
                **values,
                "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
                "securityContext": {"runAsNonRoot": True, "runAsUser": 65534},
            },
            opts=pulumi.ResourceOptions(
                parent=self, provider=self._args.k8s_provider, depends_on=[secret, self.release]
            ),
        )

    # --- CloudWatch --------------------------------------------------------------------------

    def _cloudwatch(self) -> None:
        a = self._args
        topic = self._alarm_topic()
        self.alarm_topic_arn = topic.arn
        specs: list[Alarm] = []
        t, db = a.settings.thresholds, a.database
        if a.database_identifier is not None:
            specs += rds_alarms(
                a.database_identifier,
                db.instance_class,
                db.allocated_storage_gib,
                cpu_percent=t.database_cpu_percent,
                free_storage_percent=t.database_free_storage_percent,
                connections_percent=t.database_connections_percent,
                replicas=a.database_replicas,
                replica_lag_seconds=a.database_replica_lag_seconds,
                max_allocated_gib=db.max_allocated_storage_gib,
                max_connections=db.max_connections,
            )
        specs += queue_alarms(a.queues)
        specs += cache_alarms(
            list(a.cache_node_ids),
            cpu_percent=t.cache_cpu_percent,
            memory_percent=t.cache_memory_percent,
            has_replicas=a.cache.replicas_per_shard > 0,
        )
        self.alarms = [self._alarm(spec, topic.arn) for spec in specs]
        for lb in a.load_balancer_names:
            # The ALB exists once the controller has reconciled the Ingress.
            found = aws.lb.get_load_balancer_output(
                name=lb,
                opts=pulumi.InvokeOutputOptions(parent=self, depends_on=list(a.ingresses)),
            )
            for spec in alb_alarms(
                lb, "{arn_suffix}", latency_seconds=t.api_latency_p95_warning_seconds
            ):
                self.alarms.append(self._alarm(spec, topic.arn, found.arn_suffix))

    def _alarm_topic(self) -> aws.sns.Topic:
        """The KMS-encrypted topic CloudWatch alarms and EventBridge rules publish to, and its
        email subscriptions."""
        from .kms import customer_managed_key

        a = self._args
        name = self._name
        child = pulumi.ResourceOptions(parent=self)
        key = customer_managed_key(
            f"{name}-alarms",
            f"SNS alarm topic of {a.environment}",
            parent=self,
            protect=a.protect,
            service_statements=[
                {
                    "Sid": "AlarmsAndEventsPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                }
            ],
        )
        topic = aws.sns.Topic(
            f"{name}-alarms", name=f"{a.environment}-alarms", kms_master_key_id=key.arn, opts=child
        )
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        aws.sns.TopicPolicy(
            f"{name}-alarms",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, account.account_id).apply(
                lambda v: policy_document(
                    {
                        "Sid": "CloudWatchAlarmsAndEventBridgeRules",
                        "Effect": "Allow",
                        "Principal": {
                            "Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
                        },
                        "Action": "sns:Publish",
                        "Resource": v[0],
                        "Condition": {"StringEquals": {"aws:SourceAccount": v[1]}},
                    }
                )
            ),
            opts=child,
        )
        for index, email in enumerate(a.settings.alert_emails):
            aws.sns.TopicSubscription(
                f"{name}-alarms-email-{index}",
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=child,
            )
        return topic

    def _alarm(
        self, spec: Alarm, topic_arn: pulumi.Input[str], lb_suffix: pulumi.Input[str] | None = None
    ) -> aws.cloudwatch.MetricAlarm:
        dimensions: Any = spec.dimensions
        if lb_suffix is not None:
            dimensions = {"LoadBalancer": lb_suffix}
        return aws.cloudwatch.MetricAlarm(
            f"{self._name}-{spec.name}",
            name=spec.name,
            alarm_description=spec.description,
            namespace=spec.namespace,
            metric_name=spec.metric,
            dimensions=dimensions,
            statistic=spec.statistic or None,
            extended_statistic=spec.extended_statistic,
            comparison_operator=spec.comparison,
            threshold=spec.threshold,
            period=spec.period,
            evaluation_periods=spec.evaluation_periods,
            treat_missing_data="notBreaching",
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
            opts=pulumi.ResourceOptions(parent=self),
        )
