"""Scaling on work (issue #21): KEDA from its pinned chart, a ScaledObject instead of the CPU
HPA for queue-scaled workers (valid against the vendored CRDs), the operator's role reading
exactly the scaled queues, scale to zero in test environments only."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from components import versions
from components.keda import AWS_AUTHENTICATION, NAMESPACE, OPERATOR_SERVICE_ACCOUNT
from environment.config import ConfigError, parse_stack_config
from tests.conftest import EXAMPLES, REPO, planned, stack_config
from tools.offline.harness import PlanResult
from tools.report.report import build

CHART = REPO / "tests/fixtures/upstream/charts" / f"keda-{versions.HELM_CHARTS['keda'].version}"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
TRIGGER_AUTH = "kubernetes:keda.sh/v1alpha1:TriggerAuthentication"
CLUSTER_TRIGGER_AUTH = "kubernetes:keda.sh/v1alpha1:ClusterTriggerAuthentication"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
MARKETPLACE = next(p for p in EXAMPLES if p.name == "Pulumi.marketplace.yaml")


def crd_schema(file: str) -> dict[str, Any]:
    """The openAPIV3Schema of a vendored CRD (a Helm template: its template lines dropped)."""
    text = "\n".join(line for line in (CHART / file).read_text().splitlines() if "{{" not in line)
    crd = yaml.safe_load(text)
    (version,) = [v for v in crd["spec"]["versions"] if v["storage"]]
    return version["schema"]["openAPIV3Schema"]


def _valid(resource: Any, file: str) -> None:
    """The object as the API server would get it, against the CRD's schema."""
    body = {
        "apiVersion": resource.inputs["apiVersion"],
        "kind": resource.inputs["kind"],
        "metadata": resource.inputs["metadata"],
        "spec": resource.inputs["spec"],
    }
    jsonschema.validate(body, crd_schema(file))


def _by_name(plan: PlanResult, type_: str) -> dict[str, Any]:
    return {r.inputs["metadata"]["name"]: r for r in plan.graph.of_type(type_)}


@pytest.fixture(scope="module")
def marketplace() -> PlanResult:
    return planned(MARKETPLACE)


def test_a_queue_scaled_worker_has_a_scaled_object_and_no_hpa(production: PlanResult) -> None:
    scaled, hpas = _by_name(production, SCALED_OBJECT), _by_name(production, HPA)
    assert set(scaled) == {"worker"}
    assert "worker" not in hpas  # KEDA owns keda-hpa-worker; a second HPA would fight it
    assert "api" in hpas  # the http workload still scales on CPU
    spec = scaled["worker"].inputs["spec"]
    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "worker",
    }
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (3, 20)
    assert spec["fallback"]["replicas"] == 3
    # the CPU HPA the worker had is adopted by KEDA under its own name, not refused
    annotations = scaled["worker"].inputs["metadata"]["annotations"]
    assert annotations == {"scaledobject.keda.sh/transfer-hpa-ownership": "true"}
    assert spec["advanced"]["horizontalPodAutoscalerConfig"]["name"] == "worker"
    _valid(scaled["worker"], "crd-scaledobjects.yaml")


def test_celery_list_is_read_with_the_workers_own_cache_token(production: PlanResult) -> None:
    trigger, in_flight = _by_name(production, SCALED_OBJECT)["worker"].inputs["spec"]["triggers"]
    assert trigger["type"] == "redis"
    # Kombu's unacked hash (prefetched and running tasks): KEDA sizes by the larger, so a
    # busy worker is not scaled in (or to zero) because the waiting list is empty
    assert in_flight == {**trigger, "metadata": {**trigger["metadata"], "listName": "unacked"}}
    cache = production.graph.of_type("aws:elasticache/replicationGroup:ReplicationGroup")[0]
    host = cache.outputs["primaryEndpointAddress"]
    assert trigger["metadata"] == {
        "address": f"{host}:6379",
        "listName": "celery",
        "listLength": "10",
        "activationListLength": "0",
        "enableTLS": "true",
    }
    auth = _by_name(production, TRIGGER_AUTH)[trigger["authenticationRef"]["name"]]
    assert trigger["authenticationRef"]["kind"] == "TriggerAuthentication"
    assert auth.inputs["metadata"]["namespace"] == "apps"
    (ref,) = auth.inputs["spec"]["secretTargetRef"]
    # the key the namespace's ExternalSecret writes into the worker's credentials Secret
    secret = _by_name(production, "kubernetes:external-secrets.io/v1:ExternalSecret")[
        "worker-credentials"
    ]
    keys = {d["secretKey"] for d in secret.inputs["spec"]["data"]}
    assert ref == {"parameter": "password", "name": "worker-credentials", "key": "CACHE_AUTH_TOKEN"}
    assert ref["key"] in keys
    _valid(auth, "crd-triggerauthentications.yaml")


