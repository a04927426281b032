"""AppNamespace: the baseline every workload namespace gets.

Pod Security Standards ``restricted`` enforced (and audited/warned) by namespace labels, a
ResourceQuota and LimitRange, default-deny NetworkPolicies for ingress and egress with one
explicit DNS allowance, the non-secret ConfigMap and the ExternalSecret that materialises the
database and cache credentials (values never pass through Pulumi), and the S3 buckets the
workloads use (app data; ALB access logs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic import Field

from . import versions
from ._shared import RDS_CA_FILE, external_secret
from ._util import Statement
from .buckets import Lifecycle, replicate, secure_bucket
from .kms import customer_managed_key
from .regions import elb_log_delivery_principal
from .settings import Settings

CONFIG_MAP = "app-config"


DATA_LIFECYCLE = Lifecycle(transition_days=90, noncurrent_days=30)
"""The app data bucket and its replica: Standard-IA after 90 days, older versions kept 30."""


def credentials_secret(workload: str) -> str:
    """The Kubernetes Secret holding one workload's database and cache credentials."""
    return f"{workload}-credentials"


class Quota(Settings):
    """ResourceQuota of the namespace: the stack file's ``apps.quota``."""

    requests_cpu: str = "24"
    """Sum of CPU requests."""

    limits_cpu: str = "96"
    """Sum of CPU limits."""

    requests_memory: str = "48Gi"
    """Sum of memory requests."""

    limits_memory: str = "96Gi"
    """Sum of memory limits."""

    pods: int = Field(default=60, ge=1, le=5000)
    """Pods."""


@dataclass(frozen=True, kw_only=True)
class AppNamespaceArgs:
    """Inputs; defaults are the production-safe choice."""

    environment: str
    region: str
    namespace: str
    k8s_provider: k8s.Provider
    database_host: pulumi.Input[str]
    database_port: pulumi.Input[int]
    database_name: pulumi.Input[str]
    database_secrets: Mapping[str, str]
    """Secrets Manager name of each workload's own database login (``<env>/db/app_<name>``)."""
    cache_host: pulumi.Input[str]
    cache_port: pulumi.Input[int]
    cache_secret_arn: pulumi.Input[str]
    secret_store: str
    quota: Quota
    access_log_days: int
    ready: Sequence[pulumi.Resource] = ()
    """Controllers (external-secrets) the ExternalSecret must wait for, and be deleted before."""
    protect: bool = True
    extra_config: Mapping[str, str] = field(default_factory=dict)
    queue_urls: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """``QUEUE_<NAME>_URL`` -> URL of each of the stack's queues (config, not secrets)."""
    credentials_rotation: int
    """Force-syncs the credentials ExternalSecrets when bumped (hand rotation)."""
    credentials_ready: Sequence[pulumi.Resource] = ()
    """The logins' current secret values: read only after they exist."""
    kubernetes_version: str
    """The cluster's minor: the Pod Security labels' version."""
    data_replica_provider: aws.Provider | None
    """Replicate the data bucket through this provider's region (the DR region): a replica
    bucket under its own key there; None: no replica."""
    data_backup: bool
    """Tag the data bucket ``backup=true``: AWS Backup's plan selects it."""
    existing_data: ExistingBucket | None = None
    """Use this bucket as the data bucket instead of creating one: a standby region uses its
    primary's replica in place (the primary's objects are there; a new, empty bucket would
    lose them on a failover)."""


@dataclass(frozen=True, kw_only=True)
class ExistingBucket:
    """A bucket another stack owns, and the KMS key of its objects."""

    name: pulumi.Input[str]
    key_arn: pulumi.Input[str]


def pss_labels(
    level: str = "restricted", kubernetes_version: str = versions.KUBERNETES_VERSION
) -> dict[str, str]:
    """Pod Security Admission labels, pinned to the cluster's minor (they follow a minor
    bump, so the profile as published for the running version applies)."""
    version = f"v{kubernetes_version}"
    labels: dict[str, str] = {}
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = level
        labels[f"pod-security.kubernetes.io/{mode}-version"] = version
    return labels


