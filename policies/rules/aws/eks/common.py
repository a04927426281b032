"""Reading EKS control-plane settings from either pulumi-eks or a raw aws.eks.Cluster."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CLUSTER_TYPES = ("eks:index:Cluster", "aws:eks/cluster:Cluster")
ALL_LOG_TYPES = {"api", "audit", "authenticator", "controllerManager", "scheduler"}


def endpoint(props: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """(public endpoint on, public CIDRs)."""
    vpc = props.get("vpcConfig") or {}
    public = props.get("endpointPublicAccess", vpc.get("endpointPublicAccess", True))
    cidrs = props.get("publicAccessCidrs", vpc.get("publicAccessCidrs")) or ["0.0.0.0/0"]
    return bool(public), list(cidrs)


def encryption_key(props: Mapping[str, Any]) -> str | None:
    if props.get("encryptionConfigKeyArn"):
        return str(props["encryptionConfigKeyArn"])
    config = props.get("encryptionConfig") or {}
    return (config.get("provider") or {}).get("keyArn")


def support_type(props: Mapping[str, Any]) -> str:
    """EKS bills EXTENDED support when the policy is unset."""
    return str((props.get("upgradePolicy") or {}).get("supportType") or "EXTENDED")
