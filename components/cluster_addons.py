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

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import yaml

from . import versions
from ._shared import cluster_secret_store
from ._util import Statement
from .iam_roles import OidcProvider, service_account_role

SECRET_STORE = "aws-secrets-manager"
CRDS = Path(__file__).parent / "crds"
"""Charts' CRDs vendored per chart version (``<chart>-<version>/``), applied by the program."""
BALANCING_IGNORE_LABELS = (
    "eks.amazonaws.com/nodegroup-image",
    "eks.amazonaws.com/sourceLaunchTemplateId",
    "eks.amazonaws.com/sourceLaunchTemplateVersion",
)
"""EKS node labels that cluster-autoscaler 1.35 does not ignore on its own
(processors/nodegroupset/aws_nodegroups.go) and that may differ between the per-zone groups of
one configured group."""


@dataclass(frozen=True, kw_only=True)
class ClusterAddonsArgs:
    """Inputs; defaults are the production-safe choice."""

    environment: str
    cluster_name: pulumi.Input[str]
    region: str
    vpc_id: pulumi.Input[str]
    oidc: OidcProvider
    k8s_provider: k8s.Provider
    kubeconfig: pulumi.Input[str] | None = None
    """For the CRD provider, which adopts CRDs a chart installed before (None: the main
    provider applies them)."""
    metrics_server: bool
    aws_load_balancer_controller: bool
    cert_manager: bool
    external_secrets: bool
    cluster_autoscaler: bool
    reloader: bool
    external_dns_zone_id: str | None = None
    external_dns_domain: str | None
    controller_replicas: int
    pod_security_group_id: pulumi.Input[str] = ""
    """The security group on the pods' ENIs (the EKS cluster security group)."""
    load_balancer_prefix: str = ""
    """Prefix of every load balancer name of this environment (default: the environment)."""
    kubernetes_version: str
    """The control plane's minor: cluster-autoscaler's image must match it."""
    secret_store_namespaces: Sequence[str] = ()
    """The only namespaces whose ExternalSecrets the ClusterSecretStore serves (its role reads
    the database and cache credentials). Empty: the store serves no namespace."""


def _pdb(replicas: int, enabled_flag: bool = True, **budget: int) -> dict[str, Any]:
    """A chart's ``podDisruptionBudget`` value, in that chart's own convention: most charts
    gate the PDB on ``enabled``; the AWS LB controller and cluster-autoscaler paste the map
    into the PDB ``spec`` as it is (an ``enabled`` key there is an invalid spec field)."""
    if replicas < 2:
        return {"enabled": False} if enabled_flag else {}
    return {"enabled": True, **budget} if enabled_flag else dict(budget)


def metrics_server_values(replicas: int) -> dict[str, Any]:
    """metrics-server reads ``replicas`` (not ``replicaCount``)."""
    return {
        "replicas": replicas,
        "podDisruptionBudget": _pdb(replicas, maxUnavailable=1),
        "args": ["--kubelet-preferred-address-types=InternalIP"],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
    }


def cert_manager_values(replicas: int) -> dict[str, Any]:
    """Controller, webhook and cainjector each with its own replicas and PDB (the controller
    and cainjector elect a leader by default; the chart's PDB defaults to minAvailable 1)."""
    ha = {"replicaCount": replicas, "podDisruptionBudget": _pdb(replicas)}
    return {
        **ha,
        "crds": {"enabled": True, "keep": True},
        "webhook": dict(ha),
        "cainjector": dict(ha),
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}},
    }


def external_secrets_values(replicas: int, role_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Several controller replicas need leader election (off in the chart), else each one
    reconciles every ExternalSecret; the cert controller gets it through its extra args. The
    chart's PDB defaults to minAvailable 1."""
    ha = {"replicaCount": replicas, "podDisruptionBudget": _pdb(replicas)}
    return {
        **ha,
        "leaderElect": replicas > 1,
        "installCRDs": True,
        "serviceAccount": {
            "name": "external-secrets",
            "annotations": {"eks.amazonaws.com/role-arn": role_arn},
        },
        "webhook": dict(ha),
        "certController": {
            **ha,
            "extraArgs": {"enable-leader-election": True} if replicas > 1 else {},
        },
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}},
    }


