"""AppDeployment: one workload of the product, hardened, autoscaled and isolated.

Per workload: a ServiceAccount bound to its own IRSA role, a Deployment that satisfies Pod
Security Standards ``restricted`` (non-root high UID, read-only root filesystem, no privilege
escalation, no capabilities, RuntimeDefault seccomp), requests and limits, probes, zone spread,
rolling updates that never drop below the desired count; a Service and an HPA where they apply,
a PodDisruptionBudget when more than one replica runs, a PodMonitor-ready metrics port,
NetworkPolicies that open exactly the calls the config allows, and secret environment
variables by reference (ExternalSecret). Public workloads are routed by the stack's one
ALB (``components/app_ingress.py``); their Service carries the ALB health check path.

A ``migration`` is a one-shot Job instead of a Deployment, named after its image and command
so that a new image runs it again; the Deployments of the same image wait for it.

A ``scheduler`` (Celery beat) runs exactly one replica with the ``Recreate`` strategy: the old
pod is gone before the new one starts, so two schedulers never run at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random
from pydantic import Field, model_validator

from . import versions
from ._shared import (
    RDS_CA_DIR,
    RDS_CA_VOLUME,
    external_secret,
    rds_ca_init_container,
    rds_ca_volume,
)
from ._util import ROLLING_UPDATE_MAX_SURGE_PERCENT, Statement
from .app_namespace import CONFIG_MAP, credentials_secret, pod_security_context
from .iam_roles import OidcProvider, service_account_role
from .keda import API_VERSION as KEDA_API_VERSION
from .keda import TRANSFER_HPA, QueueScaling, WorkSource, scaled_object_spec, triggers
from .modes import Exposure, Probe, S3Access, WorkloadKind, ZoneSpread
from .queues import Access, access_statements
from .settings import Settings
from .tracing import GATEWAY, OTLP_GRPC_PORT, OTLP_HTTP_PORT, workload_env
from .tracing import NAMESPACE as TRACING_NAMESPACE

UID = 10001
METRICS_PATH = "/metrics"
STANDBY_ANNOTATION = "platform/standby"
"""A standby region's Deployments: ``standing-by`` or ``promoted`` (``standby_phase``)."""
RELOADER_ANNOTATION = "reloader.stakater.com/auto"
SAFE_TO_EVICT_LOCAL_VOLUMES = "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes"
SCRATCH_VOLUMES = ("tmp", RDS_CA_VOLUME)
"""emptyDir volumes of every app pod; all may be lost on eviction."""


class Autoscaling(Settings):
    """HorizontalPodAutoscaler (autoscaling/v2) on CPU and memory utilisation, or with
    ``queue`` a KEDA ScaledObject on waiting work: a workload's ``autoscaling`` in the stack
    file."""

    min_replicas: int = Field(default=3, ge=0, le=100)
    """Lower bound (0: scale to zero, with ``queue`` only)."""
    max_replicas: int = Field(default=20, ge=1, le=500)
    """Upper bound."""
    cpu_target_percent: int = Field(default=70, ge=10, le=100)
    """Target average CPU utilisation of requests."""
    memory_target_percent: int = Field(default=80, ge=10, le=100)
    """Target average memory utilisation of requests."""
    queue: QueueScaling | None = None
    """Scale on a queue's depth (KEDA) instead of CPU and memory."""

    @model_validator(mode="after")
    def _range(self) -> Autoscaling:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"minReplicas {self.min_replicas} is above maxReplicas {self.max_replicas}"
            )
        if self.min_replicas == 0 and self.queue is None:
            raise ValueError(
                "minReplicas 0 needs queue scaling (autoscaling.queue): an HPA on CPU keeps "
                "at least one replica"
            )
        return self


