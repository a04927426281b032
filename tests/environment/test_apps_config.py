"""Bad workload config is rejected clearly, before any resource exists."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from environment.config.apps import cpu_millicores, memory_bytes
from tests.conftest import run_stack_config, stack_config


def _apps(stack: str) -> dict[str, Any]:
    return copy.deepcopy(stack_config(stack)["platform:apps"])


def _mutate(stack: str, change: Any) -> dict[str, Any]:
    apps = _apps(stack)
    change(apps)
    return apps


BAD = [
    ("latest-image-in-production", "production",
     lambda a: a["workloads"]["api"].update(image="registry.example.com/app:latest"),
     ["platform:apps", "workloads.api.image", "no ':latest'"]),
    ("untagged-image", "production",
     lambda a: a["workloads"]["worker"].update(image="registry.example.com/app"),
     ["workloads.worker.image", "pinned to a version tag or a digest"]),
    ("hpa-min-above-max", "production",
     lambda a: a["workloads"]["api"].update(autoscaling={"minReplicas": 5, "maxReplicas": 2}),
     ["platform:apps.workloads.api.autoscaling", "minReplicas 5 is above maxReplicas 2"]),
    ("two-schedulers", "staging", lambda a: a["workloads"]["beat"].update(replicas=2),
     ["platform:apps.workloads.beat", "exactly one replica"]),
    ("requests-above-limits", "staging",
     lambda a: a["workloads"]["api"].update(
         resources={"cpuRequest": "2", "cpuLimit": "500m"}),
     ["platform:apps.workloads.api.resources", "cpuRequest 2 is above cpuLimit 500m"]),
    ("ingress-without-certificate", "staging",
     lambda a: a["ingress"].pop("certificateArns"),
     ["platform:apps.ingress", "needs certificateArns"]),
    ("unknown-kind", "staging", lambda a: a["workloads"]["beat"].update(kind="cron"),
     ["platform:apps.workloads.beat.kind", "'http', 'worker', 'scheduler' or 'migration'"]),
    ("exec-probe-without-command", "staging",
     lambda a: a["workloads"]["worker"].pop("probeCommand"),
     ["platform:apps.workloads.worker", "probeCommand"]),
    ("bad-memory-quantity", "staging",
     lambda a: a["workloads"]["api"].update(resources={"memoryRequest": "lots"}),
     ["platform:apps.workloads.api.resources", "not a memory quantity"]),
    # SLOs (issue #22)
    ("slo-of-100-percent", "staging",
     lambda a: a["workloads"]["api"].update(slo={"availabilityPercent": 100}),
     ["platform:apps.workloads.api.slo.availabilityPercent", "100 % is not an SLO target",
      "above 93.06 to under 100 %"]),
    ("slo-where-the-fast-page-could-never-fire", "staging",
     lambda a: a["workloads"]["api"].update(slo={"availabilityPercent": 93}),
     ["platform:apps.workloads.api.slo.availabilityPercent", "93 % is not an SLO target",
      "could never fire"]),
    ("slo-below-90-percent", "staging",
     lambda a: a["workloads"]["api"].update(slo={"latency": {"thresholdSeconds": 0.5,
                                                             "percent": 85}}),
     ["platform:apps.workloads.api.slo.latency.percent", "85 % is not an SLO target"]),
    ("latency-slo-without-a-histogram", "staging",
     lambda a: a["workloads"]["api"].update(
         metrics={"histogram": None},
         slo={"latency": {"thresholdSeconds": 0.5, "percent": 99}}),
     ["platform:apps.workloads.api", "slo.latency needs a histogram metric", "metrics.histogram"]),
    ("latency-bound-not-a-bucket", "staging",
     lambda a: a["workloads"]["api"].update(slo={"latency": {"thresholdSeconds": 0.3,
                                                             "percent": 99}}),
     ["platform:apps.workloads.api", "thresholdSeconds 0.3 is not a bucket", "0.25, 0.5"]),
    ("slo-on-a-worker", "staging",
     lambda a: a["workloads"]["worker"].update(slo={"availabilityPercent": 99.9}),
     ["platform:apps.workloads.worker", "slo needs an http workload"]),
    ("memory-in-millibytes", "staging",
     lambda a: a["workloads"]["api"].update(resources={"memoryRequest": "500m"}),
     ["platform:apps.workloads.api.resources", "'500m' is not a whole number of bytes"]),
    # product shapes (issue #20)
    ("route-to-unknown-workload", "staging",
     lambda a: a["ingress"]["routes"].append({"hosts": ["api.staging.example.com"],
                                              "paths": ["/admin"], "workload": "admin"}),
     ["platform:apps", "ingress.routes[1].workload: 'admin' is not a workload",
      "known: api, beat, worker"]),
    ("same-host-and-path-twice", "staging",
     lambda a: a["ingress"]["routes"].append({"hosts": ["api.staging.example.com"],
                                              "workload": "api"}),
     ["platform:apps.ingress",
      "routes[1]: api.staging.example.com/ is already routed by routes[0]"]),
    ("route-to-an-internal-workload", "staging",
     lambda a: a["workloads"]["api"].update(expose="internal"),
     ["platform:apps", "ingress.routes[0].workload: 'api' is internal",
      "only workloads with expose 'public' are routed"]),
    ("call-from-an-unknown-workload", "staging",
     lambda a: a["workloads"]["api"].update(allowFrom=["gateway"]),
     ["platform:apps", "workloads.api.allowFrom: 'gateway' is not a workload"]),
    ("secret-looking-plain-env", "staging",
     lambda a: a["workloads"]["api"].update(env={"STRIPE_API_KEY": "sk_live_x"}),
     ["platform:apps.workloads.api.env", "STRIPE_API_KEY looks like a secret",
      "declare it under secrets"]),
    ("password-in-plain-env", "staging",
     lambda a: a["workloads"]["worker"].update(env={"SMTP_PASSWORD": "x"}),
     ["platform:apps.workloads.worker.env", "SMTP_PASSWORD looks like a secret"]),
    ("run-as-root", "staging", lambda a: a["workloads"]["api"].update(runAsUser=0),
     ["platform:apps.workloads.api.runAsUser", "greater than or equal to 1"]),
    ("public-workload-without-probe", "staging",
     lambda a: a["workloads"]["api"].update(probe="none"),
     ["platform:apps.workloads.api", "a public workload needs an http readiness probe"]),
    ("public-workload-without-route", "staging",
     lambda a: a["workloads"]["worker"].update(kind="http", expose="public", probe=None,
                                               probeCommand=[]),
     ["platform:apps", "workloads.worker.expose: public but no ingress route reaches it"]),
    ("secret-with-two-sources", "staging",
     lambda a: a["workloads"]["api"].update(secrets={"SESSION_SECRET": {
         "generate": {}, "fromSecretsManager": "app/session"}}),
     ["platform:apps.workloads.api.secrets.SESSION_SECRET", "exactly one of"]),
    ("migration-with-autoscaling", "staging",
     lambda a: a["workloads"].update(migrate={
         "kind": "migration", "image": a["workloads"]["api"]["image"],
         "autoscaling": {"minReplicas": 1, "maxReplicas": 2}}),
     ["platform:apps.workloads.migrate", "one-shot Job"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("stack", "change", "fragments"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_apps_config(stack: str, change: Any, fragments: list[str]) -> None:
    config = stack_config(stack)
    config["platform:apps"] = _mutate(stack, change)
    result = run_stack_config(config, stack)
    assert result.error is not None
    for fragment in fragments:
        assert fragment in result.error, result.error
    assert len(result.graph) == 0


def test_digest_is_accepted_and_a_fourth_workload_is_config_only() -> None:
    config = stack_config("staging")
    apps = _apps("staging")
    apps["workloads"]["reports"] = {
        "kind": "worker",
        "image": "registry.example.com/app@sha256:" + "a" * 64,
        "command": ["python", "-m", "app.reports"],
    }
    config["platform:apps"] = apps
    # two replicas at 1 CPU limit (+1 surge) do not fit staging's quota: config says so
    result = run_stack_config(config, "staging")
    assert result.error is not None
    assert "quota.limitsCpu 10 < 11.5" in result.error
    apps["quota"] = {**apps["quota"], "limitsCpu": "12"}
    result = run_stack_config(config, "staging")
    assert result.error is None, result.error
    names = {
        d.inputs["metadata"]["name"] for d in result.graph.of_type("kubernetes:apps/v1:Deployment")
    }
    assert names == {"api", "worker", "beat", "reports"}


@pytest.mark.parametrize(
    ("name", "refused"),
    [("API_KEY", True), ("DB_PASSWORD", True), ("PASSWD", True), ("DATABASE_URL", True),
     ("SENTRY_DSN", True), ("PRIVATE_KEY_PEM", True), ("AWS_CREDENTIALS", True),
     ("NEXT_PUBLIC_SITE_KEY", False), ("STRIPE_PUBLISHABLE_KEY", False), ("TOKEN_URL", False),
     ("PUBLIC_KEY_PATH", False), ("LOG_LEVEL", False)],
)  # fmt: skip
def test_secret_looking_env_names(name: str, refused: bool) -> None:
    from environment.config.apps import WorkloadConfig

    workload = {"kind": "worker", "image": "r.example.com/app:1.0.0", "env": {name: "v"}}
    if refused:
        with pytest.raises(ValueError, match="looks like a secret"):
            WorkloadConfig.model_validate(workload)
    else:
        WorkloadConfig.model_validate(workload)


@pytest.mark.parametrize("path", ["/a//b", "/a/./b", "/x/..", "/api/"])
def test_route_paths_the_api_server_refuses(path: str) -> None:
    from environment.config.apps import RouteConfig

    with pytest.raises(ValueError, match="path"):
        RouteConfig.model_validate({"hosts": ["a.example.com"], "paths": [path], "workload": "w"})


@pytest.mark.parametrize(
    ("value", "millicores"), [("250m", 250.0), ("1", 1000.0), ("1.5", 1500.0), ("2e-1", 200.0)]
)
def test_cpu_quantities_follow_the_api_server_grammar(value: str, millicores: float) -> None:
    assert cpu_millicores(value) == millicores


@pytest.mark.parametrize(
    ("value", "size"),
    [("512Mi", 512 * 2**20), ("1.5Gi", 3 * 2**29), ("1G", 10**9), ("128974848", 128974848)],
)
def test_memory_quantities_follow_the_api_server_grammar(value: str, size: int) -> None:
    assert memory_bytes(value) == size


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1_000", " 1", "1024mi", "1e400x", "0", "-1"])
def test_quantities_the_api_server_refuses_are_config_errors(value: str) -> None:
    for parse in (cpu_millicores, memory_bytes):
        with pytest.raises(ValueError, match="quantity"):
            parse(value)