@dataclass(frozen=True)
class LoadBalancerScope:
    """What the AWS Load Balancer Controller may change, by name."""

    cluster: str
    region: str
    account: str
    vpc_id: str
    pod_security_group_id: str
    """The group on the pods' ENIs (the EKS cluster security group): the controller adds the
    load balancer -> pod rule to it. It carries no ``elbv2.k8s.aws/cluster`` tag."""
    load_balancer_prefix: str
    """Every load balancer of this environment is named ``<prefix>-...`` (the Ingresses set
    ``load-balancer-name``); listeners, rules and web ACL associations are scoped by it."""


LOAD_BALANCER_READ_ACTIONS = (
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
    "ec2:DescribeIpamPools",
    "ec2:DescribeRouteTables",
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
    "elasticloadbalancing:DescribeCapacityReservation",
    "acm:ListCertificates",
    "acm:DescribeCertificate",
    "iam:ListServerCertificates",
    "iam:GetServerCertificate",
    "cognito-idp:DescribeUserPoolClient",
    "waf-regional:GetWebACL",
    "waf-regional:GetWebACLForResource",
    "wafv2:GetWebACL",
    "wafv2:GetWebACLForResource",
    "shield:GetSubscriptionState",
    "shield:DescribeProtection",
)
"""Read-only calls of the upstream reference policy (``Resource: *`` is the only option for
most ``Describe*`` APIs)."""


def reloader_values(replicas: int) -> dict[str, Any]:
    """Reloader watches every namespace, reloads only annotated Deployments (never Jobs or
    CronJobs: each run starts fresh), elects a leader when replicated."""
    return {
        "reloader": {
            "watchGlobally": True,
            "autoReloadAll": False,
            "ignoreJobs": True,
            "ignoreCronJobs": True,
            "enableHA": replicas > 1,
            "readOnlyRootFileSystem": True,
            "podDisruptionBudget": {"enabled": replicas > 1, "maxUnavailable": 1}
            if replicas > 1
            else {"enabled": False},
            "deployment": {
                "replicas": replicas,
                "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}},
            },
        }
    }


@dataclass(frozen=True)
class _LbcNames:
    """The ARNs and conditions the controller's statements share, derived from the scope."""

    scope: LoadBalancerScope
    cluster_tag: str = "elbv2.k8s.aws/cluster"

    @property
    def ec2(self) -> str:
        return f"arn:aws:ec2:{self.scope.region}:{self.scope.account}"

    @property
    def elb(self) -> str:
        return f"arn:aws:elasticloadbalancing:{self.scope.region}:{self.scope.account}"

    @property
    def lb(self) -> str:
        return f"{self.scope.load_balancer_prefix}-*"

    @property
    def security_groups(self) -> str:
        return f"{self.ec2}:security-group/*"

    @property
    def load_balancers(self) -> list[str]:
        return [f"{self.elb}:loadbalancer/{kind}/{self.lb}/*" for kind in ("app", "net")]

    @property
    def target_groups(self) -> str:
        return f"{self.elb}:targetgroup/*/*"

    @property
    def listeners(self) -> list[str]:
        return [
            f"{self.elb}:{kind}/{lb_type}/{self.lb}/*/*"
            for kind in ("listener", "listener-rule")
            for lb_type in ("app", "net")
        ]

    @property
    def owned(self) -> dict[str, Any]:
        return {"StringEquals": {f"aws:ResourceTag/{self.cluster_tag}": self.scope.cluster}}

    @property
    def tagged_on_create(self) -> dict[str, Any]:
        return {f"aws:RequestTag/{self.cluster_tag}": self.scope.cluster}

    @property
    def keeps_cluster_tag(self) -> dict[str, Any]:
        return {"Null": {f"aws:RequestTag/{self.cluster_tag}": "true"}}


def _lbc_common(scope: LoadBalancerScope, n: _LbcNames) -> list[Statement]:
    """Reads, and the service-linked role."""
    return [
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": list(LOAD_BALANCER_READ_ACTIONS),
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
    ]


