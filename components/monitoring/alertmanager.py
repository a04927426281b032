"""Alertmanager configuration as Python data.

Routing by severity: critical pages (PagerDuty) and posts to Slack, warning posts to Slack
(and email), info goes nowhere but the UI; alerts are grouped by alertname and namespace and a
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
from typing import Any

RECEIVER_SECRET = "alert-receivers"
"""Kubernetes Secret (made by external-secrets) holding one key per receiver secret."""

RECEIVER_SECRETS_DIR = f"/etc/alertmanager/secrets/{RECEIVER_SECRET}"
"""Where the operator mounts ``alertmanagerSpec.secrets`` entries."""

SLACK_WEBHOOK = "slack-webhook-url"
PAGERDUTY_ROUTING_KEY = "pagerduty-routing-key"


def receiver_secret_name(environment: str, receiver_key: str) -> str:
    """The Secrets Manager name of a receiver secret: ``staging/alerting/slack-webhook-url``."""
    return f"{environment}/alerting/{receiver_key}"


def alertmanager_config(
    *,
    slack: bool,
    slack_channel: str,
    pagerduty: bool,
    emails: Sequence[str] = (),
    smarthost: str = "email-smtp.us-east-1.amazonaws.com:587",
    sender: str = "alerts@example.com",
) -> dict[str, Any]:
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
    if emails:
        warning["email_configs"] = [{"to": address, "send_resolved": True} for address in emails]
    global_: dict[str, Any] = {"resolve_timeout": "5m"}
    if emails:
        global_.update({"smtp_smarthost": smarthost, "smtp_from": sender})
    return {
        "global": global_,
        "route": {
            "receiver": "warning",
            "group_by": ["alertname", "namespace"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {"receiver": "null", "matchers": ['alertname="Watchdog"']},
                {
                    "receiver": "critical",
                    "matchers": ['severity="critical"'],
                    "repeat_interval": "1h",
                },
                {"receiver": "warning", "matchers": ['severity="warning"']},
                {"receiver": "null", "matchers": ['severity="info"']},
            ],
        },
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity=~"warning|info"'],
                "equal": ["alertname", "namespace"],
            },
            {
                "source_matchers": ['severity="warning"'],
                "target_matchers": ['severity="info"'],
                "equal": ["alertname", "namespace"],
            },
        ],
        "receivers": [critical, warning, {"name": "null"}],
    }
