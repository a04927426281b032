"""Extended support bills the control plane six times the standard rate."""

from policies.lib import ADVISORY, Subject, resource_rule
from policies.rules.aws.eks.common import CLUSTER_TYPES, support_type


def check(r: Subject) -> list[str]:
    if support_type(r.props) != "STANDARD":
        return [f"EKS cluster {r.name} uses EXTENDED support ($0.60/h instead of $0.10/h)"]
    return []


POLICY = resource_rule(
    "eks-cluster-standard-support",
    "EKS upgrade policy is STANDARD (EXTENDED, the default when unset, costs 6x).",
    ADVISORY,
    CLUSTER_TYPES,
    check,
    "set upgrade_policy support_type='STANDARD' and upgrade before standard support ends",
)
