"""MonitoringStack under mocks: pinned charts, retention per stack, no plain secrets, alarms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components import versions
from components.monitoring_stack import DASHBOARDS
from tests.conftest import run_stack_config, stack_config
from tools.offline.harness import OFFLINE_SECRET_PLACEHOLDER, PlanResult

RELEASE = "kubernetes:helm.sh/v3:Release"


def _release(plan: PlanResult, name: str) -> dict:
    (release,) = [r for r in plan.graph.of_type(RELEASE) if r.inputs["name"] == name]
    return release.inputs


def test_charts_pinned(plan: PlanResult) -> None:
    for name in (
        "kube-prometheus-stack",
        "prometheus-postgres-exporter",
        "prometheus-redis-exporter",
    ):
        inputs = _release(plan, name)
        assert inputs["version"] == versions.HELM_CHARTS[name].version
        assert inputs["repositoryOpts"]["repo"] == versions.HELM_CHARTS[name].repository


@pytest.mark.parametrize(
    ("stack", "days", "gib", "am_replicas"), [("staging", 15, 30, 1), ("production", 30, 100, 2)]
)
def test_retention_storage_and_replicas(
    stack: str, days: int, gib: int, am_replicas: int, request: pytest.FixtureRequest
) -> None:
    values = _release(request.getfixturevalue(stack), "kube-prometheus-stack")["values"]
    spec = values["prometheus"]["prometheusSpec"]
    assert spec["retention"] == f"{days}d"
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == f"{gib}Gi"
    assert claim["storageClassName"] == "gp3"
    assert values["alertmanager"]["alertmanagerSpec"]["replicas"] == am_replicas


def test_no_plain_secret_in_helm_values(plan: PlanResult) -> None:
    text = json.dumps([r.inputs for r in plan.graph.of_type(RELEASE)])
    assert OFFLINE_SECRET_PLACEHOLDER not in text
    assert "hooks.slack.com" not in text
    assert "adminPassword" not in text
    values = _release(plan, "kube-prometheus-stack")["values"]
    assert values["grafana"]["admin"]["existingSecret"] == "grafana-admin"
    assert values["alertmanager"]["alertmanagerSpec"]["configSecret"] == "alertmanager-platform"
    for secret in plan.graph.of_type("kubernetes:core/v1:Secret"):
        if secret.inputs["metadata"]["name"] == "alertmanager-platform":
            continue  # routing only: receivers read their secrets from mounted files
        assert secret.inputs["stringData"] == "[secret]"


def _alertmanager(plan: PlanResult) -> dict:
    (secret,) = [
        s for s in plan.graph.of_type("kubernetes:core/v1:Secret")
        if s.inputs["metadata"]["name"] == "alertmanager-platform"
    ]  # fmt: skip
    return json.loads(secret.inputs["metadata"]["annotations"]["platform/alertmanager-config"])


def test_receiver_secrets_come_from_secrets_manager_as_files(production: PlanResult) -> None:
    """No receiver secret in config, state or the routing document: each is a Secrets Manager
    secret named <stack>/alerting/<key>, synced by external-secrets into the Secret the
    operator mounts, and read per notification through a *_file setting."""
    receivers = {r["name"]: r for r in _alertmanager(production)["receivers"]}
    directory = "/etc/alertmanager/secrets/alert-receivers"
    (pagerduty,) = receivers["critical"]["pagerduty_configs"]
    assert pagerduty["routing_key_file"] == f"{directory}/pagerduty-routing-key"
    assert "routing_key" not in pagerduty
    (slack,) = receivers["warning"]["slack_configs"]
    assert slack["api_url_file"] == f"{directory}/slack-webhook-url"
    assert "api_url" not in slack
    spec = _release(production, "kube-prometheus-stack")["values"]["alertmanager"][
        "alertmanagerSpec"
    ]
    assert spec["secrets"] == ["alert-receivers"]
    (external,) = [
        e for e in production.graph.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
        if e.inputs["metadata"]["name"] == "alert-receivers"
    ]  # fmt: skip
    assert external.inputs["metadata"]["namespace"] == "monitoring"
    looked_up = {
        args["name"]: token for token, args in production.calls
        if token == "aws:secretsmanager/getSecret:getSecret"
    }  # fmt: skip
    assert set(looked_up) == {
        "production/alerting/slack-webhook-url",
        "production/alerting/pagerduty-routing-key",
    }
    remote = {d["secretKey"]: d["remoteRef"] for d in external.inputs["spec"]["data"]}
    assert set(remote) == {"slack-webhook-url", "pagerduty-routing-key", "smtp-password"}
    for key, ref in remote.items():
        assert ref["key"].startswith("arn:aws:secretsmanager:")
        assert f"alerting/{key}" in ref["key"] or key == "smtp-password"
        assert "property" not in ref  # the whole string is the value
    assert remote["smtp-password"]["key"].endswith("generated/alertmanager-smtp-password-AbCdEf")
    # the external-secrets role may read exactly these two (and the data stores' secrets)
    grant = next(
        r
        for r in production.graph.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name == "production-external-secrets-data"
    )
    readable = json.loads(grant.inputs["policy"])["Statement"][0]["Resource"]
    assert {ref["key"] for ref in remote.values()} <= set(readable)


def test_every_alarm_notifies_the_encrypted_topic(plan: PlanResult) -> None:
    (topic,) = [
        t for t in plan.graph.of_type("aws:sns/topic:Topic") if t.inputs["name"].endswith("-alarms")
    ]
    keys = {k.outputs["arn"] for k in plan.graph.of_type("aws:kms/key:Key")}
    assert topic.inputs["kmsMasterKeyId"] in keys
    alarms = plan.graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert alarms
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [topic.outputs["arn"]]
        assert alarm.inputs["okActions"] == [topic.outputs["arn"]]
    metrics = {(a.inputs["namespace"], a.inputs["metricName"]) for a in alarms}
    assert {
        ("AWS/RDS", "CPUUtilization"),
        ("AWS/RDS", "FreeStorageSpace"),
        ("AWS/RDS", "FreeableMemory"),
        ("AWS/RDS", "DatabaseConnections"),
        ("AWS/ElastiCache", "EngineCPUUtilization"),
        ("AWS/ElastiCache", "DatabaseMemoryUsagePercentage"),
        ("AWS/ElastiCache", "Evictions"),
        ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"),
        ("AWS/ApplicationELB", "TargetResponseTime"),
    } <= metrics


def test_cache_alarms_cover_every_node(production: PlanResult) -> None:
    (group,) = production.graph.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    alarmed = {
        a.inputs["dimensions"]["CacheClusterId"]
        for a in production.graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs["namespace"] == "AWS/ElastiCache"
    }
    assert alarmed == set(group.outputs["memberClusters"])
    lag = [
        a for a in production.graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs["metricName"] == "ReplicationLag"
    ]  # fmt: skip
    assert len(lag) == len(alarmed)


def test_alb_alarms_use_the_controller_made_load_balancer(plan: PlanResult) -> None:
    alb = [
        a for a in plan.graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs["namespace"] == "AWS/ApplicationELB"
    ]  # fmt: skip
    # the stack's one ALB, however many public workloads
    assert {a.inputs["dimensions"]["LoadBalancer"].split("/")[1] for a in alb} == {
        f"{plan.stack}-public"
    }


def test_email_subscriptions(production: PlanResult) -> None:
    (sub,) = production.graph.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert sub.inputs["protocol"] == "email"
    assert sub.inputs["endpoint"] == "platform-oncall@example.com"


def _slo_names(plan: PlanResult) -> list[str]:
    """``<workload>-<kind>`` of every SLO in the stack file."""
    workloads = stack_config(plan.stack)["platform:apps"]["workloads"]
    return [
        f"{name}-{kind}"
        for name, w in workloads.items()
        for kind, key in (("availability", "availabilityPercent"), ("latency", "latency"))
        if key in (w.get("slo") or {})
    ]


def test_dashboards_from_repo_files(plan: PlanResult) -> None:
    files = sorted(p.name for p in Path(DASHBOARDS).glob("*.json"))
    assert len(files) >= 5
    maps = [
        c for c in plan.graph.of_type("kubernetes:core/v1:ConfigMap")
        if (c.inputs["metadata"].get("labels") or {}).get("grafana_dashboard") == "1"
    ]  # fmt: skip
    slos = [f"slo-{s}.json" for s in _slo_names(plan)]
    assert sorted(name for c in maps for name in c.inputs["data"]) == sorted(files + slos)
    for path in Path(DASHBOARDS).glob("*.json"):
        board = json.loads(path.read_text())
        assert board["panels"]
        assert all(t["expr"] for p in board["panels"] for t in p["targets"])


def test_rules_and_pod_monitors_wait_for_the_operator(plan: PlanResult) -> None:
    release = next(
        r for r in plan.graph.of_type(RELEASE) if r.inputs["name"] == "kube-prometheus-stack"
    )
    monitors = plan.graph.of_type("kubernetes:monitoring.coreos.com/v1:PodMonitor")
    for obj in [
        *plan.graph.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule"),
        *monitors,
    ]:
        assert release.urn in obj.dependencies
    # every http workload of the committed stacks is scraped: here, the api
    (monitor,) = monitors
    spec = monitor.inputs["spec"]
    assert spec["namespaceSelector"] == {"matchNames": ["apps"]}
    assert spec["selector"] == {"matchLabels": {"app.kubernetes.io/name": "api"}}
    (endpoint,) = spec["podMetricsEndpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")
    assert endpoint["relabelings"][0]["targetLabel"] == "workload"


def test_staging_never_pages(staging: PlanResult) -> None:
    receivers = {r["name"]: r for r in _alertmanager(staging)["receivers"]}
    assert "pagerduty_configs" not in receivers["critical"]
    assert receivers["critical"]["slack_configs"][0]["api_url_file"].endswith("slack-webhook-url")
    looked_up = [
        a["name"] for t, a in staging.calls if t.startswith("aws:secretsmanager/getSecret")
    ]
    assert looked_up == ["staging/alerting/slack-webhook-url"]


BAD = [
    ("threshold-above-100", {"thresholds": {"nodeCpuPercent": 120}},
     ["platform:monitoring.thresholds.nodeCpuPercent", "less than or equal to 100"]),
    ("retention-zero", {"prometheusRetentionDays": 0},
     ["platform:monitoring.prometheusRetentionDays", "greater than or equal to 1"]),
    ("warning-above-critical", {"thresholds": {"apiErrorRatioWarningPercent": 9}},
     ["warning error ratio must be below the critical"]),
    ("bad-email", {"alertEmails": ["not-an-email"], "emailSender": "alerts@example.com"},
     ["platform:monitoring.alertEmails", "not an email"]),
    ("emails-without-a-sender", {"alertEmails": ["oncall@example.com"]},
     ["platform:monitoring", "alertEmails needs emailSender"]),
    ("sender-not-an-address", {"alertEmails": ["oncall@example.com"], "emailSender": "alerts"},
     ["platform:monitoring.emailSender", "should match pattern"]),
]  # fmt: skip


@pytest.mark.parametrize(("monitoring", "fragments"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_monitoring_config(monitoring: dict, fragments: list[str]) -> None:
    config = stack_config("production")
    config["platform:monitoring"] = monitoring
    result = run_stack_config(config, "production")
    assert result.error is not None
    for fragment in fragments:
        assert fragment in result.error, result.error
    assert len(result.graph) == 0


@pytest.mark.parametrize("key", ["alertSlackWebhookUrl", "alertPagerdutyRoutingKey"])
def test_receiver_secret_in_pulumi_config_is_refused(key: str) -> None:
    """The old secure config keys are refused with the way to move the value."""
    config = stack_config("production")
    config[f"platform:{key}"] = {"secure": "AAABAKm..."}
    result = run_stack_config(config, "production")
    assert result.error is not None
    assert f"platform:{key}: not a project key" in result.error
    assert "bootstrap-backend put-secret" in result.error
    assert len(result.graph) == 0


def test_free_storage_alarm_follows_storage_autoscaling(plan: PlanResult) -> None:
    """Autoscaling acts below 10 % free of the current allocation: the alarm's floor sits
    under that at the smallest allocation, so it never fires because autoscaling started."""
    from tests.conftest import stack_config

    database = stack_config(plan.stack).get("platform:database", {})
    allocated = database.get("allocatedStorageGib", 100)
    assert database.get("maxAllocatedStorageGib", 1000) > allocated
    (alarm,) = [
        a for a in plan.graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs["metricName"] == "FreeStorageSpace"
    ]  # fmt: skip
    autoscaling_trigger = allocated * 2**30 * 0.10
    assert 0 < alarm.inputs["threshold"] < autoscaling_trigger
    assert "autoscaling" in alarm.inputs["alarmDescription"]


def test_free_storage_alarm_without_autoscaling_is_a_share_of_the_allocation() -> None:
    from components.monitoring.alarms import free_storage_alarm

    fixed = free_storage_alarm("db", {}, 100, 100, 10)
    assert fixed.threshold == 10 * 2**30


def test_connections_alarm_follows_a_max_connections_override() -> None:
    from components.monitoring.alarms import rds_alarms

    alarms = rds_alarms("db", "db.m7g.large", 100, cpu_percent=80, free_storage_percent=10,
                        connections_percent=80, max_connections=500)  # fmt: skip
    (connections,) = [a for a in alarms if a.metric == "DatabaseConnections"]
    assert connections.threshold == 400


def test_a_receiver_secret_under_a_customer_key_is_decryptable_by_its_arn() -> None:
    """DescribeSecret may name the key by id: the grant resolves it to the key's ARN."""
    key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
    live = {"secrets": {"staging/alerting/slack-webhook-url": {"kmsKeyId": key_id}}}
    plan = run_stack_config(stack_config("staging"), "staging", live=live)
    grant = plan.graph.named("staging-external-secrets-data", "aws:iam/rolePolicy:RolePolicy")
    statements = {s["Sid"]: s for s in json.loads(grant.inputs["policy"])["Statement"]}
    keys = statements["DecryptViaSecretsManager"]["Resource"]
    assert f"arn:aws:kms:us-east-1:123456789012:key/{key_id}" in keys
    assert all(k.startswith("arn:aws:kms:") for k in keys)


