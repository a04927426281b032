"""ClusterAddons: the controllers every workload relies on, as pinned Helm releases.

- metrics-server: resource metrics for HorizontalPodAutoscalers;
- AWS Load Balancer Controller: ALBs for Ingresses (IP targets), NLBs for Services;
- cert-manager: certificates for webhooks and in-cluster TLS;
- external-secrets: Secrets Manager -> Kubernetes Secrets, through the ``aws-secrets-manager``
  ClusterSecretStore; its role may read only ``<env>/*`` secrets (others are granted next to
  their owner);
- cluster-autoscaler (rather than Karpenter: it drives the EKS managed node groups this
  platform already defines, needs no extra CRDs, NodePools or interruption queue, and its IAM
  is a handful of actions scoped to this cluster's groups);
- external-dns, optional, limited to one hosted zone.

Every controller has its own IRSA role; write actions are scoped to this cluster's resources by
tag conditions. Releases wait for the node groups (``opts.depends_on``); workload objects that
make controllers create AWS resources (Ingress -> ALB, PVC -> EBS, ExternalSecret) depend on
:attr:`ready`, so ``pulumi destroy`` deletes them while the controllers still run and can clean
up, before the controllers, the nodes, the cluster and the VPC go.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from . import versions
from .iam_roles import OidcProvider, service_account_role

SECRET_STORE = "aws-secrets-manager"


@dataclass(frozen=True)
class ClusterAddonsArgs:
    """Inputs; defaults are the production-safe choice."""

    environment: str
    cluster_name: pulumi.Input[str]
    region: str
    vpc_id: pulumi.Input[str]
    oidc: OidcProvider
    k8s_provider: k8s.Provider
    metrics_server: bool = True
    aws_load_balancer_controller: bool = True
    cert_manager: bool = True
    external_secrets: bool = True
    cluster_autoscaler: bool = True
    external_dns_zone_id: str | None = None
    external_dns_domain: str | None = None
    controller_replicas: int = 2


def _ha(replicas: int) -> dict[str, Any]:
    """Chart values for a highly available controller (the common chart conventions)."""
    values: dict[str, Any] = {"replicaCount": replicas}
    if replicas > 1:
        values["podDisruptionBudget"] = {"enabled": True, "maxUnavailable": 1}
    return values


def load_balancer_controller_statements(cluster: str) -> list[dict[str, Any]]:
    """IAM for the AWS Load Balancer Controller: read broadly, write only on load balancers,
    target groups and security groups tagged ``elbv2.k8s.aws/cluster=<cluster>`` (the tag the
    controller puts on everything it creates; creation must carry it)."""
    owned = {"StringEquals": {"aws:ResourceTag/elbv2.k8s.aws/cluster": cluster}}
    tagged_on_create = {"StringEquals": {"aws:RequestTag/elbv2.k8s.aws/cluster": cluster}}
    return [
        {
            "Sid": "Describe",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeVpcs",
                "ec2:DescribeVpcPeeringConnections",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeTags",
                "ec2:DescribeCoipPools",
                "ec2:GetCoipPoolUsage",
                "ec2:GetSecurityGroupsForVpc",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeLoadBalancerAttributes",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeListenerAttributes",
                "elasticloadbalancing:DescribeListenerCertificates",
                "elasticloadbalancing:DescribeSSLPolicies",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetGroupAttributes",
                "elasticloadbalancing:DescribeTargetHealth",
                "elasticloadbalancing:DescribeTags",
                "elasticloadbalancing:DescribeTrustStores",
                "acm:ListCertificates",
                "acm:DescribeCertificate",
                "wafv2:GetWebACL",
                "wafv2:GetWebACLForResource",
                "shield:GetSubscriptionState",
            ],
            "Resource": "*",
        },
        {
            "Sid": "ServiceLinkedRole",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}
            },
        },
        {
            "Sid": "CreateTaggedSecurityGroupsAndLoadBalancers",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateSecurityGroup",
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:CreateTargetGroup",
            ],
            "Resource": "*",
            "Condition": tagged_on_create,
        },
        {
            "Sid": "TagOnCreate",
            "Effect": "Allow",
            "Action": ["ec2:CreateTags", "elasticloadbalancing:AddTags"],
            "Resource": "*",
            "Condition": {
                **tagged_on_create,
                "StringEqualsIfExists": {
                    "ec2:CreateAction": "CreateSecurityGroup",
                },
            },
        },
        {
            "Sid": "ManageOwned",
            "Effect": "Allow",
            "Action": [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
                "ec2:CreateTags",
                "ec2:DeleteTags",
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:RegisterTargets",
                "elasticloadbalancing:DeregisterTargets",
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetWebAcl",
                "wafv2:AssociateWebACL",
                "wafv2:DisassociateWebACL",
            ],
            "Resource": "*",
            "Condition": owned,
        },
    ]


def cluster_autoscaler_statements(cluster: str) -> list[dict[str, Any]]:
    """Read the groups; resize and terminate only this cluster's node groups."""
    return [
        {
            "Sid": "Describe",
            "Effect": "Allow",
            "Action": [
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations",
                "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribeTags",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:GetInstanceTypesFromInstanceRequirements",
                "eks:DescribeNodegroup",
            ],
            "Resource": "*",
        },
        {
            "Sid": "ScaleOwnGroups",
            "Effect": "Allow",
            "Action": [
                "autoscaling:SetDesiredCapacity",
                "autoscaling:TerminateInstanceInAutoScalingGroup",
            ],
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster}": "owned",
                    "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
                }
            },
        },
    ]


