"""Scaling on work: KEDA, and the ScaledObjects that size a worker by its waiting messages.

A worker with ``autoscaling.queue`` gets a KEDA ``ScaledObject`` instead of a CPU HPA (KEDA
makes and owns the HPA ``keda-hpa-<workload>``; a second HPA on the same Deployment would fight
it). Two sources of work:

- ``sqs``: an SQS queue of the stack (``aws-sqs-queue`` scaler: visible plus in-flight
  messages). The KEDA operator reads the queue's attributes with its own role (IRSA, only
  ``sqs:GetQueueAttributes`` on exactly those queues) through the ``ClusterTriggerAuthentication``
  ``keda-aws`` (``podIdentity.provider: aws``; the deprecated ``aws-eks`` provider and
  ``identityOwner`` are not used).
- ``redisList``: a list on the stack's cache, e.g. Celery's default queue ``celery``
  (``redis`` scaler: ``LLEN``, over TLS, with the workload's own AUTH token from its credentials
  Secret through a ``TriggerAuthentication``).

``minReplicas: 0`` scales the worker to zero when no work waits (KEDA activates it at
``activationMessages``); the stack must allow it (``apps.scaleToZero``), which only test
environments do: the first message then waits for a pod, and maybe a node.

KEDA itself is the ``kedacore/keda`` chart (pinned in ``versions``, vendored with its CRDs
under tests/fixtures/upstream/charts/keda-<version>/), in namespace ``keda``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, model_validator

from ._shared import chart_release, pod_security_namespace
from ._util import Statement
from .iam_roles import OidcProvider, service_account_role
from .settings import Settings

NAMESPACE = "keda"
OPERATOR_SERVICE_ACCOUNT = "keda-operator"
"""The chart's operator ServiceAccount (``operator.name``): the only KEDA pod that calls AWS."""
AWS_AUTHENTICATION = "keda-aws"
"""ClusterTriggerAuthentication of the SQS triggers: the operator's own role."""
API_VERSION = "keda.sh/v1alpha1"
TRANSFER_HPA = {"scaledobject.keda.sh/transfer-hpa-ownership": "true"}
"""ScaledObject annotation: adopt the HPA named in ``horizontalPodAutoscalerConfig.name``
(the workload's former CPU HPA) instead of refusing the workload as already autoscaled."""
WEBHOOK_PORT = 9443
METRICS_API_PORT = 6443
"""Ports the EKS control plane calls on the KEDA pods (admission webhooks, external metrics)."""


class QueueScaling(Settings):
    """Scale a worker on the work waiting for it (KEDA), not on CPU: a workload's
    ``autoscaling.queue``."""

    sqs: str | None = None
    """An SQS queue of the stack (``queues``) the workload consumes."""
    redis_list: str | None = Field(default=None, min_length=1, max_length=256)
    """A list on the stack's cache (Celery's default queue is ``celery``)."""
    redis_in_flight_hash: str | None = Field(default=None, min_length=1, max_length=256)
    """With ``redisList``: a hash of the tasks delivered and not yet acknowledged (Kombu's
    ``unacked``: prefetched or running), a second trigger, so a busy worker is not sized by
    its waiting list alone, nor scaled to zero mid-task (KEDA takes the larger)."""
    messages_per_replica: int = Field(default=5, ge=1, le=100_000)
    """Waiting messages one replica is sized for (KEDA's ``queueLength``/``listLength``)."""
    activation_messages: int = Field(default=0, ge=0, le=100_000)
    """Above this many waiting messages a worker at zero is started."""
    polling_seconds: int = Field(default=30, ge=5, le=3600)
    """How often KEDA reads the queue while the worker is at zero (above zero the HPA reads
    it on its own ~15 s loop)."""
    cooldown_seconds: int = Field(default=300, ge=30, le=86_400)
    """How long the queue must stay empty before a worker goes back to zero: longer than the
    longest task (a Celery list holds waiting tasks only, not running ones)."""

    @model_validator(mode="after")
    def _one_source(self) -> QueueScaling:
        if (self.sqs is None) == (self.redis_list is None):
            raise ValueError("set exactly one of sqs (a queue of the stack) or redisList")
        if self.redis_in_flight_hash is not None and self.redis_list is None:
            raise ValueError("redisInFlightHash goes with redisList (SQS counts in-flight itself)")
        return self


