"""Tracing: an OpenTelemetry Collector gateway receiving OTLP from the workloads, tail
sampling, AWS X-Ray as the trace store (its console and Grafana's X-Ray data source the UI).

Two tiers of the same chart (``opentelemetry-collector``, contrib image) in namespace
``telemetry``, because a tail-sampling decision needs every span of a trace in one place:

- ``otel-gateway`` (Deployment, ``gatewayReplicas``; 2+ in production behind a PDB): receives
  OTLP (gRPC 4317, HTTP 4318) and routes each span by trace id (``loadbalancing`` exporter)
  to one ``otel-sampler`` pod, found through a headless Service;
- ``otel-sampler`` (Deployment, ``samplerReplicas``): ``tail_sampling`` keeps every trace with
  an error, every trace slower than ``latencyThresholdMs``, and ``percent`` of the rest, and
  exports them to X-Ray with its own role (IRSA).

Workloads get ``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_SERVICE_NAME`` and
``OTEL_RESOURCE_ATTRIBUTES`` from the platform, so an instrumented app needs no config of its
own; their NetworkPolicy lets them reach the gateway and nothing else in ``telemetry``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, model_validator

from ._shared import chart_release, pod_security_namespace
from ._util import Statement
from .iam_roles import OidcProvider, service_account_role
from .settings import Settings

NAMESPACE = "telemetry"
GATEWAY = "otel-gateway"
SAMPLER = "otel-sampler"
OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318
CONTRIB_IMAGE = "otel/opentelemetry-collector-contrib"
"""The contrib distribution: ``loadbalancing``, ``tail_sampling`` and ``awsxray`` are not in
the core image."""


class Sampling(Settings):
    """Tail sampling: which traces reach the store."""

    keep_errors: bool = True
    """Keep every trace with a span in error."""
    latency_threshold_ms: int = Field(default=1000, ge=1)
    """Keep every trace slower than this."""
    percent: float = Field(default=10.0, ge=0, le=100)
    """Share of the other traces kept."""
    decision_wait_seconds: int = Field(default=10, ge=1, le=120)
    """How long a trace's spans are gathered before it is decided."""


class TracingSettings(Settings):
    """Traces; the stack file's ``tracing`` section."""

    enabled: bool = True
    """Run the collector and give every workload the OTLP endpoint."""
    gateway_replicas: int = Field(default=2, ge=1, le=20)
    """Gateway pods (2+: a node loss does not drop spans)."""
    sampler_replicas: int = Field(default=2, ge=1, le=20)
    """Sampler pods (each owns the traces routed to it)."""
    sampling: Sampling = Sampling()
    """Tail-sampling policy."""

    @model_validator(mode="after")
    def _something_kept(self) -> TracingSettings:
        s = self.sampling
        if not s.keep_errors and s.percent == 0:
            raise ValueError(
                "sampling keeps only slow traces (keepErrors false, percent 0): keep errors "
                "or a share of the rest"
            )
        return self


def otlp_endpoint() -> str:
    """What the workloads send to (OTLP over HTTP)."""
    return f"http://{GATEWAY}.{NAMESPACE}.svc.cluster.local:{OTLP_HTTP_PORT}"