def test_alert_email_goes_through_ses_as_the_verified_sender(production: PlanResult) -> None:
    """The SMTP login may send as the sender and nothing else; its password reaches
    Alertmanager only as a mounted file (never in the routing document or plain state)."""
    (identity,) = production.graph.of_type("aws:sesv2/emailIdentity:EmailIdentity")
    assert identity.inputs["emailIdentity"] == "alerts@example.com"
    (policy,) = production.graph.of_type("aws:iam/userPolicy:UserPolicy")
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Action"] == "ses:SendRawEmail"
    # any identity of the account and region (the SES sandbox also checks the recipient's),
    # but only as the sender
    assert statement["Resource"] == "arn:aws:ses:us-east-1:123456789012:identity/*"
    assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": "alerts@example.com"}}
    (key,) = production.graph.of_type("aws:iam/accessKey:AccessKey")
    (version,) = [
        v for v in production.graph.of_type("aws:secretsmanager/secretVersion:SecretVersion")
        if v.name == "production-monitoring-smtp-password"
    ]  # fmt: skip
    assert version.inputs["secretString"] == key.outputs["sesSmtpPasswordV4"]
    document = _alertmanager(production)
    assert document["global"]["smtp_auth_username"].startswith("AKIA")  # the key id
    assert document["global"]["smtp_smarthost"] == "email-smtp.us-east-1.amazonaws.com:587"
    assert key.outputs["sesSmtpPasswordV4"] not in json.dumps(document)
    receivers = {r["name"]: r for r in document["receivers"]}
    assert receivers["critical"]["email_configs"] == [
        {"to": "platform-oncall@example.com", "send_resolved": True}
    ]