def test_sqs_scaling_reads_exactly_the_scaled_queue(marketplace: PlanResult) -> None:
    (trigger,) = _by_name(marketplace, SCALED_OBJECT)["notifier"].inputs["spec"]["triggers"]
    queue = next(
        q for q in marketplace.graph.of_type("aws:sqs/queue:Queue")
        if q.inputs["name"] == "marketplace-notifications"
    )  # fmt: skip
    assert trigger["type"] == "aws-sqs-queue"
    assert trigger["metadata"]["queueURL"] == queue.outputs["url"]
    assert trigger["metadata"]["queueLength"] == "20"
    assert trigger["metadata"]["awsRegion"] == "us-west-2"
    assert "identityOwner" not in trigger["metadata"]  # deprecated with aws-eks
    assert trigger["authenticationRef"] == {
        "name": AWS_AUTHENTICATION,
        "kind": "ClusterTriggerAuthentication",
    }
    auth = _by_name(marketplace, CLUSTER_TRIGGER_AUTH)[AWS_AUTHENTICATION]
    assert auth.inputs["spec"] == {"podIdentity": {"provider": "aws"}}
    _valid(auth, "crd-clustertriggerauthentications.yaml")
    _valid(_by_name(marketplace, SCALED_OBJECT)["notifier"], "crd-scaledobjects.yaml")

    role = marketplace.graph.named("marketplace-keda-operator", "aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    (condition,) = [s["Condition"]["StringEquals"] for s in trust["Statement"]]
    assert f"system:serviceaccount:{NAMESPACE}:{OPERATOR_SERVICE_ACCOUNT}" in condition.values()
    policy = json.loads(
        marketplace.graph.named("marketplace-keda-operator", "aws:iam/rolePolicy:RolePolicy")
        .inputs["policy"]
    )  # fmt: skip
    (statement,) = policy["Statement"]
    assert statement["Action"] == "sqs:GetQueueAttributes"
    assert statement["Resource"] == [queue.outputs["arn"]]
    (release,) = [r for r in marketplace.graph.of_type("kubernetes:helm.sh/v3:Release")
                  if r.inputs["chart"] == "keda"]  # fmt: skip
    irsa = release.inputs["values"]["podIdentity"]["aws"]["irsa"]
    assert irsa == {"enabled": True, "roleArn": role.outputs["arn"]}
    # the operator's pods roll when the role changes (EKS injects it at pod start)
    pod = release.inputs["values"]["podAnnotations"]["keda"]
    assert role.outputs["arn"] in pod.values()


def test_the_operator_service_account_is_the_charts(marketplace: PlanResult) -> None:
    """The role's subject is the ServiceAccount the chart makes
    (``serviceAccount.operator.name``)."""
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["serviceAccount"]["operator"]["name"] == OPERATOR_SERVICE_ACCOUNT
    template = (CHART / "template-values.txt").read_text().split()
    assert "podIdentity.aws.irsa.roleArn" in template


def test_keda_release_keeps_its_crds_and_is_highly_available(
    staging: PlanResult, production: PlanResult
) -> None:
    def values(plan: PlanResult) -> dict[str, Any]:
        (release,) = [r for r in plan.graph.of_type("kubernetes:helm.sh/v3:Release")
                      if r.inputs["chart"] == "keda"]  # fmt: skip
        assert release.inputs["version"] == versions.HELM_CHARTS["keda"].version
        assert release.inputs["namespace"] == NAMESPACE
        return release.inputs["values"]

    prod, stage = values(production), values(staging)
    # an uninstall must not delete the CRDs, and every ScaledObject with them
    assert prod["crds"]["additionalAnnotations"] == {"helm.sh/resource-policy": "keep"}
    assert prod["operator"]["replicaCount"] == prod["webhooks"]["replicaCount"] == 2
    assert prod["metricsServer"]["replicaCount"] == 1  # one server of external.metrics.k8s.io
    assert set(prod["podDisruptionBudget"]) == {"operator", "webhooks"}
    assert stage["operator"]["replicaCount"] == 1
    assert "podDisruptionBudget" not in stage  # a budget for one replica would block drains
    # redis-only scaling needs no AWS role
    assert "podIdentity" not in prod
    assert not [r for r in production.graph.of_type("aws:iam/role:Role") if "keda" in r.name]
    # the vendored CRDs define the kinds the program creates
    crds = {re.sub(r"^crd-|\.yaml$", "", p.name) for p in Path(CHART).glob("crd-*.yaml")}
    assert crds == {"scaledobjects", "triggerauthentications", "clustertriggerauthentications"}


def test_scale_to_zero_in_staging_only(staging: PlanResult) -> None:
    spec = _by_name(staging, SCALED_OBJECT)["worker"].inputs["spec"]
    assert spec["minReplicaCount"] == 0
    # with replicas running, an unreadable list keeps at least one (at zero KEDA waits)
    assert spec["fallback"]["replicas"] == 1
    production = copy.deepcopy(stack_config("production"))
    production["platform:apps"]["workloads"]["worker"]["autoscaling"]["minReplicas"] = 0
    with pytest.raises(ConfigError) as info:
        parse_stack_config(production, "production")
    assert "workloads.worker.autoscaling.minReplicas" in str(info.value)
    assert "apps.scaleToZero" in str(info.value)


def _refused(change: Any, *fragments: str) -> None:
    config = copy.deepcopy(stack_config("staging"))
    change(config)
    with pytest.raises(ConfigError) as info:
        parse_stack_config(config, "staging")
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


def _worker(config: dict[str, Any]) -> dict[str, Any]:
    return config["platform:apps"]["workloads"]["worker"]


def test_queue_scaling_config_errors_name_the_key() -> None:
    _refused(lambda c: _worker(c)["autoscaling"]["queue"].update(sqs="jobs"),
             "exactly one of sqs", "redisList")  # fmt: skip
    sqs_with_hash = {"sqs": "jobs", "redisInFlightHash": "unacked"}
    _refused(lambda c: _worker(c)["autoscaling"].update(queue=sqs_with_hash),
             "redisInFlightHash goes with")  # fmt: skip
    _refused(lambda c: _worker(c)["autoscaling"].update(queue={"sqs": "jobs"}),
             "apps.workloads.worker.autoscaling.queue.sqs", "'jobs'")  # fmt: skip
    _refused(lambda c: c["platform:apps"]["workloads"]["api"].update(
        autoscaling={"minReplicas": 1, "maxReplicas": 3, "queue": {"redisList": "celery"}}),
        "workloads.api.autoscaling.queue", "kind 'worker'")  # fmt: skip

    def cluster_mode(config: dict[str, Any]) -> None:
        config["platform:cache"].update(clusterMode=True, shards=2)
        for workload in config["platform:apps"]["workloads"].values():  # no Celery
            workload["command"] = ["node", "worker.js"]
            workload.pop("probe", None)
            workload.pop("probeCommand", None)

    _refused(cluster_mode, "autoscaling.queue.redisList", "clusterMode false")
    _refused(lambda c: c["platform:apps"]["workloads"]["api"]["autoscaling"].update(minReplicas=0),
             "minReplicas 0 needs queue scaling")  # fmt: skip


def test_keda_is_priced_as_the_node_capacity_it_reserves(production: PlanResult) -> None:
    (line,) = [x for x in build(production).cost.lines if x.item == "KEDA pods (node capacity)"]
    # 2 operators + 2 webhooks + 1 metrics server at 100m each, m7i.large's $/vCPU-hour
    assert line.monthly_usd == round(0.5 * 0.1008 / 2 * 730, 2)