def workload_env(workload: str) -> list[dict[str, Any]]:
    """The OpenTelemetry SDKs' standard variables: an instrumented app needs nothing else.
    ``ENVIRONMENT`` comes from the namespace's ConfigMap (``envFrom``), which Kubernetes
    expands in ``$(...)`` before these."""
    return [
        {"name": "K8S_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "K8S_POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": otlp_endpoint()},
        {"name": "OTEL_EXPORTER_OTLP_PROTOCOL", "value": "http/protobuf"},
        {"name": "OTEL_SERVICE_NAME", "value": workload},
        {
            "name": "OTEL_RESOURCE_ATTRIBUTES",
            "value": (
                "deployment.environment.name=$(ENVIRONMENT),"
                "k8s.namespace.name=$(K8S_NAMESPACE),k8s.pod.name=$(K8S_POD_NAME)"
            ),
        },
        {"name": "OTEL_TRACES_SAMPLER", "value": "parentbased_always_on"},
        # the gateway takes traces only: SDKs that export metrics and logs by default stop
        {"name": "OTEL_METRICS_EXPORTER", "value": "none"},
        {"name": "OTEL_LOGS_EXPORTER", "value": "none"},
    ]


_UNUSED_RECEIVERS = {"jaeger": None, "zipkin": None, "prometheus": None}
_UNUSED_PORTS = {
    p: {"enabled": False} for p in ("jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin")
}


def _otlp_receiver() -> dict[str, Any]:
    return {
        "protocols": {
            "grpc": {"endpoint": f"${{env:MY_POD_IP}}:{OTLP_GRPC_PORT}"},
            "http": {"endpoint": f"${{env:MY_POD_IP}}:{OTLP_HTTP_PORT}"},
        }
    }


def gateway_config() -> dict[str, Any]:
    """OTLP in; every span of a trace to the same sampler pod."""
    return {
        "receivers": {**_UNUSED_RECEIVERS, "otlp": _otlp_receiver()},
        "exporters": {
            "loadbalancing": {
                "routing_key": "traceID",
                "protocol": {"otlp": {"tls": {"insecure": True}, "timeout": "5s"}},
                "resolver": {
                    "dns": {
                        "hostname": f"{SAMPLER}.{NAMESPACE}.svc.cluster.local",
                        "port": OTLP_GRPC_PORT,
                    }
                },
            }
        },
        "service": {
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    "processors": ["memory_limiter"],
                    "exporters": ["loadbalancing"],
                },
                "metrics": None,
                "logs": None,
            }
        },
    }


def sampling_policies(sampling: Sampling) -> list[dict[str, Any]]:
    policies: list[dict[str, Any]] = []
    if sampling.keep_errors:
        policies.append(
            {"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}}
        )
    policies.append(
        {
            "name": "slow",
            "type": "latency",
            "latency": {"threshold_ms": sampling.latency_threshold_ms},
        }
    )
    if sampling.percent > 0:
        policies.append(
            {
                "name": "share-of-the-rest",
                "type": "probabilistic",
                "probabilistic": {"sampling_percentage": sampling.percent},
            }
        )
    return policies


def sampler_config(region: str, sampling: Sampling) -> dict[str, Any]:
    """Whole traces in; the kept ones to X-Ray."""
    return {
        "receivers": {**_UNUSED_RECEIVERS, "otlp": _otlp_receiver()},
        "processors": {
            "tail_sampling": {
                "decision_wait": f"{sampling.decision_wait_seconds}s",
                "num_traces": 100000,
                # a trace is kept when any policy keeps it
                "policies": sampling_policies(sampling),
            }
        },
        "exporters": {"awsxray": {"region": region, "index_all_attributes": False}},
        "service": {
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    "processors": ["memory_limiter", "tail_sampling", "batch"],
                    "exporters": ["awsxray"],
                },
                "metrics": None,
                "logs": None,
            }
        },
    }


XRAY_STATEMENTS: list[Statement] = [
    {
        "Sid": "PutTraces",
        "Effect": "Allow",
        "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
        # X-Ray has no resource-level permissions for these (Service Authorization
        # Reference, "Actions defined by AWS X-Ray": no resource type)
        "Resource": "*",
    }
]


@dataclass(frozen=True, kw_only=True)
class TracingArgs:
    environment: str
    region: str
    k8s_provider: k8s.Provider
    oidc: OidcProvider
    settings: TracingSettings
    app_namespaces: Sequence[str]
    """Namespaces whose pods may send spans (the gateway's NetworkPolicy)."""
    ready: Sequence[pulumi.Resource] = field(default_factory=list)


