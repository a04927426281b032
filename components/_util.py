"""Pure helpers shared by components: no Pulumi resources, no I/O."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Required, TypedDict

MAX_AZS = 6

ROLLING_UPDATE_MAX_SURGE_PERCENT = 25
"""Deployments roll with ``maxUnavailable: 0`` and this surge (Kubernetes rounds it up)."""


def rolling_surge(replicas: int, percent: int = ROLLING_UPDATE_MAX_SURGE_PERCENT) -> int:
    """Extra pods a rolling update of ``replicas`` pods may start: ``ceil(replicas * %)``."""
    return -(-replicas * percent // 100)


@dataclass(frozen=True)
class SubnetPlan:
    """CIDRs per tier, one per AZ, in AZ order."""

    public: tuple[ipaddress.IPv4Network, ...]
    private: tuple[ipaddress.IPv4Network, ...]
    database: tuple[ipaddress.IPv4Network, ...]

    def all(self) -> tuple[ipaddress.IPv4Network, ...]:
        return self.public + self.private + self.database


def plan_subnets(cidr: ipaddress.IPv4Network, az_count: int) -> SubnetPlan:
    """Carve ``cidr`` into public, private and database subnets for ``az_count`` AZs.

    The VPC is split in eighths. Private subnets (nodes and pods, the big consumer of IPs with
    the VPC CNI) take one eighth each, AZs 0..5. The seventh eighth is cut into eight public
    subnets, the eighth into eight database subnets; each tier uses the first ``az_count``.
    A /16 gives /19 private, /22 public and /22 database subnets. The layout of an AZ never
    depends on ``az_count``, so adding an AZ later does not move existing subnets.
    """
    if not 1 <= az_count <= MAX_AZS:
        raise ValueError(f"az_count must be 1-{MAX_AZS}, got {az_count}")
    if cidr.prefixlen > 22:
        raise ValueError(f"{cidr} is too small to carve; need /22 or larger")
    eighths = list(cidr.subnets(prefixlen_diff=3))
    public_pool = list(eighths[6].subnets(prefixlen_diff=3))
    database_pool = list(eighths[7].subnets(prefixlen_diff=3))
    return SubnetPlan(
        public=tuple(public_pool[:az_count]),
        private=tuple(eighths[:az_count]),
        database=tuple(database_pool[:az_count]),
    )


class Statement(TypedDict, total=False):
    """One IAM policy statement, keyed as the policy language spells it: mypy refuses a
    misspelt element (``Actions``) or an effect other than Allow/Deny; the action names
    themselves are checked against the AWS catalogue in ``tests/test_iam_actions.py``."""

    Sid: str
    Effect: Required[Literal["Allow", "Deny"]]
    Principal: Mapping[str, str | Sequence[str]] | Literal["*"]
    Action: str | Sequence[str]
    NotAction: str | Sequence[str]
    Resource: Any
    """An ARN, ARNs, or (inside ``apply``) resolved outputs."""
    NotResource: str | Sequence[str]
    Condition: Mapping[str, Mapping[str, Any]]


def policy_document(*statements: Statement) -> str:
    """An IAM policy document (JSON string) from statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def service_trust_policy(service: str, source_account: str | None = None) -> str:
    """A role trust policy for one AWS service principal, optionally pinned to our account
    (``aws:SourceAccount``) against the confused-deputy problem."""
    statement: Statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_account is not None:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return policy_document(statement)