@dataclass(frozen=True, kw_only=True)
class WorkloadSpec:
    """What a workload runs and how much of it."""

    kind: WorkloadKind
    image: str
    command: Sequence[str]
    args: Sequence[str]
    port: int
    replicas: int
    autoscaling: Autoscaling | None
    """An HPA between its bounds; None: ``replicas`` fixed."""
    cpu_request: str
    cpu_limit: str
    memory_request: str
    memory_limit: str
    probe: Probe
    probe_command: Sequence[str]
    termination_grace_period_seconds: int
    env: Mapping[str, str]
    s3_access: S3Access
    expose: Exposure
    """``public`` (routed by the ALB), ``internal`` (ClusterIP) or ``none`` (no Service)."""
    liveness_path: str
    readiness_path: str
    startup_path: str | None
    probe_port: int | None
    """Default: ``port``."""
    metrics_path: str | None
    """Scraped path (None: not scraped)."""
    metrics_port: int | None
    secrets: Mapping[str, tuple[str, str | None]]
    """Env var -> (Secrets Manager name or ARN, JSON property or None)."""
    generated_secrets: Mapping[str, int]
    """Env var -> length of a value the platform generates."""
    run_as_user: int
    run_as_group: int
    fs_group: int
    writable_paths: Sequence[tuple[str, str]]
    """(mount path, size limit) emptyDirs besides /tmp."""
    active_deadline_seconds: int
    traced: bool
    """Send traces: the OTLP environment, and egress to the collector gateway."""

    @property
    def autoscaled(self) -> bool:
        return self.autoscaling is not None

    @property
    def initial_replicas(self) -> int:
        if self.kind == "scheduler":
            return min(1, self.replicas)  # 0 only in a standby region
        return self.autoscaling.min_replicas if self.autoscaling else self.replicas

    @property
    def max_possible_replicas(self) -> int:
        return self.autoscaling.max_replicas if self.autoscaling else self.replicas


@dataclass(frozen=True, kw_only=True)
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
    queue_grants: Sequence[tuple[pulumi.Input[str], Access]] = ()
    """(queue ARN, ``send`` | ``consume``) of each queue this workload uses."""
    queue_key_arn: pulumi.Input[str] | None = None
    work_source: WorkSource | None = None
    """Where ``autoscaling.queue`` reads the waiting work (the queue URL or the cache)."""
    keda_ready: Sequence[pulumi.Resource] = ()
    """KEDA's CRDs and webhooks: the ScaledObject waits for them."""
    standby_phase: Literal["standing-by", "promoted"] | None = None
    """A standby region's workload. Standing by, a migration runs no Job (it would write to
    the read-only replica; its role and login exist), and Pulumi does not wait for the
    Deployment's pods (they cannot log in before promotion: ``pulumi.com/waitFor`` on a field
    that exists at once). The Deployment carries the phase
    as an annotation and is replaced when it changes, deleted first (standing by it has no pod
    that serves), so the promoted one is created at its minimum replicas: an update could
    not do it, as the HPA owns the replica count (``ignore_changes``) and an HPA does not
    scale up from zero."""
    zone_spread: ZoneSpread
    region: str
    """For the regional RDS CA bundle."""
    name: str = ""
    """The workload's name (Kubernetes names, labels, the IRSA subject)."""
    callers: Sequence[str] = ()
    """Workloads allowed to call this one on its port."""
    callees: Mapping[str, int] = field(default_factory=dict)
    """Workloads this one may call, with their ports."""
    secret_store: str
    """ClusterSecretStore serving the namespace (secret environment variables)."""
    protect: bool = True
    """Pulumi ``protect`` (and a recovery window) on generated secrets."""
    depends_on: Sequence[pulumi.Resource] = ()
    """Namespace baseline objects (ConfigMap, ExternalSecret), and for workloads of a
    migration's image, that migration."""

    def with_depends_on(self, resources: Sequence[pulumi.Resource]) -> AppDeploymentArgs:
        return dataclasses.replace(self, depends_on=tuple(resources))


def labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "product"}


