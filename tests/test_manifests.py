"""Rendered Kubernetes manifests of both stacks: strict schema validation and hardening."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from components import versions
from tests.components.test_keda import crd_schema
from tools.offline.harness import PlanResult
from tools.plan.manifests import is_manifest, manifest_of, write_manifests

CRD_GROUPS = ("external-secrets.io/", "monitoring.coreos.com/")
"""Custom resources have no schema in the Kubernetes OpenAPI; their controllers validate
them (and the tests below assert their fields)."""

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")


def _objects(plan: PlanResult) -> list[dict[str, Any]]:
    return [manifest_of(r) for r in plan.graph if is_manifest(r)]


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def test_every_object_validates_strictly(product: PlanResult) -> None:
    """Every object of the committed stacks and the examples, against the Kubernetes schema
    of the configured minor."""
    checked = 0
    version = product.config.get("platform:cluster", "{}")
    minor = json.loads(version).get("kubernetesVersion", versions.KUBERNETES_VERSION)
    for obj in _objects(product):
        if obj["apiVersion"].startswith(CRD_GROUPS):
            continue
        if obj["apiVersion"].startswith("keda.sh/"):
            # KEDA's kinds against the CRDs of the pinned chart (vendored)
            jsonschema.validate(obj, crd_schema(f"crd-{obj['kind'].lower()}s.yaml"))
            checked += 1
            continue
        if obj["kind"] == "Secret" and obj.get("stringData") == "[secret]":
            obj = {**obj, "stringData": {"masked": "value"}}  # a Pulumi secret, shown masked
        kubernetes_validate.validate(obj, f"{minor}.0", strict=True)
        checked += 1
    assert checked >= 20


def test_plan_writes_every_object_as_yaml(plan: PlanResult, tmp_path: Path) -> None:
    written = write_manifests(plan.graph, tmp_path)
    objects = [
        yaml.safe_load(p.read_text())
        for p in written
        if "helm" not in p.parts and "prometheus" not in p.parts
    ]
    assert len(objects) == len(_objects(plan))
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "Service", "Ingress", "NetworkPolicy", "ExternalSecret"} <= kinds


def test_pods_meet_restricted_pod_security(plan: PlanResult) -> None:
    workloads = [o for o in _objects(plan) if o["kind"] in WORKLOAD_KINDS]
    assert workloads
    for obj in workloads:
        pod = _pod_spec(obj)
        name = obj["metadata"]["name"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod.get("hostNetwork") is not True
        assert pod.get("automountServiceAccountToken") is False, name
        for container in pod["containers"] + pod.get("initContainers", []):
            ctx = container["securityContext"]
            assert ctx["allowPrivilegeEscalation"] is False, name
            assert ctx["readOnlyRootFilesystem"] is True, name
            assert ctx["capabilities"] == {"drop": ["ALL"]}, name
            assert ctx.get("privileged") is not True, name
            assert ctx["runAsUser"] >= 10000, name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
            image = container["image"]
            assert "@sha256:" in image or (":" in image.rsplit("/", 1)[-1]
                                           and not image.endswith(":latest")), name  # fmt: skip
        mounts = {m["mountPath"] for c in pod["containers"] for m in c.get("volumeMounts", [])}
        assert "/tmp" in mounts, name


def test_namespace_enforces_restricted(plan: PlanResult) -> None:
    (ns,) = [
        o for o in _objects(plan) if o["kind"] == "Namespace" and o["metadata"]["name"] == "apps"
    ]
    labels = ns["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


def _by_kind(plan: PlanResult, kind: str, namespace: str = "apps") -> dict[str, dict[str, Any]]:
    return {
        o["metadata"]["name"]: o
        for o in _objects(plan)
        if o["kind"] == kind and o["metadata"].get("namespace") == namespace
    }


def test_http_workload_probes_and_non_http_choices(plan: PlanResult) -> None:
    deployments = _by_kind(plan, "Deployment")
    (api,) = deployments["api"]["spec"]["template"]["spec"]["containers"]
    assert api["livenessProbe"]["httpGet"]["path"] == "/api/v1/health/live"
    assert api["readinessProbe"]["httpGet"]["path"] == "/api/v1/health/ready"
    assert api["startupProbe"]["httpGet"]["path"] == "/api/v1/health/live"
    (worker,) = deployments["worker"]["spec"]["template"]["spec"]["containers"]
    assert worker["livenessProbe"]["exec"]["command"][:2] == ["celery", "-A"]
    (beat,) = deployments["beat"]["spec"]["template"]["spec"]["containers"]
    assert "livenessProbe" not in beat


def test_rollouts_and_the_single_scheduler(plan: PlanResult) -> None:
    deployments = _by_kind(plan, "Deployment")
    for name in ("api", "worker"):
        strategy = deployments[name]["spec"]["strategy"]
        assert strategy["rollingUpdate"]["maxUnavailable"] == 0
    beat = deployments["beat"]["spec"]
    assert beat["replicas"] == 1
    assert beat["strategy"] == {"type": "Recreate"}
    assert "beat" not in _by_kind(plan, "HorizontalPodAutoscaler")
    assert "beat" not in _by_kind(plan, "PodDisruptionBudget")


@pytest.mark.parametrize(
    ("stack", "api", "worker"), [("staging", (1, 3), (0, 3)), ("production", (3, 20), (3, 20))]
)
def test_autoscaling_ranges(
    stack: str, api: tuple[int, int], worker: tuple[int, int], request: pytest.FixtureRequest
) -> None:
    plan = request.getfixturevalue(stack)
    hpas = _by_kind(plan, "HorizontalPodAutoscaler")
    spec = hpas["api"]["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == api
    assert {m["resource"]["name"] for m in spec["metrics"]} == {"cpu", "memory"}
    # the Celery worker scales on its queue (KEDA), not CPU
    assert set(hpas) == {"api"}
    scaled = _by_kind(plan, "ScaledObject")["worker"]["spec"]
    assert (scaled["minReplicaCount"], scaled["maxReplicaCount"]) == worker
    assert set(_by_kind(plan, "PodDisruptionBudget")) == {"api", "worker"}


def test_zone_spread_per_stack(staging: PlanResult, production: PlanResult) -> None:
    for plan, mode in ((production, "DoNotSchedule"), (staging, "ScheduleAnyway")):
        api = _by_kind(plan, "Deployment")["api"]["spec"]["template"]["spec"]
        zone = next(
            c for c in api["topologySpreadConstraints"]
            if c["topologyKey"] == "topology.kubernetes.io/zone"
        )  # fmt: skip
        assert zone["whenUnsatisfiable"] == mode


def test_default_deny_plus_narrow_allows(plan: PlanResult) -> None:
    policies = _by_kind(plan, "NetworkPolicy")
    assert policies["default-deny"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }
    dns = policies["allow-dns"]["spec"]["egress"][0]
    assert {p["port"] for p in dns["ports"]} == {53}
    api = policies["api-traffic"]["spec"]
    # only the ALB's subnets (and Prometheus): never the VPC, where every pod has an address
    alb_subnets = {
        s.inputs["cidrBlock"]
        for s in plan.graph.of_type("aws:ec2/subnet:Subnet")
        if s.inputs.get("tags", {}).get("kubernetes.io/role/elb") == "1"
    }
    assert len(alb_subnets) == 3
    from_alb, from_monitoring = api["ingress"]
    assert {peer["ipBlock"]["cidr"] for peer in from_alb["from"]} == alb_subnets
    vpc_cidr = {"staging": "10.20.0.0/16", "production": "10.10.0.0/16"}[plan.stack]
    assert all(peer["ipBlock"]["cidr"] != vpc_cidr for peer in from_alb["from"])
    assert from_monitoring["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ]
    assert all(rule["ports"] == [{"protocol": "TCP", "port": 8000}] for rule in api["ingress"])
    egress_ports = {p["port"] for rule in api["egress"] for p in rule["ports"]}
    assert egress_ports == {5432, 6379, 443, 4317, 4318}
    (otlp,) = [rule for rule in api["egress"] if 4318 in {p["port"] for p in rule["ports"]}]
    assert otlp["to"] == [{  # the collector gateway's pods, nothing else on those ports
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "telemetry"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/instance": "otel-gateway"}},
    }]  # fmt: skip
    assert policies["worker-traffic"]["spec"]["ingress"] == []


def test_ingress_is_https_only(plan: PlanResult) -> None:
    ingress = _by_kind(plan, "Ingress")["public"]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/group.name"] == plan.stack
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert annotations["alb.ingress.kubernetes.io/ssl-redirect"] == "443"
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"].startswith("arn:aws:acm:")
    assert annotations["alb.ingress.kubernetes.io/ssl-policy"].startswith("ELBSecurityPolicy-TLS13")
    # the health check is per target group, on the routed workload's Service
    service = _by_kind(plan, "Service")["api"]["metadata"]["annotations"]
    assert service["alb.ingress.kubernetes.io/healthcheck-path"] == "/api/v1/health/ready"
    assert (
        "access_logs.s3.enabled=true"
        in annotations["alb.ingress.kubernetes.io/load-balancer-attributes"]
    )


def test_secrets_come_from_external_secrets_only(plan: PlanResult) -> None:
    secrets = [o for o in _objects(plan) if o["kind"] == "Secret"]
    assert {s["metadata"]["namespace"] for s in secrets} <= {"monitoring"}
    for secret in secrets:  # made from Pulumi secrets: stored encrypted, shown masked
        assert secret["stringData"] == "[secret]"
    # each workload its own login; the master secret reaches the db-admin Job only
    externals = [o for o in _objects(plan) if o["kind"] == "ExternalSecret"]
    for external in externals:
        keys = {d["remoteRef"]["key"] for d in external["spec"]["data"]}
        if plan.outputs["databaseSecretArn"] in keys:
            assert external["metadata"]["namespace"] == "db-admin"
    apps = {e["metadata"]["name"]: e for e in externals if e["metadata"]["namespace"] == "apps"}
    assert set(apps) == {"api-credentials", "worker-credentials", "beat-credentials"}
    for workload in ("api", "worker", "beat"):
        keys = {d["remoteRef"]["key"] for d in apps[f"{workload}-credentials"]["spec"]["data"]}
        assert keys == {f"{plan.stack}/db/app_{workload}", plan.outputs["cacheAuthSecretArn"]}
    config = _by_kind(plan, "ConfigMap")["app-config"]["data"]
    assert config["DATABASE_HOST"] == plan.outputs["databaseEndpoint"]
    assert "PASSWORD" not in " ".join(config)


def test_app_pods_let_the_autoscaler_scale_their_nodes_in(plan: PlanResult) -> None:
    """Every app pod mounts emptyDirs; without this annotation the cluster autoscaler
    (skip-nodes-with-local-storage, true by default) never removes a node that runs one."""
    for name, deployment in _by_kind(plan, "Deployment").items():
        template = deployment["spec"]["template"]
        empty_dirs = {v["name"] for v in template["spec"]["volumes"] if "emptyDir" in v}
        annotation = template["metadata"]["annotations"][
            "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes"
        ]
        assert set(annotation.split(",")) == empty_dirs, name