@dataclass(frozen=True, kw_only=True)
class WorkSource:
    """Where a ScaledObject reads its work: the queue's URL (SQS) or the cache's address."""

    region: str
    queue_url: pulumi.Input[str] | None = None
    cache_host: pulumi.Input[str] | None = None
    cache_port: pulumi.Input[int] | None = None


def triggers(
    scaling: QueueScaling, source: WorkSource, cache_auth: str | None
) -> list[dict[str, Any]]:
    """The ScaledObject's one trigger (metadata values are strings, as the CRD requires)."""
    size, activation = str(scaling.messages_per_replica), str(scaling.activation_messages)
    if scaling.sqs is not None:
        return [
            {
                "type": "aws-sqs-queue",
                "metadata": {
                    "queueURL": source.queue_url,
                    "awsRegion": source.region,
                    "queueLength": size,
                    "activationQueueLength": activation,
                    # messages being worked on count: a busy worker is not scaled away
                    "scaleOnInFlight": "true",
                },
                "authenticationRef": {
                    "name": AWS_AUTHENTICATION,
                    "kind": "ClusterTriggerAuthentication",
                },
            }
        ]
    address = pulumi.Output.concat(
        source.cache_host or "", ":", pulumi.Output.from_input(source.cache_port or 0).apply(str)
    )
    # the scaler's script reads a list with LLEN and a hash with HLEN (redis_scaler.go)
    keys = [k for k in (scaling.redis_list, scaling.redis_in_flight_hash) if k is not None]
    return [
        {
            "type": "redis",
            "metadata": {
                "address": address,
                "listName": key,
                "listLength": size,
                "activationListLength": activation,
                "enableTLS": "true",
            },
            "authenticationRef": {"name": cache_auth, "kind": "TriggerAuthentication"},
        }
        for key in keys
    ]


def scaled_object_spec(
    workload: str,
    *,
    min_replicas: int,
    max_replicas: int,
    scaling: QueueScaling,
    trigger_list: list[dict[str, Any]],
) -> dict[str, Any]:
    """The ScaledObject of ``workload``'s Deployment: bounds, polling, cool-down, a slow
    scale-down (the same 5-minute window as the CPU HPAs) and a fallback when the queue cannot
    be read while replicas run (the current replicas, at least ``max(min, 1)``; a worker at
    zero stays there until the queue can be read)."""
    return {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": workload},
        # min > 0: KEDA's HPA polls; these two only act at zero (activation and scale-in)
        "minReplicaCount": min_replicas,
        "maxReplicaCount": max_replicas,
        "pollingInterval": scaling.polling_seconds,
        "cooldownPeriod": scaling.cooldown_seconds,
        "fallback": {
            "failureThreshold": 3,
            "replicas": max(min_replicas, 1),
            "behavior": "currentReplicasIfHigher",
        },
        "advanced": {
            "horizontalPodAutoscalerConfig": {
                # the HPA keeps the workload's name: a worker moving from its CPU HPA to KEDA is
                # adopted (TRANSFER_HPA below), not refused by KEDA's webhook
                "name": workload,
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
            }
        },
        "triggers": trigger_list,
    }


def queue_depth_statements(queue_arns: Sequence[str]) -> list[Statement]:
    """The operator reads the scaled queues' message counts, nothing else."""
    return [
        {
            "Sid": "ReadQueueDepth",
            "Effect": "Allow",
            "Action": "sqs:GetQueueAttributes",
            "Resource": sorted(queue_arns),
        }
    ]