class Tracing(pulumi.ComponentResource):
    """The two collector tiers and the sampler's X-Ray role."""

    def __init__(
        self, name: str, args: TracingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:Tracing", name, None, opts)
        namespace = pod_security_namespace(
            name, NAMESPACE, enforce="restricted", audit="restricted", parent=self,
            provider=args.k8s_provider,
        )  # fmt: skip
        role = service_account_role(
            f"{name}-sampler",
            oidc=args.oidc,
            namespace=NAMESPACE,
            service_account=SAMPLER,
            statements=XRAY_STATEMENTS,
            parent=self,
        )
        settings = args.settings
        after = [namespace, *args.ready]
        self.sampler = self._release(
            name, SAMPLER, args, after, collector_values(
                SAMPLER, settings.sampler_replicas, sampler_config(args.region, settings.sampling),
                role_arn=role.arn, headless=True,
            ),
        )  # fmt: skip
        self.gateway = self._release(
            name, GATEWAY, args, [*after, self.sampler], collector_values(
                GATEWAY, settings.gateway_replicas, gateway_config(), role_arn=None,
                headless=False,
            ),
        )  # fmt: skip
        for policy, spec in (
            ("otlp-from-apps", gateway_ingress_policy(args.app_namespaces)),
            ("otlp-from-gateway", sampler_ingress_policy()),
        ):
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{policy}",
                metadata={"name": policy, "namespace": NAMESPACE},
                spec=cast(Any, spec),
                opts=pulumi.ResourceOptions(
                    parent=self, provider=args.k8s_provider, depends_on=[namespace]
                ),
            )
        self.endpoint = otlp_endpoint()
        self.register_outputs({"endpoint": self.endpoint})

    def _release(
        self,
        name: str,
        tier: str,
        args: TracingArgs,
        after: Sequence[pulumi.Resource],
        values: dict[str, Any],
    ) -> k8s.helm.v3.Release:
        return chart_release(
            f"{name}-{tier}",
            "opentelemetry-collector",
            release=tier,
            namespace=NAMESPACE,
            values=values,
            # the nulls remove the chart's default receivers and pipelines (without this the
            # provider drops them before Helm sees them: pulumi-kubernetes#3178)
            allow_null_values=True,
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.k8s_provider, depends_on=list(after)
            ),
        )


def gateway_ingress_policy(app_namespaces: Sequence[str]) -> dict[str, Any]:
    """Only the app namespaces reach the gateway, on OTLP (the policy selects the gateway's
    pods: nothing else may connect to them)."""
    return {
        "podSelector": {"matchLabels": {"app.kubernetes.io/instance": GATEWAY}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [
                    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}}
                    for ns in sorted(app_namespaces)
                ],
                "ports": [
                    {"protocol": "TCP", "port": OTLP_GRPC_PORT},
                    {"protocol": "TCP", "port": OTLP_HTTP_PORT},
                ],
            }
        ],
    }


def sampler_ingress_policy() -> dict[str, Any]:
    """The sampler takes spans from the gateway only."""
    return {
        "podSelector": {"matchLabels": {"app.kubernetes.io/instance": SAMPLER}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/instance": GATEWAY}}}],
                "ports": [{"protocol": "TCP", "port": OTLP_GRPC_PORT}],
            }
        ],
    }


def collector_values(
    tier: str,
    replicas: int,
    config: dict[str, Any],
    *,
    role_arn: pulumi.Input[str] | None,
    headless: bool,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "mode": "deployment",
        "fullnameOverride": tier,
        "image": {"repository": CONTRIB_IMAGE},
        "replicaCount": replicas,
        "config": config,
        "ports": _UNUSED_PORTS,
        "serviceAccount": {
            "create": True,
            "name": tier,
            "annotations": {"eks.amazonaws.com/role-arn": role_arn} if role_arn else {},
        },
        "podDisruptionBudget": {"enabled": replicas > 1, "maxUnavailable": 1},
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/instance": tier}},
            }
        ],
        "resources": {
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"memory": "1Gi" if tier == SAMPLER else "512Mi"},
        },
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    if headless:
        # one A record per pod: the gateway's loadbalancing exporter picks the owner by trace id
        values["service"] = {"clusterIP": "None"}
    return values
