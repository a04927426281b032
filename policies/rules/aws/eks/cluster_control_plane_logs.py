"""All five control-plane log types are on."""

from policies.lib import MANDATORY, Subject, resource_rule
from policies.rules.aws.eks.common import ALL_LOG_TYPES, CLUSTER_TYPES


def check(r: Subject) -> list[str]:
    enabled = set(r.props.get("enabledClusterLogTypes") or [])
    missing = sorted(ALL_LOG_TYPES - enabled)
    return [f"EKS cluster {r.name} does not log {missing}"] if missing else []


POLICY = resource_rule(
    "eks-cluster-control-plane-logs",
    "EKS clusters send api, audit, authenticator, controllerManager and scheduler logs.",
    MANDATORY,
    CLUSTER_TYPES,
    check,
    "set enabled_cluster_log_types to all five types",
)