def container_security_context(uid: int = UID, gid: int = UID) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": gid,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def probes(spec: WorkloadSpec) -> dict[str, Any]:
    """Startup/liveness/readiness for http workloads; exec or none for the others."""
    if spec.probe == "http":
        port: int | str = spec.probe_port if spec.probe_port not in (None, spec.port) else "http"

        def get(path: str) -> dict[str, Any]:
            return {"httpGet": {"path": path, "port": port}}

        probes_ = {
            "livenessProbe": {
                **get(spec.liveness_path),
                "periodSeconds": 10,
                "failureThreshold": 3,
            },
            "readinessProbe": {
                **get(spec.readiness_path),
                "periodSeconds": 5,
                "failureThreshold": 2,
            },
        }
        if spec.startup_path:
            probes_["startupProbe"] = {
                **get(spec.startup_path),
                "periodSeconds": 5,
                "failureThreshold": 30,
            }
        return probes_
    if spec.probe == "exec":
        check = {"exec": {"command": list(spec.probe_command)}}
        return {
            "livenessProbe": {**check, "periodSeconds": 60, "timeoutSeconds": 20},
        }
    return {}


def metrics_port_name(spec: WorkloadSpec) -> str:
    """The container port Prometheus scrapes: an http workload's own port when it serves
    metrics there, else a port named ``metrics`` (the PodMonitor selects it by this name)."""
    return "http" if spec.kind == "http" and spec.metrics_port == spec.port else "metrics"


def app_secret(name: str) -> str:
    """The Secret (made by external-secrets) holding a workload's secret variables."""
    return f"{name}-app-secrets"


def secret_env(name: str, spec: WorkloadSpec) -> list[dict[str, Any]]:
    """Secret variables by reference: ``valueFrom.secretKeyRef``, never a value."""
    return [
        {"name": var, "valueFrom": {"secretKeyRef": {"name": app_secret(name), "key": var}}}
        for var in sorted({*spec.secrets, *spec.generated_secrets})
    ]


def writable_volume(index: int) -> str:
    return f"writable-{index}"


def app_container(name: str, spec: WorkloadSpec) -> dict[str, Any]:
    """The workload's container: hardened, its config and secrets by reference, probes."""
    ports = []
    if spec.kind == "http":
        ports.append({"name": "http", "containerPort": spec.port, "protocol": "TCP"})
    if spec.metrics_port is not None and metrics_port_name(spec) == "metrics":
        ports.append({"name": "metrics", "containerPort": spec.metrics_port, "protocol": "TCP"})
    container: dict[str, Any] = {
        "name": name,
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "securityContext": container_security_context(spec.run_as_user, spec.run_as_group),
        "resources": {
            "requests": {"cpu": spec.cpu_request, "memory": spec.memory_request},
            "limits": {"cpu": spec.cpu_limit, "memory": spec.memory_limit},
        },
        "envFrom": [
            {"configMapRef": {"name": CONFIG_MAP}},
            {"secretRef": {"name": credentials_secret(name)}},
        ],
        "env": [{"name": k, "value": v} for k, v in sorted(spec.env.items())]
        + [{"name": "WORKLOAD", "value": name}]
        + (workload_env(name) if spec.traced else [])
        + secret_env(name, spec),
        "volumeMounts": [
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": RDS_CA_VOLUME, "mountPath": RDS_CA_DIR, "readOnly": True},
            *(
                {"name": writable_volume(i), "mountPath": path}
                for i, (path, _) in enumerate(spec.writable_paths)
            ),
        ],
        **probes(spec),
    }
    if spec.command:
        container["command"] = list(spec.command)
    if spec.args:
        container["args"] = list(spec.args)
    if ports:
        container["ports"] = ports
    if spec.kind == "http":
        container["lifecycle"] = {"preStop": {"sleep": {"seconds": 10}}}
    return container


