"""Container logs and traces (issue #22): every namespace with pods ships its logs to its own
log group and nowhere else; the collector receives OTLP and exports to X-Ray; every workload
gets the OTLP environment; the collector components exist in the pinned distribution."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.log_shipping import TAG_PARSER_REGEX, TAG_REGEX
from components.tracing import gateway_config
from tests.conftest import run_stack_config, stack_config
from tools.offline.harness import PlanResult

RELEASE = "kubernetes:helm.sh/v3:Release"
CONTRIB = Path(__file__).parents[1] / "fixtures/upstream/otelcol-contrib-0.158.0/manifest.yaml"


def _release(plan: PlanResult, name: str) -> dict[str, Any]:
    (release,) = [r for r in plan.graph.of_type(RELEASE) if r.inputs["name"] == name]
    return release.inputs


def _release_resource(plan: PlanResult, name: str) -> Any:
    (release,) = [r for r in plan.graph.of_type(RELEASE) if r.inputs["name"] == name]
    return release


def _pod_namespaces(plan: PlanResult) -> set[str]:
    """Where the plan runs pods: every namespace it creates or deploys a chart or object to."""
    found = set()
    for resource in plan.graph.resources:
        if not resource.type.startswith("kubernetes:"):
            continue
        inputs = resource.inputs
        meta = inputs.get("metadata") or {}
        if resource.type == "kubernetes:core/v1:Namespace":
            found.add(meta["name"])
        elif resource.type == RELEASE:
            found.add(inputs["namespace"])
        elif meta.get("namespace"):
            found.add(meta["namespace"])
    return found


def _onigmo(regex: str) -> re.Pattern[str]:
    """Fluent Bit's Onigmo named groups in Python's spelling."""
    return re.compile(regex.replace("(?<", "(?P<"))


def test_every_namespace_with_pods_ships_its_logs_to_its_own_group(plan: PlanResult) -> None:
    config = _release(plan, "fluent-bit")["values"]["config"]
    namespaces = _pod_namespaces(plan)
    assert {"kube-system", "monitoring", "backups", "logging", "telemetry"} <= namespaces
    paths = re.search(r"Path\s+(\S+)", config["inputs"])[1].split(",")  # type: ignore[index]
    assert sorted(paths) == sorted(f"/var/log/containers/*_{ns}_*.log" for ns in namespaces)
    outputs = {
        re.search(r"Match\s+kube\.(\S+)\.\*", block)[1]: block  # type: ignore[index]
        for block in config["outputs"].split("[OUTPUT]")[1:]
    }
    assert set(outputs) == namespaces
    groups = {g.inputs["name"]: g for g in plan.graph.of_type("aws:cloudwatch/logGroup:LogGroup")}
    keys = {k.outputs["arn"] for k in plan.graph.of_type("aws:kms/key:Key")}
    for ns, block in outputs.items():
        name = f"/{plan.stack}/containers/{ns}"
        assert f"log_group_name       {name}" in block
        assert "auto_create_group    false" in block
        assert groups[name].inputs["kmsKeyId"] in keys
        assert groups[name].inputs["retentionInDays"] == (7 if plan.stack == "staging" else 30)
    grant = plan.graph.named(f"{plan.stack}-logs-fluent-bit", "aws:iam/rolePolicy:RolePolicy")
    (statement,) = json.loads(grant.inputs["policy"])["Statement"]
    assert set(statement["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert sorted(statement["Resource"]) == sorted(
        f"{groups[f'/{plan.stack}/containers/{ns}'].outputs['arn']}:*" for ns in namespaces
    )


@pytest.mark.parametrize(
    ("file", "namespace", "pod", "container"),
    [
        ("api-7d9f8b6c5d-x2x9k_apps_api-" + "a" * 64 + ".log", "apps", "api-7d9f8b6c5d-x2x9k",
         "api"),
        ("pg-dump-29170740-4hx2p_backups_aws-cli-" + "0" * 64 + ".log", "backups",
         "pg-dump-29170740-4hx2p", "aws-cli"),
        ("web.v2-0_shop_nginx-" + "f" * 64 + ".log", "shop", "web.v2-0", "nginx"),
    ],
)  # fmt: skip
def test_the_tag_carries_namespace_pod_and_container(
    file: str, namespace: str, pod: str, container: str
) -> None:
    """The tail input's Tag_Regex reads the kubelet's file name; the filter's parser reads the
    tag back (a dotted pod name included)."""
    fields = _onigmo(TAG_REGEX).search(file).groupdict()  # type: ignore[union-attr]
    assert (fields["namespace_name"], fields["pod_name"], fields["container_name"]) == (
        namespace, pod, container
    )  # fmt: skip
    tag = f"{namespace}.{pod}.{container}.{fields['container_id']}"
    assert "docker_id" in _onigmo(TAG_PARSER_REGEX).groupindex  # what the filter reads
    back = _onigmo(TAG_PARSER_REGEX).match(tag).groupdict()  # type: ignore[union-attr]
    assert (back["namespace_name"], back["pod_name"], back["container_name"]) == (
        namespace, pod, container
    )  # fmt: skip


def test_the_collector_receives_otlp_and_exports_sampled_traces_to_xray(
    production: PlanResult,
) -> None:
    gateway = _release(production, "otel-gateway")["values"]
    sampler = _release(production, "otel-sampler")["values"]
    assert gateway["replicaCount"] == sampler["replicaCount"] == 2
    assert gateway["podDisruptionBudget"]["enabled"] is True
    pipeline = gateway["config"]["service"]["pipelines"]["traces"]
    assert pipeline["receivers"] == ["otlp"]
    assert pipeline["exporters"] == ["loadbalancing"]
    balancing = gateway["config"]["exporters"]["loadbalancing"]
    assert balancing["routing_key"] == "traceID"
    # every span of a trace to one sampler pod: the sampler's Service is headless
    assert balancing["resolver"]["dns"]["hostname"] == "otel-sampler.telemetry.svc.cluster.local"
    assert sampler["fullnameOverride"] == "otel-sampler"
    assert sampler["service"] == {"clusterIP": "None"}
    kept = sampler["config"]["service"]["pipelines"]["traces"]
    assert kept == {"receivers": ["otlp"], "processors": ["memory_limiter", "tail_sampling",
                    "batch"], "exporters": ["awsxray"]}  # fmt: skip
    assert sampler["config"]["exporters"]["awsxray"]["region"] == "us-east-1"
    policies = {p["name"]: p for p in sampler["config"]["processors"]["tail_sampling"]["policies"]}
    assert policies["errors"]["status_code"] == {"status_codes": ["ERROR"]}
    assert policies["slow"]["latency"] == {"threshold_ms": 1000}
    assert policies["share-of-the-rest"]["probabilistic"] == {"sampling_percentage": 10.0}
    # the nulls that remove the chart's default receivers and pipelines reach Helm
    assert _release_resource(production, "otel-gateway").inputs["allowNullValues"] is True
    assert gateway_config()["service"]["pipelines"]["metrics"] is None
    role = production.graph.named("production-tracing-sampler", "aws:iam/role:Role")
    assert sampler["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": role.outputs["arn"]
    }
    grant = production.graph.named("production-tracing-sampler", "aws:iam/rolePolicy:RolePolicy")
    (statement,) = json.loads(grant.inputs["policy"])["Statement"]
    assert statement["Action"] == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]


def test_every_collector_component_is_in_the_pinned_distribution(production: PlanResult) -> None:
    modules = {m["gomod"].split()[0].rsplit("/", 1)[-1]
               for kind in ("receivers", "processors", "exporters", "extensions")
               for m in yaml.safe_load(CONTRIB.read_text()).get(kind, [])}  # fmt: skip
    suffix = {"receivers": "receiver", "processors": "processor", "exporters": "exporter"}
    for tier in ("otel-gateway", "otel-sampler"):
        pipelines = _release(production, tier)["values"]["config"]["service"]["pipelines"]
        for pipeline in pipelines.values():
            if pipeline is None:
                continue
            for kind, names in pipeline.items():
                for name in names:
                    assert f"{name.replace('_', '')}{suffix[kind]}" in modules, (tier, name)


def test_every_workload_gets_the_otlp_environment(plan: PlanResult) -> None:
    deployments = plan.graph.of_type("kubernetes:apps/v1:Deployment")
    apps = stack_config(plan.stack)["platform:apps"]["workloads"]
    for deployment in deployments:
        name = deployment.inputs["metadata"]["name"]
        if name not in apps:
            continue
        (container,) = deployment.inputs["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == (
            "http://otel-gateway.telemetry.svc.cluster.local:4318"
        )
        assert env["OTEL_SERVICE_NAME"] == name
        assert "deployment.environment.name=$(ENVIRONMENT)" in env["OTEL_RESOURCE_ATTRIBUTES"]


BAD = [
    ("sampling-keeps-only-slow-traces",
     {"platform:tracing": {"sampling": {"keepErrors": False, "percent": 0}}},
     ["platform:tracing", "keep errors or a share of the rest"]),
    ("log-retention-not-a-cloudwatch-value", {"platform:logging": {"retentionDays": 10}},
     ["platform:logging.retentionDays", "not a CloudWatch Logs retention"]),
]  # fmt: skip


@pytest.mark.parametrize(("override", "fragments"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_telemetry_config(override: dict[str, Any], fragments: list[str]) -> None:
    config = {**stack_config("production"), **override}
    result = run_stack_config(config, "production")
    assert result.error is not None
    for fragment in fragments:
        assert fragment in result.error, result.error


def test_grafana_queries_the_container_logs_read_only(production: PlanResult) -> None:
    values = _release(production, "kube-prometheus-stack")["values"]["grafana"]
    (source,) = values["additionalDataSources"]
    assert (source["type"], source["jsonData"]["authType"]) == ("cloudwatch", "default")
    role = production.graph.named("production-monitoring-grafana", "aws:iam/role:Role")
    assert values["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": role.outputs["arn"]
    }
    grant = production.graph.named("production-monitoring-grafana", "aws:iam/rolePolicy:RolePolicy")
    actions = {a for s in json.loads(grant.inputs["policy"])["Statement"] for a in s["Action"]}
    reads = ("Get", "Describe", "StartQuery", "StopQuery")
    assert actions
    assert all(a.split(":")[1].startswith(reads) for a in actions), actions