def _lbc_security_group_statements(scope: LoadBalancerScope, n: _LbcNames) -> list[Statement]:
    """The pods' security group rule and the groups the controller owns."""
    return [
        {
            "Sid": "OpenPodSecurityGroupToLoadBalancers",
            "Effect": "Allow",
            "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            "Resource": f"{n.ec2}:security-group/{scope.pod_security_group_id}",
        },
        {
            "Sid": "CreateTaggedSecurityGroups",
            "Effect": "Allow",
            "Action": "ec2:CreateSecurityGroup",
            "Resource": n.security_groups,
            "Condition": {"StringEquals": n.tagged_on_create},
        },
        {
            # the existing VPC carries no request tags: its grant must not depend on them
            "Sid": "CreateSecurityGroupsInThisVpc",
            "Effect": "Allow",
            "Action": "ec2:CreateSecurityGroup",
            "Resource": f"{n.ec2}:vpc/{scope.vpc_id}",
        },
        {
            "Sid": "TagSecurityGroupsOnCreate",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": n.security_groups,
            "Condition": {
                "StringEquals": {"ec2:CreateAction": "CreateSecurityGroup", **n.tagged_on_create}
            },
        },
        {
            "Sid": "ManageOwnedSecurityGroups",
            "Effect": "Allow",
            "Action": [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
            ],
            "Resource": n.security_groups,
            "Condition": n.owned,
        },
        {
            "Sid": "RetagOwnedSecurityGroups",
            "Effect": "Allow",
            "Action": ["ec2:CreateTags", "ec2:DeleteTags"],
            "Resource": n.security_groups,
            "Condition": {**n.owned, **n.keeps_cluster_tag},
        },
    ]


def _lbc_load_balancer_statements(scope: LoadBalancerScope, n: _LbcNames) -> list[Statement]:
    """Load balancers and target groups carrying this cluster's tag."""
    return [
        {
            "Sid": "CreateTaggedLoadBalancers",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:CreateTargetGroup",
            ],
            "Resource": [*n.load_balancers, n.target_groups],
            "Condition": {"StringEquals": n.tagged_on_create},
        },
        {
            "Sid": "TagLoadBalancersOnCreate",
            "Effect": "Allow",
            "Action": "elasticloadbalancing:AddTags",
            "Resource": [*n.load_balancers, n.target_groups],
            "Condition": {
                "StringEquals": {
                    "elasticloadbalancing:CreateAction": [
                        "CreateTargetGroup",
                        "CreateLoadBalancer",
                    ],
                    **n.tagged_on_create,
                }
            },
        },
        {
            "Sid": "ManageOwnedLoadBalancers",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyCapacityReservation",
                "elasticloadbalancing:ModifyIpPools",
                "elasticloadbalancing:RegisterTargets",
                "elasticloadbalancing:DeregisterTargets",
            ],
            "Resource": [*n.load_balancers, n.target_groups, *n.listeners],
            "Condition": n.owned,
        },
        {
            "Sid": "RetagOwnedLoadBalancers",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": [*n.load_balancers, n.target_groups],
            "Condition": {**n.owned, **n.keeps_cluster_tag},
        },
    ]


def _lbc_listener_statements(scope: LoadBalancerScope, n: _LbcNames) -> list[Statement]:
    """Listeners, rules, WAF and Shield on this environment's load balancers."""
    return [
        {
            "Sid": "ListenersAndRulesOfOwnLoadBalancers",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
            ],
            "Resource": [*n.load_balancers, *n.listeners],
        },
        {
            "Sid": "TagListenersAndRules",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": n.listeners,
        },
        {
            "Sid": "WebAclAndShieldOnOwnLoadBalancers",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:SetWebAcl",
                "wafv2:AssociateWebACL",
                "wafv2:DisassociateWebACL",
                "waf-regional:AssociateWebACL",
                "waf-regional:DisassociateWebACL",
                "shield:CreateProtection",
                "shield:DeleteProtection",
            ],
            "Resource": [
                *n.load_balancers,
                f"arn:aws:wafv2:{scope.region}:{scope.account}:regional/webacl/*/*",
                f"arn:aws:waf-regional:{scope.region}:{scope.account}:webacl/*",
                f"arn:aws:shield::{scope.account}:protection/*",
            ],
        },
    ]