def pod_template(
    name: str,
    spec: WorkloadSpec,
    environment: str,
    zone_spread: ZoneSpread,
    region: str = "us-east-1",
) -> dict[str, Any]:
    container = app_container(name, spec)
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
            "annotations": {
                SAFE_TO_EVICT_LOCAL_VOLUMES: ",".join(
                    [
                        *SCRATCH_VOLUMES,
                        *(writable_volume(i) for i in range(len(spec.writable_paths))),
                    ]
                )
            },
        },
        "spec": {
            "serviceAccountName": name,
            # IRSA projects its own token; the Kubernetes API token is never needed
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "terminationGracePeriodSeconds": spec.termination_grace_period_seconds,
            "securityContext": pod_security_context(
                spec.run_as_user, spec.run_as_group, spec.fs_group
            ),
            # the RDS CA bundle for sslmode=verify-full (PGSSLROOTCERT in the ConfigMap)
            "initContainers": [
                rds_ca_init_container(
                    region,
                    versions.PYTHON_BOTO3_IMAGE.version,
                    container_security_context(spec.run_as_user, spec.run_as_group),
                )
            ],
            "containers": [container],
            "volumes": [
                {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
                rds_ca_volume(),
                *(
                    {"name": writable_volume(i), "emptyDir": {"sizeLimit": size}}
                    for i, (_, size) in enumerate(spec.writable_paths)
                ),
            ],
            "topologySpreadConstraints": spread
            if spec.kind not in ("scheduler", "migration")
            else [],
        },
    }