def default_deny_policies(namespace: str) -> list[dict[str, Any]]:
    """Deny all ingress and egress, then allow DNS to kube-dns only."""
    return [
        {
            "metadata": {"name": "default-deny", "namespace": namespace},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        },
        {
            "metadata": {"name": "allow-dns", "namespace": namespace},
            "spec": {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                                },
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [
                            {"protocol": "UDP", "port": 53},
                            {"protocol": "TCP", "port": 53},
                        ],
                    }
                ],
            },
        },
    ]


def database_client_namespace(
    name: str,
    namespace: str,
    *,
    data_subnet_cidrs: Sequence[str],
    provider: k8s.Provider,
    parent: pulumi.Resource,
    egress_policy: str | None = None,
    kubernetes_version: str = versions.KUBERNETES_VERSION,
) -> k8s.core.v1.Namespace:
    """A namespace for run-once database clients (backups, role management): Pod Security
    ``restricted``, default-deny, and egress only to PostgreSQL in the data subnets and to
    HTTPS (AWS APIs, the RDS trust store)."""
    created = k8s.core.v1.Namespace(
        f"{name}-namespace",
        metadata={"name": namespace, "labels": pss_labels(kubernetes_version=kubernetes_version)},
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )
    scoped = pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[created])
    egress: Any = {
        "metadata": {"name": egress_policy or f"{namespace}-egress", "namespace": namespace},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [{"ipBlock": {"cidr": c}} for c in data_subnet_cidrs],
                    "ports": [{"protocol": "TCP", "port": 5432}],
                },
                {
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                    "ports": [{"protocol": "TCP", "port": 443}],
                },
            ],
        },
    }
    for policy in [*default_deny_policies(namespace), egress]:
        suffix = "egress" if policy is egress else policy["metadata"]["name"]
        k8s.networking.v1.NetworkPolicy(
            f"{name}-{suffix}", metadata=policy["metadata"], spec=policy["spec"], opts=scoped
        )
    return created


def pod_security_context(
    uid: int, gid: int | None = None, fs_group: int | None = None
) -> dict[str, Any]:
    """Pod-level context of every pod the platform runs (PSS restricted)."""
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid if gid is None else gid,
        "fsGroup": uid if fs_group is None else fs_group,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


