"""What the program hands to other projects, held against those projects' own files at the
pinned versions (vendored under tests/fixtures/upstream/, each folder with its SOURCE.md).

- every Helm value the program sets is a key of the pinned chart's ``values.yaml`` (a key the
  chart ignores fails), and charts with a ``values.schema.json`` accept the merged values;
- a pin in components/versions.py without its vendored files fails (bump = re-vendor);
- the EKS add-on configuration uses keys of the add-on's own chart values.

Mocks cannot prove a chart reads a value; these tests can.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from components import versions
from components.eks_cluster import VPC_CNI_CONFIGURATION
from tests.conftest import run_stack_config, stack_config
from tools.offline.harness import PlanResult

UPSTREAM = Path(__file__).resolve().parent / "fixtures" / "upstream"
CHARTS = UPSTREAM / "charts"

FREE_FORM: dict[str, str] = {
    "annotations": "any annotation",
    "additionalAnnotations": "any annotation",
    "podAnnotations": "any annotation",
    "podLabels": "any label",
    "defaultTags": "any AWS tag (LB controller)",
    "nodeSelector": "any label",
    # the OpenTelemetry Collector's own configuration: components by name (the chart renders
    # it as given; the names are checked against the contrib distribution in
    # tests/components/test_telemetry.py)
    "receivers": "collector components",
    "processors": "collector components",
    "exporters": "collector components",
    "pipelines": "collector pipelines",
}
"""Chart values that are maps of anything: their keys are not chart keys."""

SPEC_SHAPED: dict[tuple[str, str], frozenset[str]] = {
    # rendered with toYaml into a Kubernetes object (the chart has no keys of its own there)
    ("aws-load-balancer-controller", "podDisruptionBudget"): frozenset(
        {"minAvailable", "maxUnavailable", "unhealthyPodEvictionPolicy"}
    ),
    ("*", "resources"): frozenset({"requests", "limits", "claims"}),
    # KEDA: one Kubernetes resources block per component
    ("keda", "resources"): frozenset({"operator", "metricServer", "webhooks"}),
    # the Alertmanager resource's podMetadata (toYaml): an object's labels and annotations
    ("kube-prometheus-stack", "alertmanager.alertmanagerSpec.podMetadata"): frozenset(
        {"labels", "annotations", "name"}
    ),
    ("*", "securityContext"): frozenset(
        {
            "allowPrivilegeEscalation",
            "appArmorProfile",
            "capabilities",
            "privileged",
            "procMount",
            "readOnlyRootFilesystem",
            "runAsGroup",
            "runAsNonRoot",
            "runAsUser",
            "seLinuxOptions",
            "seccompProfile",
            "windowsOptions",
            "enabled",  # `enabled`: external-secrets' switch
        }
    ),
    ("*", "podSecurityContext"): frozenset(
        {
            "appArmorProfile",
            "fsGroup",
            "fsGroupChangePolicy",
            "runAsGroup",
            "runAsNonRoot",
            "runAsUser",
            "seLinuxChangePolicy",
            "seLinuxOptions",
            "seccompProfile",
            "supplementalGroups",
            "supplementalGroupsPolicy",
            "sysctls",
            "windowsOptions",
            "enabled",
        }
    ),
    ("*", "resources.requests"): frozenset({"cpu", "memory", "ephemeral-storage"}),
    ("*", "resources.limits"): frozenset({"cpu", "memory", "ephemeral-storage"}),
    # prometheus-operator StorageSpec and its PersistentVolumeClaim template
    **{
        ("kube-prometheus-stack", f"{spec}.{sub}".rstrip(".")): keys
        for spec in (
            "prometheus.prometheusSpec.storageSpec",
            "alertmanager.alertmanagerSpec.storage",
        )
        for sub, keys in (
            (
                "",
                frozenset({"volumeClaimTemplate", "emptyDir", "ephemeral", "disableMountSubPath"}),
            ),
            ("volumeClaimTemplate", frozenset({"metadata", "spec"})),
            (
                "volumeClaimTemplate.spec",
                frozenset(
                    {"storageClassName", "accessModes", "resources", "selector", "volumeMode"}
                ),
            ),
            ("volumeClaimTemplate.spec.resources", frozenset({"requests", "limits"})),
            ("volumeClaimTemplate.spec.resources.requests", frozenset({"storage"})),
        )
    },
}
"""Empty-map values that the chart renders as a Kubernetes structure: keys of that structure."""

FLAG_MAPS: dict[tuple[str, str], Path] = {
    ("cluster-autoscaler", "extraArgs"): CHARTS / "cluster-autoscaler-9.59.0" / "FAQ-1.35.2.md",
    ("prometheus-redis-exporter", "extraArgs"): (
        CHARTS / "prometheus-redis-exporter-6.16.0" / "redis_exporter-README-v1.76.0.md"
    ),
}
"""``extraArgs`` maps rendered as ``--key=value``: each key must be a documented flag."""

ALLOWED_EXTRA_FLAGS: dict[tuple[str, str], frozenset[str]] = {
    # certcontroller's own flag (cmd/controller/certcontroller.go at helm-chart-0.20.4)
    ("external-secrets", "certController.extraArgs"): frozenset({"enable-leader-election"}),
}


def _merge(base: Any, override: Any) -> Any:
    if override is None:
        return base
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        return {**base, **{k: _merge(base.get(k), v) for k, v in override.items()}}
    return override


def chart_dir(name: str) -> Path:
    pin = versions.HELM_CHARTS[name]
    return CHARTS / f"{pin.chart}-{pin.version}"


@cache
def upstream_values(name: str) -> dict[str, Any]:
    """The chart's values.yaml, with each vendored subchart's values under its name."""
    values = yaml.safe_load((chart_dir(name) / "values.yaml").read_text()) or {}
    for sub in sorted((chart_dir(name) / "subcharts").glob("*-values.yaml")):
        subchart = sub.name.removesuffix("-values.yaml")
        values[subchart] = _merge(yaml.safe_load(sub.read_text()) or {}, values.get(subchart))
    return values


@cache
def template_reads(name: str) -> frozenset[str]:
    """Every ``.Values.<path>`` the chart's templates read (tools/vendor/charts.py), and its
    vendored subcharts' under their names."""
    reads = set((chart_dir(name) / "template-values.txt").read_text().split())
    for sub in (chart_dir(name) / "subcharts").glob("*-template-values.txt"):
        prefix = sub.name.removesuffix("-template-values.txt")
        reads.update(f"{prefix}.{path}" for path in sub.read_text().split())
    return frozenset(reads)


