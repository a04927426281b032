"""Invalid cluster config is rejected with a message naming the key; nothing is registered."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import run_stack_config, stack_config

BAD_CLUSTERS = [
    ("min-above-max", {"nodeGroups": {"g": {"minSize": 4, "desiredSize": 4, "maxSize": 2}}},
     ["platform:cluster.nodeGroups.g", "minSize <= desiredSize <= maxSize"]),
    ("unknown-capacity-type", {"nodeGroups": {"g": {"capacityType": "RESERVED"}}},
     ["platform:cluster.nodeGroups.g.capacityType", "'ON_DEMAND' or 'SPOT'"]),
    ("unsupported-version", {"kubernetesVersion": "1.29"},
     ["platform:cluster.kubernetesVersion", "not in EKS standard support", "1.35"]),
    ("empty-instance-types", {"nodeGroups": {"g": {"instanceTypes": []}}},
     ["platform:cluster.nodeGroups.g.instanceTypes", "at least 1 item"]),
    ("bad-instance-type", {"nodeGroups": {"g": {"instanceTypes": ["large"]}}},
     ["platform:cluster.nodeGroups.g.instanceTypes", "not an EC2 instance type"]),
    ("world-open-endpoint", {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]},
     ["platform:cluster", "must not contain 0.0.0.0/0"]),
    ("public-endpoint-without-allow-list", {"endpointPublicAccess": True},
     ["platform:cluster", "explicit publicAccessCidrs"]),
    ("bad-admin-arn", {"adminRoleArns": ["arn:aws:iam::123:user/bob"]},
     ["platform:cluster.adminRoleArns", "not an IAM role ARN"]),
    ("unknown-access", {"accessEntries": [
        {"principalArn": "arn:aws:iam::123456789012:role/r", "access": "edit"}]},
     ["platform:cluster.accessEntries[0].access", "'cluster-admin', 'admin-view' or 'view'"]),
    ("principal-twice", {"deployRunner": {"repository": "a/b", "connectionArn":
        "arn:aws:codeconnections:us-east-1:123456789012:connection/7d3f2c1a-5b6e-4f8a-9c0d-1e2f3a4b5c6d"},
        "adminRoleArns": ["arn:aws:iam::123456789012:role/r"],
        "accessEntries": [{"principalArn": "arn:aws:iam::123456789012:role/r", "access": "view"}]},
     ["platform:cluster", "arn:aws:iam::123456789012:role/r is listed twice"]),
    ("bad-taint-effect", {"nodeGroups": {"g": {"taints": [{"key": "k", "effect": "Evict"}]}}},
     ["platform:cluster.nodeGroups.g.taints[0].effect", "NO_SCHEDULE"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("cluster", "fragments"), [c[1:] for c in BAD_CLUSTERS], ids=[c[0] for c in BAD_CLUSTERS]
)
def test_bad_cluster_config_is_rejected(cluster: dict[str, Any], fragments: list[str]) -> None:
    config = stack_config("staging")
    config["platform:cluster"] = cluster
    result = run_stack_config(config, "staging")
    assert result.error is not None
    for fragment in fragments:
        assert fragment in result.error, result.error
    assert len(result.graph) == 0