def test_a_silent_alertmanager_is_noticed_outside_the_cluster(production: PlanResult) -> None:
    """Watchdog beats an SNS topic every minute; a CloudWatch alarm on the topic's silence
    (missing data breaches) tells the alarm topic; only Alertmanager's service account may
    publish, and only there."""
    topics = {t.inputs["name"]: t for t in production.graph.of_type("aws:sns/topic:Topic")}
    beat, alarms = topics["production-alertmanager-heartbeat"], topics["production-alarms"]
    silent = production.graph.named(
        "production-monitoring-heartbeat-silent", "aws:cloudwatch/metricAlarm:MetricAlarm"
    )
    assert silent.inputs["dimensions"] == {"TopicName": beat.inputs["name"]}
    assert silent.inputs["metricName"] == "NumberOfMessagesPublished"
    assert silent.inputs["treatMissingData"] == "breaching"
    assert silent.inputs["alarmActions"] == [alarms.outputs["arn"]]
    role = production.graph.named("production-monitoring-alertmanager", "aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]
    assert "system:serviceaccount:monitoring:kps-alertmanager" in trust["StringEquals"].values()
    grant = production.graph.named(
        "production-monitoring-alertmanager", "aws:iam/rolePolicy:RolePolicy"
    )
    assert json.loads(grant.inputs["policy"])["Statement"] == [
        {"Sid": "PublishHeartbeat", "Effect": "Allow", "Action": "sns:Publish",
         "Resource": beat.outputs["arn"]}
    ]  # fmt: skip
    values = _release(production, "kube-prometheus-stack")["values"]["alertmanager"]
    assert values["serviceAccount"]["name"] == "kps-alertmanager"
    # a new role rolls the pods: the IRSA webhook injects credentials only into new pods
    assert values["alertmanagerSpec"]["podMetadata"]["annotations"] == {
        "platform/irsa-role": role.outputs["arn"]
    }
    assert values["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": role.outputs["arn"]
    }
    (heartbeat,) = [r for r in _alertmanager(production)["receivers"] if r["name"] == "heartbeat"]
    assert heartbeat["sns_configs"][0]["topic_arn"] == beat.outputs["arn"]


def test_slos_from_the_stack_file_replace_the_fixed_alerts(production: PlanResult) -> None:
    rules = {
        r.inputs["metadata"]["name"]: r.inputs["spec"]["groups"]
        for r in production.graph.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    }
    assert [g["name"] for g in rules["slos"]] == ["slo.api-availability", "slo.api-latency"]
    latency = rules["slos"][1]["rules"]
    assert (
        'http_request_duration_seconds_bucket{namespace="apps",workload="api",le="0.5"}'
        in (latency[0]["expr"])
    )
    api = next(g for g in rules["platform"] if g["name"] == "platform.api")["rules"]
    assert all('workload!~"api"' in rule["expr"] for rule in api)
    dashboards = {
        c.inputs["metadata"]["name"]
        for c in production.graph.of_type("kubernetes:core/v1:ConfigMap")
        if c.inputs["metadata"].get("labels", {}).get("grafana_dashboard") == "1"
    }
    assert {"dashboard-slo-api-availability", "dashboard-slo-api-latency"} <= dashboards