def read_by_templates(name: str, path: str) -> bool:
    return any(read == path or read.startswith(f"{path}.") for read in template_reads(name))


def _paths(values: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in values.items():
        path = f"{prefix}{key}"
        yield path, value
        if isinstance(value, Mapping):
            yield from _paths(value, f"{path}.")


def unknown_keys(chart: str, values: Mapping[str, Any]) -> list[str]:
    """Paths of ``values`` the pinned chart does not know."""
    problems: list[str] = []

    def walk(ours: Mapping[str, Any], theirs: Any, path: str) -> None:
        for key, value in ours.items():
            here = f"{path}{key}"
            here.rsplit(".", 1)[-1]
            if path and path[:-1].rsplit(".", 1)[-1] in FREE_FORM:
                continue
            parent = path[:-1]
            spec = SPEC_SHAPED.get((chart, parent)) or next(
                (
                    keys
                    for (scope, suffix), keys in SPEC_SHAPED.items()
                    if scope == "*" and (parent == suffix or parent.endswith(f".{suffix}"))
                ),
                None,
            )
            flags = FLAG_MAPS.get((chart, path[:-1]))
            extra = ALLOWED_EXTRA_FLAGS.get((chart, path[:-1]), frozenset())
            if spec is not None:
                if key not in spec:
                    problems.append(f"{here} (not a field of what the chart renders there)")
                continue  # below a Kubernetes field: the API's schema, not the chart's keys
            elif flags is not None:
                key = key.split("_", 1)[0]  # "flag_2": the chart's way to repeat a flag
                text = flags.read_text()
                if f"`{key}`" not in text and f"| {key} " not in text:
                    problems.append(f"{here} (not a documented flag)")
            elif key in extra:
                pass
            elif not isinstance(theirs, Mapping) or key not in theirs:
                if not read_by_templates(chart, here):
                    problems.append(here)
                continue
            if isinstance(value, Mapping) and isinstance(theirs, Mapping):
                walk(value, theirs.get(key), f"{here}.")

    walk(values, upstream_values(chart), "")
    return problems


def _releases(plan: PlanResult) -> dict[str, dict[str, Any]]:
    by_chart = {pin.chart: name for name, pin in versions.HELM_CHARTS.items()}
    return {
        by_chart[r.inputs["chart"]]: r.inputs
        for r in plan.graph.of_type("kubernetes:helm.sh/v3:Release")
    }


@pytest.fixture(scope="module")
def every_addon() -> PlanResult:
    """Production with every optional add-on on (external-dns is off in the stacks)."""
    config = stack_config("production")
    config["platform:addons"] = {
        "externalDns": {"enabled": True, "hostedZoneId": "Z0123456789ABCDEFGHIJ",
                        "domain": "example.com"}
    }  # fmt: skip
    result = run_stack_config(config, "production")
    assert result.error is None, result.error
    return result


@pytest.mark.parametrize("name", sorted(versions.HELM_CHARTS))
def test_every_pinned_chart_is_vendored_at_its_version(name: str) -> None:
    pin = versions.HELM_CHARTS[name]
    folder = chart_dir(name)
    assert (folder / "values.yaml").is_file(), f"re-vendor {pin.chart} {pin.version} into {folder}"
    source = (folder / "SOURCE.md").read_text()
    assert "Fetched:" in source
    assert "http" in source
    meta_file = folder / "Chart.yaml"
    if meta_file.exists():
        meta = yaml.safe_load(meta_file.read_text())
        assert str(meta["version"]) == pin.version
        assert meta["name"] == pin.chart
    else:  # cert-manager publishes Chart.yaml from a template at release time
        assert (folder / "Chart.template.yaml").exists()
        assert pin.version in source


def test_no_stale_vendored_charts() -> None:
    pinned = {chart_dir(n).name for n in versions.HELM_CHARTS}
    assert {p.name for p in CHARTS.iterdir() if p.is_dir()} == pinned


@pytest.mark.parametrize("stack", ["staging", "production", "every_addon"])
def test_every_helm_value_is_a_key_of_the_pinned_chart(
    stack: str, request: pytest.FixtureRequest
) -> None:
    plan: PlanResult = request.getfixturevalue(stack)
    releases = _releases(plan)
    assert len(releases) >= 8
    for name, inputs in releases.items():
        assert inputs["version"] == versions.HELM_CHARTS[name].version
        assert not unknown_keys(name, inputs["values"]), (
            name,
            unknown_keys(name, inputs["values"]),
        )


@pytest.mark.parametrize("stack", ["staging", "production", "every_addon"])
def test_charts_with_a_schema_accept_the_merged_values(
    stack: str, request: pytest.FixtureRequest
) -> None:
    plan: PlanResult = request.getfixturevalue(stack)
    checked = 0
    for name, inputs in _releases(plan).items():
        schema_file = chart_dir(name) / "values.schema.json"
        if not schema_file.exists():
            continue
        merged = _merge(upstream_values(name), inputs["values"])
        jsonschema.validate(merged, json.loads(schema_file.read_text()))
        checked += 1
    assert checked >= 2  # cert-manager, external-secrets (+ external-dns when enabled)


@pytest.mark.parametrize(
    ("chart", "values", "problem"),
    [
        ("metrics-server", {"replicaCount": 2}, "replicaCount"),
        ("aws-load-balancer-controller", {"podDisruptionBudget": {"enabled": True}},
         "podDisruptionBudget.enabled"),
        ("cluster-autoscaler", {"extraArgs": {"no-such-flag": True}}, "extraArgs.no-such-flag"),
        ("external-secrets", {"webhook": {"leaderElect": True}}, "webhook.leaderElect"),
        ("cert-manager", {"resources": {"requets": {"cpu": "1"}}}, "resources.requets"),
    ],
)  # fmt: skip
def test_a_key_the_chart_ignores_is_caught(chart: str, values: dict, problem: str) -> None:
    assert any(p.startswith(problem) for p in unknown_keys(chart, values))


def test_the_cluster_autoscaler_flags_the_program_sets_are_documented() -> None:
    faq = FLAG_MAPS[("cluster-autoscaler", "extraArgs")].read_text()
    for flag in ("balance-similar-node-groups", "skip-nodes-with-system-pods", "expander"):
        assert f"`{flag}`" in faq
    assert "safe-to-evict-local-volumes" in faq


def test_vpc_cni_configuration_uses_the_add_on_chart_keys() -> None:
    version = versions.EKS_ADDONS["vpc-cni"].version.split("-", 1)[0]
    folder = UPSTREAM / "addons" / f"vpc-cni-{version}"
    values = yaml.safe_load((folder / f"values-{version}.yaml").read_text())
    for key, value in VPC_CNI_CONFIGURATION.items():
        assert key in values, key
        assert isinstance(value, type(values[key]))  # the chart (and add-on schema) use strings
    assert values["enableNetworkPolicy"] == "false"  # off unless configured


@pytest.mark.parametrize(
    ("controller", "version"),
    [
        ("aws-load-balancer-controller",
         lambda: "v" + str(yaml.safe_load((chart_dir("aws-load-balancer-controller") / "Chart.yaml")
                                          .read_text())["appVersion"]).removeprefix("v")),
        ("external-dns",
         lambda: str(yaml.safe_load((chart_dir("external-dns") / "Chart.yaml").read_text())
                     ["appVersion"])),
        ("cluster-autoscaler", lambda: versions.cluster_autoscaler_image_tag()[1:]),
    ],
)  # fmt: skip
def test_every_controller_reference_policy_is_vendored_at_the_pinned_version(
    controller: str, version: Any
) -> None:
    folder = UPSTREAM / "iam" / f"{controller}-{version()}"
    assert (folder / "iam_policy.json").is_file(), f"re-vendor the reference policy into {folder}"
    assert "Fetched:" in (folder / "SOURCE.md").read_text()


def test_eks_addon_pins_are_the_vendored_listing() -> None:
    """Every supported minor has every add-on, at the version the vendored EKS listing gives."""
    listing = yaml.safe_load(
        (UPSTREAM / "addons" / "eks-addon-versions" / "versions.yaml").read_text()
    )
    assert set(versions.EKS_ADDON_VERSIONS) == set(versions.SUPPORTED_KUBERNETES_VERSIONS)
    for minor, pins in versions.EKS_ADDON_VERSIONS.items():
        assert {addon: pin.version for addon, pin in pins.items()} == {
            addon: by_minor[minor] for addon, by_minor in listing.items()
        }, minor
