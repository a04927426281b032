"""Kubernetes secrets are envelope-encrypted with a KMS key."""

from policies.lib import MANDATORY, Subject, resource_rule
from policies.rules.aws.eks.common import CLUSTER_TYPES, encryption_key


def check(r: Subject) -> list[str]:
    return [] if encryption_key(r.props) else [f"EKS cluster {r.name} does not encrypt secrets"]


POLICY = resource_rule(
    "eks-cluster-secrets-encryption",
    "EKS clusters envelope-encrypt Kubernetes secrets with a customer-managed key.",
    MANDATORY,
    CLUSTER_TYPES,
    check,
    "set encryption_config_key_arn to a components.kms key",
)