def deployment_strategy(spec: WorkloadSpec) -> dict[str, Any]:
    if spec.kind == "scheduler":
        return {"type": "Recreate"}
    surge = f"{ROLLING_UPDATE_MAX_SURGE_PERCENT}%"
    return {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": surge}}


OTLP_EGRESS: dict[str, Any] = {
    "to": [
        {
            "namespaceSelector": {
                "matchLabels": {"kubernetes.io/metadata.name": TRACING_NAMESPACE}
            },
            "podSelector": {"matchLabels": {"app.kubernetes.io/instance": GATEWAY}},
        }
    ],
    "ports": [
        {"protocol": "TCP", "port": OTLP_HTTP_PORT},
        {"protocol": "TCP", "port": OTLP_GRPC_PORT},
    ],
}
"""A traced workload's spans: to the collector gateway's pods only."""


def network_policy(
    name: str,
    namespace: str,
    spec: WorkloadSpec,
    load_balancer_cidrs: Sequence[str],
    data_cidrs: Sequence[str],
    callers: Sequence[str] = (),
    callees: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Ingress: a public workload from the load balancer's subnets (ALB in IP mode: traffic
    and health checks), the workloads in ``callers`` on the port, ``monitoring`` on the
    metrics port; egress: the ports of ``callees`` (their pods), database and cache ports to
    the data subnets, HTTPS anywhere. With the namespace's default-deny, each allowed pair
    is open in both directions and nothing else is."""
    ingress: list[dict[str, Any]] = []
    port = [{"protocol": "TCP", "port": spec.port}]
    if spec.expose == "public":
        # traffic, and the ALB's health checks on the probe port when that differs
        checked = sorted({spec.port, spec.probe_port or spec.port})
        ingress.append(
            {
                "from": [{"ipBlock": {"cidr": c}} for c in load_balancer_cidrs],
                "ports": [{"protocol": "TCP", "port": p} for p in checked],
            }
        )
    if callers and spec.expose != "none":
        ingress.append(
            {
                "from": [{"podSelector": {"matchLabels": labels(c)}} for c in sorted(callers)],
                "ports": port,
            }
        )
    if spec.metrics_port is not None:
        ingress.append(
            {
                "from": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                        }
                    }
                ],
                "ports": [{"protocol": "TCP", "port": spec.metrics_port}],
            }
        )
    data = [{"ipBlock": {"cidr": c}} for c in data_cidrs]
    egress = [
        {
            "to": [{"podSelector": {"matchLabels": labels(callee)}}],
            "ports": [{"protocol": "TCP", "port": callee_port}],
        }
        for callee, callee_port in sorted((callees or {}).items())
    ] + [
        {
            "to": data,
            "ports": [{"protocol": "TCP", "port": 5432}, {"protocol": "TCP", "port": 6379}],
        },
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]},
    ]
    if spec.traced:
        egress.append(OTLP_EGRESS)
    return {
        "metadata": {"name": f"{name}-traffic", "namespace": namespace},
        "spec": {
            "podSelector": {"matchLabels": labels(name)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": egress,
        },
    }


@dataclass(frozen=True)
class _Pods:
    """What the Deployment or the migration Job runs: the pod template of ``workload`` and
    what must exist before its pods start."""

    workload: str
    template: dict[str, Any]
    before: list[pulumi.Resource]


def _role_statements(
    args: AppDeploymentArgs, workload: str
) -> pulumi.Output[list[Statement]] | list[Statement]:
    """Its own prefix of the app bucket (``s3Access``) and its queues (``queues``); none: no
    inline policy at all (IAM refuses a document without statements)."""
    spec = args.workload
    bucket = args.app_bucket_arn if spec.s3_access != "none" else None
    kinds = [access for _, access in args.queue_grants]
    if bucket is None and not kinds:
        return []
    return pulumi.Output.all(
        bucket, args.app_bucket_key_arn, args.queue_key_arn, *(arn for arn, _ in args.queue_grants)
    ).apply(
        lambda v: [
            *(s3_prefix_statements(v[0], v[1], f"{workload}/", spec.s3_access) if v[0] else []),
            *(access_statements(list(zip(v[3:], kinds, strict=True)), v[2]) if kinds else []),
        ]
    )


class AppDeployment(pulumi.ComponentResource):
    """One workload."""

    service_name: str | None = None
    workload_resource: pulumi.Resource
    """The Deployment, or a migration's Job (what dependents wait for)."""

    def __init__(
        self, name: str, args: AppDeploymentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:AppDeployment", name, None, opts)
        spec = args.workload
        ns = args.namespace
        workload = args.name or name
        self.workload = workload
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)

        statements = _role_statements(args, workload)
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
        before_pods: list[pulumi.Resource] = [service_account, *args.depends_on]
        secrets = self._secrets(name, workload, args)
        if secrets is not None:
            before_pods.append(secrets)
        template = pod_template(workload, spec, args.environment, args.zone_spread, args.region)
        pods = _Pods(workload, template, before_pods)
        if spec.kind == "migration" and args.standby_phase == "standing-by":
            self.workload_resource = service_account
        elif spec.kind == "migration":
            self.workload_resource = self._migration_job(name, args, pods)
        else:
            self.workload_resource = self._deployment(name, args, pods)
        if spec.expose != "none":
            self.service_name = workload
            self._service(name, workload, args)
        self._scaling(name, workload, args)
        policy = network_policy(
            workload,
            ns,
            spec,
            args.load_balancer_subnet_cidrs,
            args.data_subnet_cidrs,
            args.callers,
            args.callees,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-netpol", metadata=policy["metadata"], spec=policy["spec"], opts=k8s_opts
        )
        self.register_outputs({"workload": workload})

    def _deployment(
        self, name: str, args: AppDeploymentArgs, pods: _Pods
    ) -> k8s.apps.v1.Deployment:
        spec, workload = args.workload, pods.workload
        deployment_spec: Any = {
            "replicas": spec.initial_replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": labels(workload)},
            "strategy": deployment_strategy(spec),
            "template": pods.template,
        }
        # roll the pods when their Secrets or the ConfigMap change
        annotations: dict[str, str] = {RELOADER_ANNOTATION: "true"}
        if args.standby_phase is not None:
            annotations[STANDBY_ANNOTATION] = args.standby_phase
        if args.standby_phase == "standing-by":
            # ready at once: pods that cannot log in before promotion are not waited for. Not
            # skipAwait, which also skips waiting on the delete the promotion's replacement
            # does before it creates the same name again
            annotations["pulumi.com/waitFor"] = "jsonpath={.metadata.uid}"
        return k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata={
                "name": workload,
                "namespace": args.namespace,
                "labels": labels(workload),
                "annotations": annotations,
            },
            spec=deployment_spec,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.k8s_provider,
                depends_on=pods.before,
                # the HPA owns the replica count
                ignore_changes=["spec.replicas"] if spec.autoscaled else None,
                replace_on_changes=(
                    [f'metadata.annotations["{STANDBY_ANNOTATION}"]']
                    if args.standby_phase is not None
                    else None
                ),
                delete_before_replace=args.standby_phase is not None or None,
            ),
        )

    def _migration_job(self, name: str, args: AppDeploymentArgs, pods: _Pods) -> k8s.batch.v1.Job:
        """A one-shot Job named after its image and command: a new image is a new Job (run
        again); an unchanged workload is the same Job (not re-run). Any other change to its
        pod template (env, secrets, resources) replaces it under the same name, which runs
        it again: migrations must be idempotent (Alembic's are). Pulumi waits for it to
        succeed: a failure fails the ``up`` before the Deployments that wait for it roll."""
        spec, workload, template = args.workload, pods.workload, pods.template
        run = migration_run_id(spec)
        template["spec"]["restartPolicy"] = "Never"
        template["metadata"]["labels"]["platform/migration-run"] = run
        job_spec: Any = {
            "backoffLimit": 1,
            "activeDeadlineSeconds": spec.active_deadline_seconds,
            "template": template,
        }
        return k8s.batch.v1.Job(
            f"{name}-job",
            metadata={
                "name": f"{workload}-{run}",
                "namespace": args.namespace,
                "labels": {**labels(workload), "platform/migration-run": run},
            },
            spec=job_spec,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.k8s_provider,
                depends_on=pods.before,
                delete_before_replace=False,
                custom_timeouts=pulumi.CustomTimeouts(
                    create=f"{spec.active_deadline_seconds + 300}s",
                    # an interrupted run is awaited again as an update (default: 10 min)
                    update=f"{spec.active_deadline_seconds + 300}s",
                ),
            ),
        )

    def _service(self, name: str, workload: str, args: AppDeploymentArgs) -> None:
        spec = args.workload
        annotations: dict[str, str] = {}
        if spec.expose == "public":
            # target-group settings on the Service win over the Ingress's (LB controller
            # docs, "Annotations"): each public workload is health-checked on its own path
            annotations = {
                "alb.ingress.kubernetes.io/healthcheck-path": spec.readiness_path,
                "alb.ingress.kubernetes.io/healthcheck-port": str(spec.probe_port or spec.port),
            }
        # the Service port IS the container port: the VPC CNI's network policy agent matches
        # a connection before the Service address is translated, so a NetworkPolicy on the
        # pod port only admits calls made to the same port (EKS user guide, "Restrict Pod
        # network traffic with Kubernetes network policies", considerations)
        service_spec: Any = {
            "type": "ClusterIP",
            "selector": labels(workload),
            "ports": [{"name": "http", "port": spec.port, "targetPort": "http", "protocol": "TCP"}],
        }
        k8s.core.v1.Service(
            f"{name}-service",
            metadata={
                "name": workload,
                "namespace": args.namespace,
                "labels": labels(workload),
                "annotations": annotations,
            },
            spec=service_spec,
            opts=pulumi.ResourceOptions(parent=self, provider=args.k8s_provider),
        )

    def _scaling(self, name: str, workload: str, args: AppDeploymentArgs) -> None:
        spec = args.workload
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)
        scaling = spec.autoscaling
        if scaling is not None and scaling.queue is not None:
            self._scaled_object(name, workload, args, scaling, scaling.queue)
        elif scaling is not None and spec.kind not in ("scheduler", "migration"):
            hpa_spec: Any = {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": workload},
                "minReplicas": scaling.min_replicas,
                "maxReplicas": scaling.max_replicas,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": resource,
                            "target": {"type": "Utilization", "averageUtilization": target},
                        },
                    }
                    for resource, target in (
                        ("cpu", scaling.cpu_target_percent),
                        ("memory", scaling.memory_target_percent),
                    )
                ],
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
            }
            k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{name}-hpa",
                metadata={"name": workload, "namespace": args.namespace},
                spec=hpa_spec,
                opts=k8s_opts,
            )
        multi_replica = spec.initial_replicas > 1 or spec.max_possible_replicas > 1
        if multi_replica and spec.kind not in ("scheduler", "migration"):
            pdb_spec: Any = {"maxUnavailable": 1, "selector": {"matchLabels": labels(workload)}}
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-pdb",
                metadata={"name": workload, "namespace": args.namespace},
                spec=pdb_spec,
                opts=k8s_opts,
            )

    def _scaled_object(
        self,
        name: str,
        workload: str,
        args: AppDeploymentArgs,
        scaling: Autoscaling,
        queue: QueueScaling,
    ) -> None:
        """A KEDA ScaledObject in place of the HPA (KEDA makes and owns ``keda-hpa-<name>``);
        a Redis list is read with the workload's own cache token (its credentials Secret)."""
        if args.work_source is None:
            raise ValueError(f"{workload}: autoscaling.queue needs a work source")
        after = pulumi.ResourceOptions(
            parent=self, provider=args.k8s_provider, depends_on=list(args.keda_ready)
        )
        cache_auth = None
        if queue.redis_list is not None:
            cache_auth = f"{workload}-cache"
            k8s.apiextensions.CustomResource(
                f"{name}-cache-auth",
                api_version=KEDA_API_VERSION,
                kind="TriggerAuthentication",
                metadata={"name": cache_auth, "namespace": args.namespace},
                spec={
                    "secretTargetRef": [
                        {
                            "parameter": "password",
                            "name": credentials_secret(workload),
                            "key": "CACHE_AUTH_TOKEN",
                        }
                    ]
                },
                opts=after,
            )
        k8s.apiextensions.CustomResource(
            f"{name}-scaler",
            api_version=KEDA_API_VERSION,
            kind="ScaledObject",
            metadata={
                "name": workload,
                "namespace": args.namespace,
                "labels": labels(workload),
                "annotations": TRANSFER_HPA,
            },
            spec=scaled_object_spec(
                workload,
                min_replicas=scaling.min_replicas,
                max_replicas=scaling.max_replicas,
                scaling=queue,
                trigger_list=triggers(queue, args.work_source, cache_auth),
            ),
            opts=after,
        )

    def _secrets(
        self, name: str, workload: str, args: AppDeploymentArgs
    ) -> k8s.apiextensions.CustomResource | None:
        """The workload's secret variables as one Secret made by external-secrets: entries
        the team keeps in Secrets Manager, and values the platform generates once (random ->
        Secrets Manager; never a plain value in state, config or a manifest)."""
        spec = args.workload
        if not spec.secrets and not spec.generated_secrets:
            return None
        remote: dict[str, tuple[pulumi.Input[str], str | None]] = dict(spec.secrets)
        for var, length in sorted(spec.generated_secrets.items()):
            value = random.RandomPassword(
                f"{name}-{var.lower()}", length=length, special=False,
                opts=pulumi.ResourceOptions(parent=self),
            )  # fmt: skip
            secret = aws.secretsmanager.Secret(
                f"{name}-{var.lower()}",
                name=generated_secret_name(args.environment, workload, var),
                description=f"{var} of {workload}, generated by the platform",
                recovery_window_in_days=7 if args.protect else 0,
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            aws.secretsmanager.SecretVersion(
                f"{name}-{var.lower()}",
                secret_id=secret.id,
                secret_string=value.result,
                opts=pulumi.ResourceOptions(parent=self),
            )
            remote[var] = (secret.arn, None)
        return external_secret(
            f"{name}-app-secrets",
            namespace=args.namespace,
            secret=app_secret(workload),
            data=remote,
            store=args.secret_store,
            refresh_interval="5m",
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.k8s_provider, depends_on=list(args.depends_on)
            ),
        )


def generated_secret_name(environment: str, workload: str, variable: str) -> str:
    return f"{environment}/generated/{workload}/{variable.lower().replace('_', '-')}"


def migration_run_id(spec: WorkloadSpec) -> str:
    """Short hash of what a migration runs: same image and command, same Job."""
    digest = hashlib.sha256(
        json.dumps([spec.image, list(spec.command), list(spec.args)]).encode()
    ).hexdigest()
    return digest[:8]


def s3_prefix_statements(
    bucket_arn: str, key_arn: str | None, prefix: str, access: str
) -> list[Statement]:
    """Object access under one prefix of the app bucket (and the key to use it)."""
    actions = ["s3:GetObject"]
    if access == "read-write":
        actions += ["s3:PutObject", "s3:DeleteObject"]
    statements: list[Statement] = [
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
