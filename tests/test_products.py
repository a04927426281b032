"""Any product shape by stack file alone: the committed stacks and every example.

Each property is read from the planned graph (what ``pulumi up`` would create) and held
against the stack file's own config: routing through the one ALB, health checks, who can
talk to whom (a NetworkPolicy evaluator, both directions), scraping and alerting, secrets by
reference only, migrations before the rollouts of their image.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import yaml

from environment.config import parse_stack_config
from environment.config.model import StackConfig
from tools.offline.harness import PlanResult
from tools.plan.manifests import is_manifest, manifest_of


def _config(plan: PlanResult) -> StackConfig:
    flat = dict(plan.config.items())
    return parse_stack_config(flat, plan.stack)


def _objects(plan: PlanResult, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
    manifests = (manifest_of(r) for r in plan.graph if is_manifest(r))
    return [
        m
        for m in manifests
        if m["kind"] == kind and (namespace is None or m["metadata"].get("namespace") == namespace)
    ]


def test_one_alb_for_every_public_workload(product: PlanResult) -> None:
    """One Ingress, in the environment's IngressGroup, with one load balancer name: the
    controller makes exactly one ALB however many workloads and hosts it routes."""
    cfg = _config(product)
    ingresses = _objects(product, "Ingress")
    (ingress,) = ingresses
    annotations = ingress["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/group.name"] == cfg.environment
    assert (
        annotations["alb.ingress.kubernetes.io/load-balancer-name"] == f"{cfg.environment}-public"
    )
    if cfg.apps.ingress.cdn is None:
        assert annotations["alb.ingress.kubernetes.io/ssl-redirect"] == "443"
    else:  # behind CloudFront: HTTPS only (the CDN redirects viewers' HTTP)
        assert annotations["alb.ingress.kubernetes.io/listen-ports"] == '[{"HTTPS": 443}]'
    arns = annotations["alb.ingress.kubernetes.io/certificate-arn"].split(",")
    if cfg.apps.ingress.certificate_arns:
        assert arns == list(cfg.apps.ingress.certificate_arns)
    else:  # issued in the hosted zone: the validated certificates
        validated = [
            v for v in product.graph.of_type("aws:acm/certificateValidation:CertificateValidation")
            if v.name.startswith(f"{cfg.environment}-certificates-")  # not the CDN's
        ]  # fmt: skip
        assert arns == [v.outputs["certificateArn"] for v in validated]
    assert set(ingress["spec"]["tls"][0]["hosts"]) == set(cfg.apps.ingress.hosts)


def _route(ingress: dict[str, Any], host: str, path: str) -> tuple[str, int] | None:
    """What the ALB does with a request: the longest matching prefix among the host's rules
    in their order (the controller's rule priority follows the order of the paths)."""
    for rule in ingress["spec"]["rules"]:
        if rule["host"] != host:
            continue
        for candidate in rule["http"]["paths"]:
            prefix = candidate["path"]
            if path == prefix or prefix == "/" or path.startswith(prefix.rstrip("/") + "/"):
                backend = candidate["backend"]["service"]
                return backend["name"], backend["port"]["number"]
    return None


def test_every_route_reaches_its_workload_and_the_longest_prefix_wins(
    product: PlanResult,
) -> None:
    cfg = _config(product)
    (ingress,) = _objects(product, "Ingress")
    services = {s["metadata"]["name"]: s for s in _objects(product, "Service", cfg.apps.namespace)}
    deployments = {
        d["metadata"]["name"]: d for d in _objects(product, "Deployment", cfg.apps.namespace)
    }
    for route in cfg.apps.ingress.routes:
        for host in route.hosts:
            for path in route.paths:
                probe = path if path == "/" else f"{path}/x"
                # the longest configured prefix that covers the probe wins
                expected = max(
                    (
                        (len(p), r.workload)
                        for r in cfg.apps.ingress.routes
                        if host in r.hosts
                        for p in r.paths
                        if p == "/" or probe == p or probe.startswith(p + "/")
                    ),
                )[1]
                service, port = _route(ingress, host, probe) or ("", 0)
                assert service == expected == route.workload or service == expected, (host, path)
                # the Service forwards that port to the workload's pods and container port
                svc = services[service]
                (svc_port,) = [p for p in svc["spec"]["ports"] if p["port"] == port]
                assert svc["spec"]["selector"] == {
                    "app.kubernetes.io/name": service,
                    "app.kubernetes.io/part-of": "product",
                }
                container = deployments[service]["spec"]["template"]["spec"]["containers"][0]
                named = {p["name"]: p["containerPort"] for p in container["ports"]}
                assert named[svc_port["targetPort"]] == cfg.apps.workloads[service].port


def test_alb_health_check_is_each_public_workloads_readiness_path(product: PlanResult) -> None:
    cfg = _config(product)
    services = {s["metadata"]["name"]: s for s in _objects(product, "Service", cfg.apps.namespace)}
    for name, workload in cfg.apps.workloads.items():
        if workload.exposure != "public":
            continue
        annotations = services[name]["metadata"]["annotations"]
        assert annotations["alb.ingress.kubernetes.io/healthcheck-path"] == (
            workload.health.readiness_path
        )
        deployment = next(
            d for d in _objects(product, "Deployment", cfg.apps.namespace)
            if d["metadata"]["name"] == name
        )  # fmt: skip
        probe = deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
        assert probe["httpGet"]["path"] == workload.health.readiness_path


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def _peer_matches(peer: dict[str, Any], labels: dict[str, str], pod_cidr: str) -> bool:
    """A NetworkPolicy peer that matches a pod of the same namespace (pods take addresses
    from the private subnets under the VPC CNI, so an ipBlock covering them matches too)."""
    if "podSelector" in peer and "namespaceSelector" not in peer:
        return _selects(peer["podSelector"], labels)
    if "ipBlock" in peer:
        block = ipaddress.ip_network(peer["ipBlock"]["cidr"])
        return ipaddress.ip_network(pod_cidr).subnet_of(block)  # type: ignore[arg-type]
    return False


def _allows(rules: list[dict[str, Any]], key: str, labels: dict[str, str], port: int,
            pod_cidr: str) -> bool:  # fmt: skip
    for rule in rules:
        ports = {p["port"] for p in rule.get("ports") or []}
        peers = rule.get(key)
        if ports and port not in ports:
            continue
        if peers is None or any(_peer_matches(p, labels, pod_cidr) for p in peers):
            return True
    return False


def _can_talk(
    policies: list[dict[str, Any]], src: dict[str, str], dst: dict[str, str], port: int, cidr: str
) -> bool:
    """Kubernetes semantics: a pod selected by any policy of a type is isolated for it; the
    connection needs an egress allowance on the source and an ingress one on the target."""

    def side(pod: dict[str, str], kind: str, key: str, peer: dict[str, str]) -> bool:
        selecting = [p for p in policies if _selects(p["spec"]["podSelector"], pod)
                     and kind in p["spec"].get("policyTypes", [])]  # fmt: skip
        if not selecting:
            return True
        field = "egress" if kind == "Egress" else "ingress"
        return any(_allows(p["spec"].get(field) or [], key, peer, port, cidr) for p in selecting)

    return side(src, "Egress", "to", dst) and side(dst, "Ingress", "from", src)


def test_exactly_the_allowed_pairs_can_talk(product: PlanResult) -> None:
    """Every (caller, callee) pair in allowFrom can connect on the callee's port, in both
    directions of the policy (caller egress, callee ingress); no other pair can, on any port
    any workload listens on."""
    cfg = _config(product)
    ns = cfg.apps.namespace
    policies = _objects(product, "NetworkPolicy", ns)
    pod_cidr = str(next(iter(ipaddress.ip_network(str(cfg.network.cidr)).subnets(new_prefix=24))))
    pods = {
        d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"]
        for d in _objects(product, "Deployment", ns)
    }
    ports = {n: {w.port} | ({w.metrics_port} if w.metrics_port else set())
             for n, w in cfg.apps.workloads.items()}  # fmt: skip
    allowed = {
        (caller, callee) for callee, w in cfg.apps.workloads.items() for caller in w.allow_from
    }
    for src in pods:
        for dst in pods:
            if src == dst:
                continue
            for port in ports[dst]:
                expected = (src, dst) in allowed and port == cfg.apps.workloads[dst].port
                assert _can_talk(policies, pods[src], pods[dst], port, pod_cidr) == expected, (
                    src, dst, port,
                )  # fmt: skip


def test_every_scraped_workload_has_a_pod_monitor_and_red_rules(product: PlanResult) -> None:
    cfg = _config(product)
    monitors = {
        m["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]: m
        for m in _objects(product, "PodMonitor", "monitoring")
    }
    scraped = {n for n, w in cfg.apps.workloads.items() if w.scrape is not None}
    assert set(monitors) == scraped
    assert {n for n, w in cfg.apps.workloads.items() if w.kind == "http"
            and (w.metrics is None or w.metrics.enabled)} <= scraped  # fmt: skip
    for name in scraped:
        spec = monitors[name]["spec"]
        assert spec["namespaceSelector"] == {"matchNames": [cfg.apps.namespace]}
        (endpoint,) = spec["podMetricsEndpoints"]
        assert endpoint["path"] == cfg.apps.workloads[name].scrape.path  # type: ignore[union-attr]
        assert endpoint["relabelings"][0]["targetLabel"] == "workload"
    (rules,) = [r for r in _objects(product, "PrometheusRule", "monitoring")
                if r["metadata"]["name"] == "platform"]  # fmt: skip
    red = [rule for g in rules["spec"]["groups"] for rule in g["rules"]
           if rule["alert"] in ("ApiErrorRatio", "ApiLatencyP95")]  # fmt: skip
    assert red
    for rule in red:
        assert f'namespace="{cfg.apps.namespace}",workload!=""' in rule["expr"]
        assert "by (namespace, workload" in rule["expr"]


def test_secrets_reach_containers_by_reference_only(product: PlanResult) -> None:
    cfg = _config(product)
    ns = cfg.apps.namespace
    deployments = {d["metadata"]["name"]: d for d in _objects(product, "Deployment", ns)}
    jobs = {
        j["metadata"]["labels"]["app.kubernetes.io/name"]: j for j in _objects(product, "Job", ns)
    }
    externals = {e["metadata"]["name"]: e for e in _objects(product, "ExternalSecret", ns)}
    for name, workload in cfg.apps.workloads.items():
        obj = jobs[name] if workload.kind == "migration" else deployments[name]
        env = {e["name"]: e for e in obj["spec"]["template"]["spec"]["containers"][0]["env"]}
        for var, ref in workload.secrets.items():
            assert "value" not in env[var]
            assert env[var]["valueFrom"]["secretKeyRef"] == {
                "name": f"{name}-app-secrets",
                "key": var,
            }
            remote = {
                d["secretKey"]: d["remoteRef"]
                for d in externals[f"{name}-app-secrets"]["spec"]["data"]
            }
            if ref.from_secrets_manager:
                assert remote[var]["key"] == f"{cfg.environment}/{ref.from_secrets_manager}"
            else:
                assert remote[var]["key"].startswith("arn:aws:secretsmanager:")
    # generated values exist only as Pulumi secrets: in no manifest, output or config
    versions = list(product.graph.of_type("aws:secretsmanager/secretVersion:SecretVersion"))
    assert all(v.inputs["secretString"] == "[secret]" for v in versions)
    text = json.dumps([manifest_of(r) for r in product.graph if is_manifest(r)])
    for password in product.graph.of_type("random:index/randomPassword:RandomPassword"):
        result = password.outputs.get("result")
        assert result in (None, "[secret]") or result not in text
    assert "[secret]" not in json.dumps(
        {k: v for k, v in product.outputs.items() if k not in product.secret_outputs}
    )
    assert all("secure" not in str(v) for v in yaml.safe_load(json.dumps(product.config)).values())


def test_migrations_run_before_the_rollouts_of_their_image(product: PlanResult) -> None:
    cfg = _config(product)
    migrations = {n: w for n, w in cfg.apps.workloads.items() if w.kind == "migration"}
    for name, migration in migrations.items():
        (job,) = [j for j in product.graph.of_type("kubernetes:batch/v1:Job")
                  if j.name == f"{cfg.environment}-app-{name}-job"]  # fmt: skip
        assert job.inputs["spec"]["backoffLimit"] <= 1
        for other, workload in cfg.apps.workloads.items():
            if workload.kind == "migration":
                continue
            deployment = product.graph.named(
                f"{cfg.environment}-app-{other}-deployment", "kubernetes:apps/v1:Deployment"
            )
            assert (job.urn in deployment.dependencies) == (workload.image == migration.image), (
                name, other,
            )  # fmt: skip


def test_the_http_dashboard_covers_every_workload_of_the_stacks_namespace(
    product: PlanResult,
) -> None:
    """No workload name in the dashboard: a workload variable over the label the PodMonitors
    set, in the stack's namespace."""
    cfg = _config(product)
    (board,) = [
        json.loads(c["data"]["api-red.json"])
        for c in _objects(product, "ConfigMap", "monitoring")
        if "api-red.json" in (c.get("data") or {})
    ]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["namespace"]["query"] == cfg.apps.namespace
    assert "workload" in variables["workload"]["definition"]
    for panel in board["panels"]:
        for target in panel["targets"]:
            assert '"$namespace"' in target["expr"]
            assert '"$workload"' in target["expr"]
            assert '"api"' not in target["expr"]


def test_the_stacks_own_alert_rules_pass_promtool(product: PlanResult, tmp_path: Any) -> None:
    import shutil
    import subprocess

    import pytest

    cfg = _config(product)
    custom = [r for r in _objects(product, "PrometheusRule", "monitoring")
              if r["metadata"]["name"] == "custom"]  # fmt: skip
    assert len(custom) == (1 if cfg.monitoring.extra_alerts else 0)
    if not custom:
        return
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (apt install prometheus)")
    path = tmp_path / "custom.rules.yaml"
    path.write_text(yaml.safe_dump({"groups": custom[0]["spec"]["groups"]}))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True,
                            text=True, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    names = {r["alert"] for g in custom[0]["spec"]["groups"] for r in g["rules"]}
    assert names == {a.alert for a in cfg.monitoring.extra_alerts}


def test_service_ports_are_container_ports(product: PlanResult) -> None:
    """The VPC CNI's network policy agent matches a connection before the Service address is
    translated: a Service port must equal its container port for the allowed pairs to work."""
    cfg = _config(product)
    for service in _objects(product, "Service", cfg.apps.namespace):
        name = service["metadata"]["name"]
        for port in service["spec"]["ports"]:
            assert port["port"] == cfg.apps.workloads[name].port, name


def test_health_ports_and_metrics_ports_are_reachable() -> None:
    """A public workload probed on its own port admits the ALB there too; a worker scraped
    on its main port still names that port for the PodMonitor."""
    from tests.conftest import run_stack_config, stack_config

    config = stack_config("staging")
    apps = config["platform:apps"]
    apps["workloads"]["api"]["health"] = {"port": 9000}
    apps["workloads"]["worker"]["metrics"] = {"port": 8000}
    plan = run_stack_config(config, "staging")
    assert plan.error is None, plan.error
    (policy,) = [p for p in _objects(plan, "NetworkPolicy", "apps")
                 if p["metadata"]["name"] == "api-traffic"]  # fmt: skip
    from_alb = policy["spec"]["ingress"][0]
    assert {p["port"] for p in from_alb["ports"]} == {8000, 9000}
    worker = next(
        d for d in _objects(plan, "Deployment", "apps") if d["metadata"]["name"] == "worker"
    )
    ports = worker["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert {"name": "metrics", "containerPort": 8000, "protocol": "TCP"} in ports
