"""Alertmanager configuration as Python data.

Routing by severity: critical pages (PagerDuty) and posts to Slack, warning posts to Slack
(and email), info goes nowhere but the UI; alerts are grouped by alertname and namespace and a
firing critical inhibits the warning/info of the same alertname and namespace. Receiver secrets
are inserted by the caller (Pulumi ``Output`` secrets) and never written to Helm values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def alertmanager_config(
    *,
    slack_webhook_url: str | None,
    slack_channel: str,
    pagerduty_routing_key: str | None,
    emails: Sequence[str] = (),
    smarthost: str = "email-smtp.us-east-1.amazonaws.com:587",
    sender: str = "alerts@example.com",
) -> dict[str, Any]:
    critical: dict[str, Any] = {"name": "critical"}
    warning: dict[str, Any] = {"name": "warning"}
    if pagerduty_routing_key:
        critical["pagerduty_configs"] = [
            {"routing_key": pagerduty_routing_key, "send_resolved": True, "severity": "critical"}
        ]
    if slack_webhook_url:
        slack = {
            "api_url": slack_webhook_url,
            "channel": slack_channel,
            "send_resolved": True,
            "title": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}",
            "text": "{{ range .Alerts }}{{ .Annotations.summary }}: {{ .Annotations.description }}\n{{ end }}",
        }
        critical["slack_configs"] = [slack]
        warning["slack_configs"] = [slack]
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