def load_balancer_controller_statements(scope: LoadBalancerScope) -> list[Statement]:
    """IAM for the AWS Load Balancer Controller, action for action the upstream reference
    policy of the pinned version (``tests/fixtures/upstream/iam/``), with every write narrowed:

    - what the controller creates must carry ``elbv2.k8s.aws/cluster=<this cluster>``, and what
      it changes or deletes must already carry it (upstream: *any* cluster's tag);
    - the ALB -> pod rule goes on the pods' security group, named by id (upstream: any group);
    - listeners, rules and web ACL associations only on this environment's load balancers
      (upstream: ``*``).
    """
    n = _LbcNames(scope)
    return [
        *_lbc_common(scope, n),
        *_lbc_security_group_statements(scope, n),
        *_lbc_load_balancer_statements(scope, n),
        *_lbc_listener_statements(scope, n),
    ]


def cluster_autoscaler_statements(cluster: str) -> list[Statement]:
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
        if not args.load_balancer_prefix:
            args = dataclasses.replace(args, load_balancer_prefix=args.environment)
            self._args = args

        if args.metrics_server:
            self._release("metrics-server", "kube-system", metrics_server_values(replicas))
        if args.aws_load_balancer_controller:
            self._load_balancer_controller(account, cluster, replicas)
        if args.cert_manager:
            self._release("cert-manager", "cert-manager", cert_manager_values(replicas))
        if args.external_secrets:
            self._external_secrets(account, cluster, replicas)
        if args.reloader:
            self._release("reloader", "kube-system", reloader_values(replicas))
        if args.cluster_autoscaler:
            self._cluster_autoscaler(account, cluster, replicas)
        if args.external_dns_zone_id and args.external_dns_domain:
            self._external_dns(account, cluster, replicas)
        self.ready = [*self.releases.values()]
        if getattr(self, "secret_store", None) is not None:
            self.ready.append(self.secret_store)
        self.register_outputs({"releases": sorted(self.releases)})

    def _role(
        self,
        addon: str,
        namespace: str,
        statements: Sequence[Statement] | pulumi.Input[Sequence[Statement]],
    ) -> aws.iam.Role:
        return service_account_role(
            f"{self._name}-{addon}",
            oidc=self._args.oidc,
            namespace=namespace,
            service_account=addon,
            statements=statements,
            parent=self,
        )

    def _load_balancer_controller(
        self, account: Any, cluster: pulumi.Output[str], replicas: int
    ) -> None:
        args = self._args
        scope = pulumi.Output.all(
            cluster,
            account.account_id,
            args.vpc_id,
            args.pod_security_group_id,
        ).apply(
            lambda a: LoadBalancerScope(
                cluster=a[0],
                region=args.region,
                account=a[1],
                vpc_id=a[2],
                pod_security_group_id=a[3],
                load_balancer_prefix=args.load_balancer_prefix,
            )
        )
        role = self._role(
            "aws-load-balancer-controller",
            "kube-system",
            scope.apply(load_balancer_controller_statements),
        )
        self._release(
            "aws-load-balancer-controller",
            "kube-system",
            skip_crds=True,
            depends_on=self._crds("aws-load-balancer-controller"),
            values={
                "replicaCount": replicas,
                "podDisruptionBudget": _pdb(replicas, enabled_flag=False, maxUnavailable=1),
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

    def _external_secrets(self, account: Any, cluster: pulumi.Output[str], replicas: int) -> None:
        args, name = self._args, self._name
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
            external_secrets_values(replicas, self.external_secrets_role.arn),
        )
        # Without conditions a ClusterSecretStore serves every namespace: any namespace
        # could read what external-secrets' role can.
        store = cluster_secret_store(
            f"{name}-secret-store",
            store=SECRET_STORE,
            region=args.region,
            namespaces=args.secret_store_namespaces,
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.k8s_provider, depends_on=[release]
            ),
        )
        self.secret_store = store

    def _cluster_autoscaler(self, account: Any, cluster: pulumi.Output[str], replicas: int) -> None:
        args = self._args
        role = self._role(
            "cluster-autoscaler", "kube-system", cluster.apply(cluster_autoscaler_statements)
        )
        self._release(
            "cluster-autoscaler",
            "kube-system",
            {
                # one active replica (leader election); a second only speeds failover
                "replicaCount": 1,
                "image": {"tag": versions.cluster_autoscaler_image_tag(args.kubernetes_version)},
                "autoDiscovery": {"clusterName": args.cluster_name},
                "awsRegion": args.region,
                "rbac": {
                    "serviceAccount": {
                        "name": "cluster-autoscaler",
                        "annotations": {"eks.amazonaws.com/role-arn": role.arn},
                    }
                },
                "extraArgs": {
                    # one managed node group per zone: balance them, ignoring the labels
                    # EKS sets per group that differ during a rolling node update (the
                    # chart strips the "_N" suffix that lets a flag repeat)
                    **{
                        f"balancing-ignore-label_{index}": label
                        for index, label in enumerate(BALANCING_IGNORE_LABELS, 1)
                    },
                    "balance-similar-node-groups": True,
                    "skip-nodes-with-system-pods": False,
                    "expander": "least-waste",
                },
                "podDisruptionBudget": {"maxUnavailable": 1},
                "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}},
            },
        )

    def _external_dns(self, account: Any, cluster: pulumi.Output[str], replicas: int) -> None:
        args = self._args
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

    def _crds(self, key: str) -> list[k8s.apiextensions.v1.CustomResourceDefinition]:
        """A chart's CRDs, applied by the program from the files vendored for the pinned
        chart version (Helm installs ``crds/`` once and never upgrades it). Kept on delete:
        deleting a CRD deletes every object of its kind."""
        chart = versions.HELM_CHARTS[key]
        directory = CRDS / f"{key}-{chart.version}"
        provider = self._crd_provider
        documents = [
            doc
            for path in sorted(directory.glob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text())
            if doc and doc.get("kind") == "CustomResourceDefinition"
        ]
        return [
            k8s.apiextensions.v1.CustomResourceDefinition(
                f"{self._name}-crd-{doc['metadata']['name']}",
                metadata={
                    "name": doc["metadata"]["name"],
                    # Helm's manager may own fields from an earlier chart install: take them
                    "annotations": {
                        **(doc["metadata"].get("annotations") or {}),
                        "pulumi.com/patchForce": "true",
                    },
                    "labels": doc["metadata"].get("labels") or {},
                },
                spec=doc["spec"],
                opts=pulumi.ResourceOptions(parent=self, provider=provider, retain_on_delete=True),
            )
            for doc in documents
        ]

    @functools.cached_property
    def _crd_provider(self) -> k8s.Provider:
        """A provider that upserts (pulumi-kubernetes >= 4.29 otherwise refuses an existing
        object): a cluster where ``helm install`` created these CRDs is adopted, not failed.
        It depends on the main provider, so the deploy's AWS-only phase excludes it too."""
        if self._args.kubeconfig is None:
            return self._args.k8s_provider
        return k8s.Provider(
            f"{self._name}-crds",
            kubeconfig=self._args.kubeconfig,
            enable_server_side_apply=True,
            upsert_existing_objects=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._args.k8s_provider]),
        )

    def _release(
        self,
        key: str,
        namespace: str,
        values: Mapping[str, Any],
        *,
        skip_crds: bool = False,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> k8s.helm.v3.Release:
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
            skip_crds=skip_crds,
            atomic=True,
            cleanup_on_fail=True,
            wait_for_jobs=True,
            timeout=600,
            max_history=5,
            opts=pulumi.ResourceOptions(
                parent=self, provider=self._args.k8s_provider, depends_on=list(depends_on)
            ),
        )
        self.releases[key] = release
        return release
