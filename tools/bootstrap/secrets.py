"""``bootstrap-backend put-secret``: create or rotate a secret the platform reads by name.

Secrets the program consumes but never holds (the alert receivers' Slack webhook and PagerDuty
key) live in Secrets Manager as ``<stack>/<path>``. The value is read from stdin, so it never
appears in shell history, process listings, Pulumi config or Pulumi state. Creating is the
first ``put``; rotating is the next ``put`` (a new version, AWSCURRENT moves): external-secrets
syncs it within its refresh interval and the consumer reads the mounted file on next use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PATH = re.compile(r"[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)+")


class SecretError(Exception):
    """Refused: the message says why."""


@dataclass(frozen=True)
class PutResult:
    arn: str
    version_id: str
    created: bool


def secret_name(stack: str, path: str) -> str:
    """``("staging", "alerting/slack-webhook-url")`` -> ``staging/alerting/slack-webhook-url``."""
    if not re.fullmatch(r"[a-z][a-z0-9-]*", stack):
        raise SecretError(f"stack {stack!r}: lowercase letters, digits and '-'")
    if not PATH.fullmatch(path):
        raise SecretError(
            f"secret path {path!r}: '<group>/<name>' in lowercase, e.g. alerting/slack-webhook-url"
        )
    return f"{stack}/{path}"


def put_secret(secretsmanager: Any, stack: str, path: str, value: str) -> PutResult:
    """Create ``<stack>/<path>`` with ``value``, or add ``value`` as its new current version."""
    name = secret_name(stack, path)
    value = value.strip()
    if not value:
        raise SecretError(f"{name}: empty value on stdin; nothing stored")
    try:
        current = secretsmanager.describe_secret(SecretId=name)
    except secretsmanager.exceptions.ResourceNotFoundException:
        made = secretsmanager.create_secret(
            Name=name,
            SecretString=value,
            Description=f"{stack}: read by the platform by name (bootstrap-backend put-secret)",
            Tags=[
                {"Key": "environment", "Value": stack},
                {"Key": "managed-by", "Value": "bootstrap-backend"},
            ],
        )
        return PutResult(made["ARN"], made["VersionId"], created=True)
    if current.get("DeletedDate"):
        raise SecretError(
            f"{name} is scheduled for deletion: `aws secretsmanager restore-secret "
            f"--secret-id {name}` first"
        )
    put = secretsmanager.put_secret_value(SecretId=name, SecretString=value)
    return PutResult(put["ARN"], put["VersionId"], created=False)
