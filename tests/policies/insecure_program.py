"""An insecure program: every resource breaks at least one rule of the pack.

Used by tests/policies/test_insecure_stack.py and runnable through ``uv run plan --program``.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

EXPECTED_RULES = {
    "aws-rds-instance-not-public": "public database",
    "aws-rds-instance-storage-encrypted": "unencrypted database",
    "aws-elasticache-replication-group-encrypted": "unencrypted cache",
    "aws-iam-policy-no-wildcard-actions": "wildcard IAM",
    "kubernetes-no-privileged-containers": "privileged pod",
    "kubernetes-no-latest-image": ":latest image",
    "aws-ec2-security-group-no-world-ingress": "world-open security group",
    "aws-required-tags": "no tags",
    "eks-cluster-standard-support": "EXTENDED support",
}


def main() -> None:
    # no default tags: nothing below carries the cost-allocation tags
    untagged = aws.Provider("untagged", region="us-east-1")
    opts = pulumi.ResourceOptions(provider=untagged)
    sg = aws.ec2.SecurityGroup(
        "open",
        description="everything from everywhere",
        ingress=[
            aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=5432, to_port=5432, cidr_blocks=["0.0.0.0/0"]
            )
        ],
        opts=opts,
    )
    aws.rds.Instance(
        "public-db",
        engine="postgres",
        instance_class="db.t4g.micro",
        allocated_storage=20,
        username="admin",
        password="hunter2-not-secret",
        publicly_accessible=True,
        storage_encrypted=False,
        backup_retention_period=0,
        skip_final_snapshot=True,
        vpc_security_group_ids=[sg.id],
        opts=opts,
    )
    aws.elasticache.ReplicationGroup(
        "plain-cache",
        description="no encryption",
        engine="valkey",
        node_type="cache.t4g.micro",
        num_cache_clusters=1,
        opts=opts,
    )
    role = aws.iam.Role(
        "admin",
        assume_role_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
        opts=opts,
    )
    aws.iam.RolePolicy(
        "admin",
        role=role.id,
        policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
        opts=opts,
    )
    eks.Cluster(
        "legacy",
        version="1.35",
        upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="EXTENDED"),
        skip_default_node_group=True,
        opts=opts,
    )
    cluster = k8s.Provider("cluster", kubeconfig="{}")
    k8s.apps.v1.Deployment(
        "root-pod",
        metadata={"name": "root-pod", "namespace": "default"},
        spec={
            "selector": {"matchLabels": {"app": "root"}},
            "template": {
                "metadata": {"labels": {"app": "root"}},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "nginx:latest",
                            "securityContext": {"privileged": True},
                        }
                    ]
                },
            },
        },
        opts=pulumi.ResourceOptions(provider=cluster),
    )