CHART_COMPONENTS = {"operator": "operator", "metricServer": "metricsServer", "webhooks": "webhooks"}
"""The chart's components: ``resources.<key>`` -> the top-level key holding that component's
``replicaCount`` (the chart spells the metrics server both ways)."""


def keda_values(replicas: int, role_arn: pulumi.Input[str] | None) -> dict[str, Any]:
    """Chart values: CRDs kept on uninstall (every ScaledObject would go with them), the
    operator's IRSA role, replicas and PDBs for the operator and webhooks (one metrics API
    server: only one can serve ``external.metrics.k8s.io``; KEDA docs, "Cluster", HA)."""
    values: dict[str, Any] = {
        "crds": {"install": True, "additionalAnnotations": {"helm.sh/resource-policy": "keep"}},
        "operator": {"replicaCount": replicas},
        "webhooks": {"replicaCount": replicas},
        "metricsServer": {"replicaCount": 1},
        # the chart's defaults, stated: the plan prices the node capacity they reserve
        "resources": {
            component: {
                "requests": {"cpu": "100m", "memory": "100Mi"},
                "limits": {"cpu": "1", "memory": "1000Mi"},
            }
            for component in CHART_COMPONENTS
        },
    }
    if role_arn is not None:
        values["podIdentity"] = {"aws": {"irsa": {"enabled": True, "roleArn": role_arn}}}
        # EKS injects the role when a pod starts: a role added later must roll the operator
        values["podAnnotations"] = {"keda": {"platform/irsa-role-arn": role_arn}}
    if replicas > 1:
        values["podDisruptionBudget"] = {
            "operator": {"maxUnavailable": 1},
            "webhooks": {"maxUnavailable": 1},
        }
    return values


@dataclass(frozen=True, kw_only=True)
class KedaArgs:
    k8s_provider: k8s.Provider
    oidc: OidcProvider
    replicas: int
    """Operator and webhook replicas (2+: a node loss does not stop scaling)."""
    queue_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """SQS queues some worker scales on: the operator may read their attributes."""
    ready: Sequence[pulumi.Resource] = ()


class Keda(pulumi.ComponentResource):
    """KEDA (operator, metrics API server, webhooks), its role and the AWS authentication."""

    release: k8s.helm.v3.Release
    ready: list[pulumi.Resource]
    """Wait for these before creating ScaledObjects (the CRDs and the webhooks)."""

    def __init__(self, name: str, args: KedaArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:components:Keda", name, None, opts)
        namespace = pod_security_namespace(
            name, NAMESPACE, enforce="restricted", audit="restricted", parent=self,
            provider=args.k8s_provider,
        )  # fmt: skip
        role_arn: pulumi.Output[str] | None = None
        if args.queue_arns:
            role = service_account_role(
                f"{name}-operator",
                oidc=args.oidc,
                namespace=NAMESPACE,
                service_account=OPERATOR_SERVICE_ACCOUNT,
                statements=pulumi.Output.all(*args.queue_arns.values()).apply(
                    queue_depth_statements
                ),
                parent=self,
            )
            role_arn = role.arn
        self.release = chart_release(
            name,
            "keda",
            release="keda",
            namespace=NAMESPACE,
            values=keda_values(args.replicas, role_arn),
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.k8s_provider, depends_on=[namespace, *args.ready]
            ),
        )
        self.ready = [self.release]
        if args.queue_arns:
            self.ready.append(
                k8s.apiextensions.CustomResource(
                    f"{name}-aws",
                    api_version=API_VERSION,
                    kind="ClusterTriggerAuthentication",
                    metadata={"name": AWS_AUTHENTICATION},
                    # identityOwner "keda" (the default): the operator's IRSA role
                    spec={"podIdentity": {"provider": "aws"}},
                    opts=pulumi.ResourceOptions(
                        parent=self, provider=args.k8s_provider, depends_on=[self.release]
                    ),
                )
            )
        self.register_outputs({"namespace": NAMESPACE})