class AppNamespace(pulumi.ComponentResource):
    """Namespace, guard rails, shared config/secrets and buckets for the workloads."""

    namespace_name: str
    namespace: k8s.core.v1.Namespace
    data_bucket: aws.s3.Bucket | None
    """The data bucket this stack created (None: an existing one, ``existingData``)."""
    data_bucket_name: pulumi.Output[str]
    data_bucket_arn: pulumi.Output[str]
    data_key_arn: pulumi.Output[str]
    data_replica: aws.s3.Bucket | None
    """The data bucket's copy in the DR region (a standby region uses it in place)."""
    data_replica_key_arn: pulumi.Output[str] | None = None
    access_log_bucket: aws.s3.Bucket
    external_secrets: dict[str, k8s.apiextensions.CustomResource]

    def __init__(
        self, name: str, args: AppNamespaceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:AppNamespace", name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)
        ns = args.namespace
        self.namespace_name = ns
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": ns,
                "labels": pss_labels(kubernetes_version=args.kubernetes_version),
            },
            opts=k8s_opts,
        )
        scoped = pulumi.ResourceOptions(
            parent=self, provider=args.k8s_provider, depends_on=[self.namespace]
        )
        self._guard_rails(name, args, scoped)
        self._buckets(name, args)

        k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata={"name": CONFIG_MAP, "namespace": ns},
            data={
                "ENVIRONMENT": args.environment,
                "AWS_REGION": args.region,
                "DATABASE_HOST": args.database_host,
                "DATABASE_PORT": pulumi.Output.from_input(args.database_port).apply(str),
                "DATABASE_NAME": args.database_name,
                "DATABASE_SSLMODE": "verify-full",
                "DATABASE_SSLROOTCERT": RDS_CA_FILE,
                **args.queue_urls,
                "PGSSLROOTCERT": RDS_CA_FILE,
                "CACHE_HOST": args.cache_host,
                "CACHE_PORT": pulumi.Output.from_input(args.cache_port).apply(str),
                "CACHE_TLS": "true",
                "APP_BUCKET": self.data_bucket_name,
                **args.extra_config,
            },
            opts=scoped,
        )
        # One Secret per workload, its own database role: a rotation or a leak of one login
        # touches one workload. Reloader rolls a Deployment when its Secret changes.
        self.external_secrets = {
            workload: external_secret(
                f"{name}-{workload}-credentials",
                namespace=ns,
                secret=credentials_secret(workload),
                store=args.secret_store,
                data={
                    "DATABASE_USER": (db_secret, "username"),
                    "DATABASE_PASSWORD": (db_secret, "password"),
                    "CACHE_AUTH_TOKEN": (args.cache_secret_arn, "password"),
                },
                annotations={"force-sync": str(args.credentials_rotation)},
                opts=pulumi.ResourceOptions(
                    parent=self,
                    provider=args.k8s_provider,
                    depends_on=[self.namespace, *args.ready, *args.credentials_ready],
                ),
            )
            for workload, db_secret in sorted(args.database_secrets.items())
        }
        self.register_outputs(
            {
                "namespace": ns,
                "dataBucket": self.data_bucket_name,
                "dataReplica": self.data_replica.bucket if self.data_replica else None,
            }
        )

    def _guard_rails(
        self, name: str, args: AppNamespaceArgs, scoped: pulumi.ResourceOptions
    ) -> None:
        """Quota, default container limits and the default-deny policies."""
        ns = args.namespace
        q = args.quota
        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata={"name": "compute", "namespace": ns},
            spec={
                "hard": {
                    "requests.cpu": q.requests_cpu,
                    "limits.cpu": q.limits_cpu,
                    "requests.memory": q.requests_memory,
                    "limits.memory": q.limits_memory,
                    "pods": str(q.pods),
                }
            },
            opts=scoped,
        )
        limits: Any = {
            "limits": [
                {
                    "type": "Container",
                    "default": {"cpu": "500m", "memory": "512Mi"},
                    "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                    "max": {"cpu": "4", "memory": "8Gi"},
                }
            ]
        }
        k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata={"name": "defaults", "namespace": ns},
            spec=limits,
            opts=scoped,
        )
        for policy in default_deny_policies(ns):
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{policy['metadata']['name']}",
                metadata=policy["metadata"],
                spec=policy["spec"],
                opts=scoped,
            )

    def _buckets(self, name: str, args: AppNamespaceArgs) -> None:
        """The app data bucket (SSE-KMS, its own key; replicated and backed up when asked)
        and the ALB access-log bucket."""
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.data_bucket = self.data_replica = None
        if args.existing_data is not None:
            self.data_bucket_name = pulumi.Output.from_input(args.existing_data.name)
            self.data_key_arn = pulumi.Output.from_input(args.existing_data.key_arn)
        else:
            self._data_bucket(name, args, account.account_id)
        self.data_bucket_arn = self.data_bucket_name.apply(lambda b: f"arn:aws:s3:::{b}")
        principal = elb_log_delivery_principal(args.region)

        def log_delivery(arn: str) -> list[Statement]:
            return [
                {
                    "Sid": "AlbAccessLogDelivery",
                    "Effect": "Allow",
                    "Principal": principal,
                    "Action": "s3:PutObject",
                    "Resource": f"{arn}/alb/*",
                }
            ]

        # ALB access logs support SSE-S3 only (not SSE-KMS).
        self.access_log_bucket = secure_bucket(
            f"{name}-alb-logs",
            bucket_name=account.account_id.apply(lambda a: f"{args.environment}-alb-logs-{a}"),
            parent=self,
            protect=args.protect,
            lifecycle=Lifecycle(
                transition_days=None, expiration_days=args.access_log_days, noncurrent_days=1
            ),
            policy_statements=log_delivery,
        )

    def _data_bucket(
        self, name: str, args: AppNamespaceArgs, account_id: pulumi.Output[str]
    ) -> None:
        """The app data bucket under its own key, and its replica when asked."""
        data_key = customer_managed_key(
            f"{name}-data",
            f"app data bucket of {args.environment}",
            parent=self,
            protect=args.protect,
        )
        versioned: list[pulumi.Resource] = []
        self.data_bucket = secure_bucket(
            f"{name}-data",
            bucket_name=account_id.apply(lambda a: f"{args.environment}-app-data-{a}"),
            kms_key_arn=data_key.arn,
            parent=self,
            protect=args.protect,
            lifecycle=DATA_LIFECYCLE,
            created=versioned,
            tags={"backup": "true"} if args.data_backup else None,
        )
        self.data_bucket_name, self.data_key_arn = self.data_bucket.bucket, data_key.arn
        if args.data_replica_provider is not None:
            self.data_replica = self._data_replica(
                name, args, args.data_replica_provider, account_id, versioned,
                (self.data_bucket, data_key),
            )  # fmt: skip

    def _data_replica(
        self,
        name: str,
        args: AppNamespaceArgs,
        provider: aws.Provider,
        account_id: pulumi.Output[str],
        versioned: list[pulumi.Resource],
        source: tuple[aws.s3.Bucket, aws.kms.Key],
    ) -> aws.s3.Bucket:
        """The data bucket's replica in the DR region, under a key of that region: objects,
        deletes (as delete markers) and tags follow within minutes; older versions stay on
        both sides for the lifecycle's noncurrent days."""
        replica_key = customer_managed_key(
            f"{name}-data-dr",
            f"replica of the app data bucket of {args.environment}",
            parent=self,
            protect=args.protect,
            provider=provider,
        )
        self.data_replica_key_arn = replica_key.arn
        replica = secure_bucket(
            f"{name}-data-dr",
            bucket_name=account_id.apply(lambda a: f"{args.environment}-app-data-dr-{a}"),
            kms_key_arn=replica_key.arn,
            parent=self,
            protect=args.protect,
            lifecycle=DATA_LIFECYCLE,
            provider=provider,
            created=versioned,
        )
        replicate(
            f"{name}-data",
            role_name=f"{name}-data-replication",
            description="S3 replication of the app data bucket to the DR region",
            source=source,
            replica=(replica, replica_key),
            storage_class="STANDARD",
            delete_markers=True,
            parent=self,
            versioned=versioned,
        )
        return replica


def external_secrets_grant(
    name: str,
    *,
    role: aws.iam.Role,
    secret_arns: Sequence[pulumi.Input[str]],
    key_arns: Sequence[pulumi.Input[str]],
    region: str,
    opts: pulumi.ResourceOptions | None = None,
) -> aws.iam.RolePolicy:
    """Let the external-secrets role read exactly these secrets (e.g. the RDS-managed master
    secret, named ``rds!db-...`` outside the environment prefix) and decrypt them through
    Secrets Manager only."""
    return aws.iam.RolePolicy(
        name,
        role=role.id,
        policy=pulumi.Output.all(list(secret_arns), list(key_arns)).apply(
            lambda a: aws_policy(a[0], a[1], region)
        ),
        opts=opts,
    )


def aws_policy(secret_arns: list[str], key_arns: list[str], region: str) -> str:
    from ._util import policy_document

    return policy_document(
        {
            "Sid": "ReadDataSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": sorted(secret_arns),
        },
        {
            "Sid": "DecryptViaSecretsManager",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            # an empty id: a secret under the AWS managed key (no grant needed)
            "Resource": sorted(k for k in key_arns if k),
            "Condition": {
                "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
            },
        },
    )
