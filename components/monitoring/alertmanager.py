"""Alertmanager configuration as Python data.

Routing by severity: critical pages (PagerDuty), posts to Slack and mails, warning posts to
Slack and mails, info goes nowhere but the UI; ``Watchdog`` beats the heartbeat
(``delivery.py``) and ``InfoInhibitor`` goes nowhere; alerts are grouped by alertname and namespace and a
firing critical inhibits the warning/info of the same alertname and namespace.

Receiver secrets (the Slack webhook URL, the PagerDuty routing key) are never in this document,
in Pulumi config or in Pulumi state: they live in Secrets Manager under
``<environment>/alerting/<receiver>``, reach the ``alert-receivers`` Secret through
external-secrets and are mounted into Alertmanager, which reads them per notification
(``api_url_file``, ``routing_key_file``). Rotating one is a ``put-secret-value``: no commit,
no deploy, no restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

RECEIVER_SECRET = "alert-receivers"
"""Kubernetes Secret (made by external-secrets) holding one key per receiver secret."""

RECEIVER_SECRETS_DIR = f"/etc/alertmanager/secrets/{RECEIVER_SECRET}"
"""Where the operator mounts ``alertmanagerSpec.secrets`` entries."""

SLACK_WEBHOOK = "slack-webhook-url"
PAGERDUTY_ROUTING_KEY = "pagerduty-routing-key"
SMTP_PASSWORD = "smtp-password"


def receiver_secret_name(environment: str, receiver_key: str) -> str:
    """The Secrets Manager name of a receiver secret: ``staging/alerting/slack-webhook-url``."""
    return f"{environment}/alerting/{receiver_key}"


@dataclass(frozen=True)
class Email:
    """SES SMTP delivery (``components.monitoring.delivery``)."""

    to: Sequence[str]
    smarthost: str
    sender: str
    username: str


def _receivers(
    *, slack: bool, slack_channel: str, pagerduty: bool, email: Email | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The critical and warning receivers: critical pages and posts, warning posts and mails."""
    critical: dict[str, Any] = {"name": "critical"}
    warning: dict[str, Any] = {"name": "warning"}
    if pagerduty:
        critical["pagerduty_configs"] = [
            {
                "routing_key_file": f"{RECEIVER_SECRETS_DIR}/{PAGERDUTY_ROUTING_KEY}",
                "send_resolved": True,
                "severity": "critical",
            }
        ]
    if slack:
        slack_config = {
            "api_url_file": f"{RECEIVER_SECRETS_DIR}/{SLACK_WEBHOOK}",
            "channel": slack_channel,
            "send_resolved": True,
            "title": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}",
            "text": "{{ range .Alerts }}{{ .Annotations.summary }}: {{ .Annotations.description }}\n{{ end }}",
        }
        critical["slack_configs"] = [slack_config]
        warning["slack_configs"] = [slack_config]
    if email is not None:
        mails = [{"to": address, "send_resolved": True} for address in email.to]
        critical["email_configs"] = mails
        warning["email_configs"] = mails
    return critical, warning


INHIBIT_RULES: list[dict[str, Any]] = [
    {
        "source_matchers": ['severity="critical"'],
        "target_matchers": ['severity=~"warning|info"'],
        "equal": ["alertname", "namespace", "workload", "slo"],
    },
    {
        "source_matchers": ['severity="warning"'],
        "target_matchers": ['severity="info"'],
        "equal": ["alertname", "namespace", "workload", "slo"],
    },
    # kube-prometheus-stack's own rule: while an info alert is the only one firing in a
    # namespace, InfoInhibitor fires and keeps the info alerts quiet
    {
        "source_matchers": ['alertname="InfoInhibitor"'],
        "target_matchers": ['severity="info"'],
        "equal": ["namespace"],
    },
]


def _global(email: Email | None) -> dict[str, Any]:
    global_: dict[str, Any] = {"resolve_timeout": "5m"}
    if email is not None:
        global_.update(
            {
                "smtp_smarthost": email.smarthost,
                "smtp_from": email.sender,
                "smtp_auth_username": email.username,
                "smtp_auth_password_file": f"{RECEIVER_SECRETS_DIR}/{SMTP_PASSWORD}",
                "smtp_require_tls": True,
            }
        )
    return global_


def _watchdog(heartbeat: HeartbeatTopic | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Watchdog's route, and the heartbeat receiver if there is one: published every minute;
    the CloudWatch alarm goes off after 15 silent minutes."""
    if heartbeat is None:
        return {"receiver": "null", "matchers": ['alertname="Watchdog"']}, []
    receiver = {
        "name": "heartbeat",
        "sns_configs": [
            {
                "topic_arn": heartbeat.topic_arn,
                "sigv4": {"region": heartbeat.region},
                "subject": "Watchdog",
                "message": "Alertmanager heartbeat",
                "send_resolved": False,
            }
        ],
    }
    route = {
        "receiver": "heartbeat",
        "matchers": ['alertname="Watchdog"'],
        "group_wait": "0s",
        "group_interval": "1m",
        "repeat_interval": "1m",
    }
    return route, [receiver]


def alertmanager_config(
    *,
    slack: bool,
    slack_channel: str,
    pagerduty: bool,
    email: Email | None = None,
    heartbeat: HeartbeatTopic | None = None,
) -> dict[str, Any]:
    """Every receiver named here is reachable from a route, and every route's receiver
    exists (``amtool check-config`` checks the second; ``tests`` the first)."""
    critical, warning = _receivers(
        slack=slack, slack_channel=slack_channel, pagerduty=pagerduty, email=email
    )
    watchdog, beat = _watchdog(heartbeat)
    return {
        "global": _global(email),
        "route": {
            "receiver": "warning",
            "group_by": ["alertname", "namespace"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                # the chart's helper alert: it exists only to inhibit info alerts
                {"receiver": "null", "matchers": ['alertname="InfoInhibitor"']},
                watchdog,
                {
                    "receiver": "critical",
                    "matchers": ['severity="critical"'],
                    "repeat_interval": "1h",
                },
                {"receiver": "warning", "matchers": ['severity="warning"']},
                {"receiver": "null", "matchers": ['severity=~"info|none"']},
            ],
        },
        "inhibit_rules": INHIBIT_RULES,
        "receivers": [critical, warning, {"name": "null"}, *beat],
    }


@dataclass(frozen=True)
class HeartbeatTopic:
    """Where Alertmanager publishes Watchdog (``delivery.heartbeat``'s topic)."""

    topic_arn: str
    region: str
