"""AppDeployment: one workload of the product, hardened, autoscaled and isolated.

Per workload: a ServiceAccount bound to its own IRSA role, a Deployment that satisfies Pod
Security Standards ``restricted`` (non-root high UID, read-only root filesystem, no privilege
escalation, no capabilities, RuntimeDefault seccomp), requests and limits, probes, zone spread,
rolling updates that never drop below the desired count; a Service and an HPA where they apply,
a PodDisruptionBudget when more than one replica runs, NetworkPolicies that open only what the
workload needs, and for the http workload an HTTPS-only ALB Ingress.

A ``scheduler`` (Celery beat) runs exactly one replica with the ``Recreate`` strategy: the old
pod is gone before the new one starts, so two schedulers never run at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from . import versions
from ._shared import RDS_CA_DIR, RDS_CA_VOLUME, rds_ca_init_container, rds_ca_volume
from ._util import ROLLING_UPDATE_MAX_SURGE_PERCENT
from .app_namespace import CONFIG_MAP, credentials_secret, pod_security_context
from .iam_roles import OidcProvider, service_account_role

UID = 10001
LIVE_PATH = "/api/v1/health/live"
READY_PATH = "/api/v1/health/ready"
METRICS_PATH = "/metrics"
SERVICE_PORT = 80
RELOADER_ANNOTATION = "reloader.stakater.com/auto"
SAFE_TO_EVICT_LOCAL_VOLUMES = "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes"
SCRATCH_VOLUMES = ("tmp", RDS_CA_VOLUME)
"""emptyDir volumes of every app pod; all may be lost on eviction."""


@dataclass(frozen=True)
class WorkloadSpec:
    """What a workload runs and how much of it."""

    kind: str
    image: str
    command: Sequence[str] = ()
    args: Sequence[str] = ()
    port: int = 8000
    replicas: int = 2
    min_replicas: int | None = None
    max_replicas: int | None = None
    cpu_target_percent: int = 70
    memory_target_percent: int = 80
    cpu_request: str = "250m"
    cpu_limit: str = "1"
    memory_request: str = "512Mi"
    memory_limit: str = "1Gi"
    probe: str = "http"
    probe_command: Sequence[str] = ()
    termination_grace_period_seconds: int = 30
    env: Mapping[str, str] = field(default_factory=dict)
    s3_access: str = "none"

    @property
    def autoscaled(self) -> bool:
        return self.min_replicas is not None and self.max_replicas is not None

    @property
    def initial_replicas(self) -> int:
        if self.kind == "scheduler":
            return 1
        return self.min_replicas if self.autoscaled and self.min_replicas else self.replicas

    @property
    def max_possible_replicas(self) -> int:
        return self.max_replicas if self.autoscaled and self.max_replicas else self.replicas


@dataclass(frozen=True)
class IngressSpec:
    host: str
    certificate_arn: str
    ssl_policy: str
    access_log_bucket: pulumi.Input[str]
    load_balancer_name: str
    waf_acl_arn: str | None = None


@dataclass(frozen=True)
class AppDeploymentArgs:
    """Inputs; defaults are the production-safe choice."""

    environment: str
    namespace: str
    workload: WorkloadSpec
    k8s_provider: k8s.Provider
    oidc: OidcProvider
    load_balancer_subnet_cidrs: Sequence[str]
    """Where the ALB's nodes live (the public subnets): the only sources admitted to an http
    workload's port besides Prometheus. With the VPC CNI every pod and node has a VPC address,
    so admitting the VPC CIDR would let any pod bypass the ALB, its WAF and TLS."""
    data_subnet_cidrs: Sequence[str]
    """Where the database (5432) and cache (6379) live: the only private egress allowed."""
    app_bucket_arn: pulumi.Input[str] | None = None
    app_bucket_key_arn: pulumi.Input[str] | None = None
    zone_spread: str = "required"
    region: str = "us-east-1"
    """For the regional RDS CA bundle."""
    ingress: IngressSpec | None = None
    ready: Sequence[pulumi.Resource] = ()
    """Controllers the Ingress must wait for (the AWS Load Balancer Controller)."""
    depends_on: Sequence[pulumi.Resource] = ()
    """Namespace baseline objects (ConfigMap, ExternalSecret)."""


def labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "product"}


def container_security_context() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def probes(spec: WorkloadSpec) -> dict[str, Any]:
    """Startup/liveness/readiness for http workloads; exec or none for the others."""
    if spec.probe == "http":

        def get(path: str) -> dict[str, Any]:
            return {"httpGet": {"path": path, "port": "http"}}

        return {
            "startupProbe": {**get(LIVE_PATH), "periodSeconds": 5, "failureThreshold": 30},
            "livenessProbe": {**get(LIVE_PATH), "periodSeconds": 10, "failureThreshold": 3},
            "readinessProbe": {**get(READY_PATH), "periodSeconds": 5, "failureThreshold": 2},
        }
    if spec.probe == "exec":
        check = {"exec": {"command": list(spec.probe_command)}}
        return {
            "livenessProbe": {**check, "periodSeconds": 60, "timeoutSeconds": 20},
        }
    return {}


def pod_template(
    name: str, spec: WorkloadSpec, environment: str, zone_spread: str, region: str = "us-east-1"
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": name,
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "securityContext": container_security_context(),
        "resources": {
            "requests": {"cpu": spec.cpu_request, "memory": spec.memory_request},
            "limits": {"cpu": spec.cpu_limit, "memory": spec.memory_limit},
        },
        "envFrom": [
            {"configMapRef": {"name": CONFIG_MAP}},
            {"secretRef": {"name": credentials_secret(name)}},
        ],
        "env": [{"name": k, "value": v} for k, v in sorted(spec.env.items())]
        + [{"name": "WORKLOAD", "value": name}],
        "volumeMounts": [
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": RDS_CA_VOLUME, "mountPath": RDS_CA_DIR, "readOnly": True},
        ],
        **probes(spec),
    }
    if spec.command:
        container["command"] = list(spec.command)
    if spec.args:
        container["args"] = list(spec.args)
    if spec.kind == "http":
        container["ports"] = [{"name": "http", "containerPort": spec.port, "protocol": "TCP"}]
        container["lifecycle"] = {"preStop": {"sleep": {"seconds": 10}}}
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule" if zone_spread == "required" else "ScheduleAnyway",
            "labelSelector": {"matchLabels": labels(name)},
        },
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": labels(name)},
        },
    ]
    return {
        "metadata": {
            "labels": {**labels(name), "platform/environment": environment},
            # The scratch volume holds nothing worth keeping: without this the cluster
            # autoscaler never scales in a node that runs an app pod (local storage).
            "annotations": {SAFE_TO_EVICT_LOCAL_VOLUMES: ",".join(SCRATCH_VOLUMES)},
        },
        "spec": {
            "serviceAccountName": name,
            # IRSA projects its own token; the Kubernetes API token is never needed
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "terminationGracePeriodSeconds": spec.termination_grace_period_seconds,
            "securityContext": pod_security_context(UID),
            # the RDS CA bundle for sslmode=verify-full (PGSSLROOTCERT in the ConfigMap)
            "initContainers": [
                rds_ca_init_container(
                    region, versions.PYTHON_BOTO3_IMAGE.version, container_security_context()
                )
            ],
            "containers": [container],
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}, rds_ca_volume()],
            "topologySpreadConstraints": spread if spec.kind != "scheduler" else [],
        },
    }


def deployment_strategy(spec: WorkloadSpec) -> dict[str, Any]:
    if spec.kind == "scheduler":
        return {"type": "Recreate"}
    surge = f"{ROLLING_UPDATE_MAX_SURGE_PERCENT}%"
    return {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": surge}}


def network_policy(
    name: str,
    namespace: str,
    spec: WorkloadSpec,
    load_balancer_cidrs: Sequence[str],
    data_cidrs: Sequence[str],
) -> dict[str, Any]:
    """Ingress: http workloads from the load balancer's subnets (ALB in IP mode: traffic and
    health checks) and from ``monitoring`` on the app port (which serves ``/metrics``); egress:
    database and cache ports to the data subnets, HTTPS anywhere."""
    ingress: list[dict[str, Any]] = []
    if spec.kind == "http":
        port = [{"protocol": "TCP", "port": spec.port}]
        ingress = [
            {"from": [{"ipBlock": {"cidr": c}} for c in load_balancer_cidrs], "ports": port},
            {
                "from": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                        }
                    }
                ],
                "ports": port,
            },
        ]
    data = [{"ipBlock": {"cidr": c}} for c in data_cidrs]
    egress = [
        {
            "to": data,
            "ports": [{"protocol": "TCP", "port": 5432}, {"protocol": "TCP", "port": 6379}],
        },
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]},
    ]
    return {
        "metadata": {"name": f"{name}-traffic", "namespace": namespace},
        "spec": {
            "podSelector": {"matchLabels": labels(name)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": egress,
        },
    }


def ingress_annotations(spec: IngressSpec, access_log_bucket: str) -> dict[str, str]:
    annotations = {
        "alb.ingress.kubernetes.io/scheme": "internet-facing",
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/load-balancer-name": spec.load_balancer_name,
        "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
        "alb.ingress.kubernetes.io/ssl-redirect": "443",
        "alb.ingress.kubernetes.io/certificate-arn": spec.certificate_arn,
        "alb.ingress.kubernetes.io/ssl-policy": spec.ssl_policy,
        "alb.ingress.kubernetes.io/healthcheck-path": READY_PATH,
        "alb.ingress.kubernetes.io/backend-protocol": "HTTP",
        "alb.ingress.kubernetes.io/load-balancer-attributes": ",".join(
            [
                "access_logs.s3.enabled=true",
                f"access_logs.s3.bucket={access_log_bucket}",
                "access_logs.s3.prefix=alb",
                "routing.http.drop_invalid_header_fields.enabled=true",
                "deletion_protection.enabled=false",
            ]
        ),
    }
    if spec.waf_acl_arn:
        annotations["alb.ingress.kubernetes.io/wafv2-acl-arn"] = spec.waf_acl_arn
    return annotations


class AppDeployment(pulumi.ComponentResource):
    """One workload."""

    service_name: str | None = None
    ingress: k8s.networking.v1.Ingress | None = None

    def __init__(
        self, name: str, args: AppDeploymentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:AppDeployment", name, None, opts)
        spec = args.workload
        ns = args.namespace
        workload = name.removeprefix(f"{args.environment}-app-")
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)

        statements: Any = []
        if spec.s3_access != "none" and args.app_bucket_arn is not None:
            statements = pulumi.Output.all(args.app_bucket_arn, args.app_bucket_key_arn).apply(
                lambda a: s3_prefix_statements(a[0], a[1], f"{workload}/", spec.s3_access)
            )
        self.role = service_account_role(
            f"{name}-role",
            oidc=args.oidc,
            namespace=ns,
            service_account=workload,
            statements=statements,
            parent=self,
        )
        service_account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata={
                "name": workload,
                "namespace": ns,
                "labels": labels(workload),
                "annotations": {"eks.amazonaws.com/role-arn": self.role.arn},
            },
            automount_service_account_token=False,
            opts=k8s_opts,
        )
        deployment_spec: Any = {
            "replicas": spec.initial_replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": labels(workload)},
            "strategy": deployment_strategy(spec),
            "template": pod_template(
                workload, spec, args.environment, args.zone_spread, args.region
            ),
        }
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata={
                "name": workload,
                "namespace": ns,
                "labels": labels(workload),
                # roll the pods when their credentials Secret or the ConfigMap changes
                "annotations": {RELOADER_ANNOTATION: "true"},
            },
            spec=deployment_spec,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.k8s_provider,
                depends_on=[service_account, *args.depends_on],
                # the HPA owns the replica count
                ignore_changes=["spec.replicas"] if spec.autoscaled else None,
            ),
        )
        if spec.kind == "http":
            self.service_name = workload
            service_spec: Any = {
                "type": "ClusterIP",
                "selector": labels(workload),
                "ports": [
                    {"name": "http", "port": SERVICE_PORT, "targetPort": "http", "protocol": "TCP"},
                    {"name": "http-metrics", "port": spec.port, "targetPort": "http"},
                ],
            }
            k8s.core.v1.Service(
                f"{name}-service",
                metadata={"name": workload, "namespace": ns, "labels": labels(workload)},
                spec=service_spec,
                opts=k8s_opts,
            )
        if spec.autoscaled and spec.kind != "scheduler":
            hpa_spec: Any = {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": workload},
                "minReplicas": spec.min_replicas,
                "maxReplicas": spec.max_replicas,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": resource,
                            "target": {"type": "Utilization", "averageUtilization": target},
                        },
                    }
                    for resource, target in (
                        ("cpu", spec.cpu_target_percent),
                        ("memory", spec.memory_target_percent),
                    )
                ],
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
            }
            k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{name}-hpa",
                metadata={"name": workload, "namespace": ns},
                spec=hpa_spec,
                opts=k8s_opts,
            )
        multi_replica = spec.initial_replicas > 1 or spec.max_possible_replicas > 1
        if multi_replica and spec.kind != "scheduler":
            pdb_spec: Any = {"maxUnavailable": 1, "selector": {"matchLabels": labels(workload)}}
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-pdb",
                metadata={"name": workload, "namespace": ns},
                spec=pdb_spec,
                opts=k8s_opts,
            )
        policy = network_policy(
            workload, ns, spec, args.load_balancer_subnet_cidrs, args.data_subnet_cidrs
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-netpol", metadata=policy["metadata"], spec=policy["spec"], opts=k8s_opts
        )
        if spec.kind == "http" and args.ingress is not None:
            ingress = args.ingress
            ingress_spec: Any = {
                "ingressClassName": "alb",
                "tls": [{"hosts": [ingress.host]}],
                "rules": [
                    {
                        "host": ingress.host,
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {
                                        "service": {
                                            "name": workload,
                                            "port": {"number": SERVICE_PORT},
                                        }
                                    },
                                }
                            ]
                        },
                    }
                ],
            }
            self.ingress = k8s.networking.v1.Ingress(
                f"{name}-ingress",
                metadata={
                    "name": workload,
                    "namespace": ns,
                    "annotations": pulumi.Output.from_input(ingress.access_log_bucket).apply(
                        lambda bucket: ingress_annotations(ingress, bucket)
                    ),
                },
                spec=ingress_spec,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    provider=args.k8s_provider,
                    # the controller must outlive the ALB it created (safe destroy order)
                    depends_on=[self.deployment, *args.ready],
                ),
            )
        self.register_outputs({"deployment": workload})


def s3_prefix_statements(
    bucket_arn: str, key_arn: str | None, prefix: str, access: str
) -> list[dict[str, Any]]:
    """Object access under one prefix of the app bucket (and the key to use it)."""
    actions = ["s3:GetObject"]
    if access == "read-write":
        actions += ["s3:PutObject", "s3:DeleteObject"]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "OwnPrefixObjects",
            "Effect": "Allow",
            "Action": actions,
            "Resource": f"{bucket_arn}/{prefix}*",
        },
        {
            "Sid": "ListOwnPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        },
    ]
    if key_arn:
        statements.append(
            {
                "Sid": "UseBucketKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": key_arn,
            }
        )
    return statements