class ClusterAddons(pulumi.ComponentResource):
    """Pinned controllers with their IRSA roles."""

    ready: list[pulumi.Resource]
    cluster_secret_store_name: str = SECRET_STORE
    external_secrets_role: aws.iam.Role | None = None
    releases: dict[str, k8s.helm.v3.Release]

    def __init__(
        self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:ClusterAddons", name, None, opts)
        self._name = name
        self._args = args
        self.releases = {}
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        cluster = pulumi.Output.from_input(args.cluster_name)
        replicas = args.controller_replicas

        if args.metrics_server:
            self._release(
                "metrics-server",
                "kube-system",
                {
                    **_ha(replicas),
                    "args": ["--kubelet-preferred-address-types=InternalIP"],
                    "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
                },
            )
        if args.aws_load_balancer_controller:
            role = self._role(
                "aws-load-balancer-controller",
                "kube-system",
                cluster.apply(load_balancer_controller_statements),
            )
            self._release(
                "aws-load-balancer-controller",
                "kube-system",
                {
                    **_ha(replicas),
                    "clusterName": args.cluster_name,
                    "region": args.region,
                    "vpcId": args.vpc_id,
                    "serviceAccount": {
                        "create": True,
                        "name": "aws-load-balancer-controller",
                        "annotations": {"eks.amazonaws.com/role-arn": role.arn},
                    },
                    # Do not take over every Service of type LoadBalancer implicitly.
                    "enableServiceMutatorWebhook": False,
                    "defaultTags": {"managed-by": "aws-load-balancer-controller"},
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                },
            )
        if args.cert_manager:
            self._release(
                "cert-manager",
                "cert-manager",
                {
                    **_ha(replicas),
                    "crds": {"enabled": True, "keep": True},
                    "webhook": {"replicaCount": replicas},
                    "cainjector": {"replicaCount": replicas},
                    "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}},
                },
            )
        if args.external_secrets:
            prefix = pulumi.Output.concat(
                "arn:aws:secretsmanager:",
                args.region,
                ":",
                account.account_id,
                f":secret:{args.environment}/*",
            )
            self.external_secrets_role = self._role(
                "external-secrets",
                "external-secrets",
                prefix.apply(
                    lambda arn: [
                        {
                            "Sid": "ReadEnvironmentSecrets",
                            "Effect": "Allow",
                            "Action": [
                                "secretsmanager:GetSecretValue",
                                "secretsmanager:DescribeSecret",
                            ],
                            "Resource": arn,
                        }
                    ]
                ),
            )
            release = self._release(
                "external-secrets",
                "external-secrets",
                {
                    **_ha(replicas),
                    "installCRDs": True,
                    "serviceAccount": {
                        "name": "external-secrets",
                        "annotations": {
                            "eks.amazonaws.com/role-arn": self.external_secrets_role.arn
                        },
                    },
                    "webhook": {"replicaCount": replicas},
                    "certController": {"replicaCount": replicas},
                    "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}},
                },
            )
            store = k8s.apiextensions.CustomResource(
                f"{name}-secret-store",
                api_version="external-secrets.io/v1",
                kind="ClusterSecretStore",
                metadata={"name": SECRET_STORE},
                spec={
                    "provider": {
                        "aws": {
                            "service": "SecretsManager",
                            "region": args.region,
                            "auth": {
                                "jwt": {
                                    "serviceAccountRef": {
                                        "name": "external-secrets",
                                        "namespace": "external-secrets",
                                    }
                                }
                            },
                        }
                    }
                },
                opts=pulumi.ResourceOptions(
                    parent=self, provider=args.k8s_provider, depends_on=[release]
                ),
            )
            self.secret_store = store
        if args.cluster_autoscaler:
            role = self._role(
                "cluster-autoscaler", "kube-system", cluster.apply(cluster_autoscaler_statements)
            )
            self._release(
                "cluster-autoscaler",
                "kube-system",
                {
                    # one active replica (leader election); a second only speeds failover
                    "replicaCount": 1,
                    "autoDiscovery": {"clusterName": args.cluster_name},
                    "awsRegion": args.region,
                    "rbac": {
                        "serviceAccount": {
                            "name": "cluster-autoscaler",
                            "annotations": {"eks.amazonaws.com/role-arn": role.arn},
                        }
                    },
                    "extraArgs": {
                        "balance-similar-node-groups": True,
                        "skip-nodes-with-system-pods": False,
                        "expander": "least-waste",
                    },
                    "podDisruptionBudget": {"maxUnavailable": 1},
                    "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}},
                },
            )
        if args.external_dns_zone_id and args.external_dns_domain:
            zone_arn = f"arn:aws:route53:::hostedzone/{args.external_dns_zone_id}"
            role = self._role(
                "external-dns",
                "external-dns",
                [
                    {
                        "Sid": "ChangeOneZone",
                        "Effect": "Allow",
                        "Action": ["route53:ChangeResourceRecordSets"],
                        "Resource": zone_arn,
                    },
                    {
                        "Sid": "List",
                        "Effect": "Allow",
                        "Action": [
                            "route53:ListHostedZones",
                            "route53:ListResourceRecordSets",
                            "route53:ListTagsForResource",
                        ],
                        "Resource": "*",
                    },
                ],
            )
            self._release(
                "external-dns",
                "external-dns",
                {
                    "provider": {"name": "aws"},
                    "domainFilters": [args.external_dns_domain],
                    "policy": "upsert-only",
                    "txtOwnerId": args.cluster_name,
                    "serviceAccount": {
                        "name": "external-dns",
                        "annotations": {"eks.amazonaws.com/role-arn": role.arn},
                    },
                },
            )

        self.ready = [*self.releases.values()]
        if getattr(self, "secret_store", None) is not None:
            self.ready.append(self.secret_store)
        self.register_outputs({"releases": sorted(self.releases)})

    def _role(self, addon: str, namespace: str, statements: Any) -> aws.iam.Role:
        return service_account_role(
            f"{self._name}-{addon}",
            oidc=self._args.oidc,
            namespace=namespace,
            service_account=addon,
            statements=statements,
            parent=self,
        )

    def _release(self, key: str, namespace: str, values: Mapping[str, Any]) -> k8s.helm.v3.Release:
        chart = versions.HELM_CHARTS[key]
        release = k8s.helm.v3.Release(
            f"{self._name}-{key}",
            name=key,
            chart=chart.chart,
            version=chart.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository),
            namespace=namespace,
            create_namespace=namespace != "kube-system",
            values=dict(values),
            atomic=True,
            cleanup_on_fail=True,
            wait_for_jobs=True,
            timeout=600,
            max_history=5,
            opts=pulumi.ResourceOptions(parent=self, provider=self._args.k8s_provider),
        )
        self.releases[key] = release
        return release
