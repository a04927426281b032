"""Day two: what a config change does to a live stack, from the plans before and after.

Each test plans a committed stack, changes one setting, plans again and asserts the exact set
of updates, replacements and deletions; replacing a stateful or slow resource is a failure
unless the test marks it as the accepted point of the change."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from policies.graph import Resource, ResourceOptions
from tests.conftest import REPO, run_stack_config, stack_config
from tools.offline.changes import Change, compare, render
from tools.offline.harness import PlanResult
from tools.plan.cli import EXIT_GUARDED_REPLACEMENT, main


@cache
def _base(stack: str) -> PlanResult:
    result = run_stack_config(stack_config(stack), stack)
    assert result.error is None, result.error
    return result


def _after(stack: str, section: str, **values: Any) -> list[Change]:
    config = copy.deepcopy(stack_config(stack))
    config[section] = {**config.get(section, {}), **values}
    result = run_stack_config(config, stack)
    assert result.error is None, result.error
    return compare(_base(stack).graph, result.graph)


def _by_action(found: list[Change]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for change in found:
        out.setdefault(change.action, set()).add(change.name)
    return out


def test_postgresql_major_upgrade_updates_the_instance_in_place() -> None:
    found = _after("production", "platform:database", engineVersion="18")
    assert _by_action(found) == {
        "update": {"production-postgres-db", "production-backups-pg-dump",
                   "production-backups-restore-check"},
        "create": {"production-postgres-postgres18"},
        "delete": {"production-postgres-postgres17"},  # retained: left in the account
        "replace": {"production-db-roles-job"},  # a Job is immutable: re-run with the new client
    }  # fmt: skip
    (db,) = [c for c in found if c.name == "production-postgres-db"]
    assert db.keys == ("engineVersion", "parameterGroupName")
    (old_group,) = [c for c in found if c.action == "delete"]
    assert old_group.retained
    assert not any(c.guarded for c in found)


def test_kubernetes_minor_bump_moves_control_plane_nodes_and_what_follows_the_minor() -> None:
    found = _after("staging", "platform:cluster", kubernetesVersion="1.36")
    assert _by_action(found) == {
        "update": {
            "staging-eks-control-plane",
            *(f"staging-eks-general-az{i}" for i in (1, 2, 3)),
            # kube-proxy follows the minor (CoreDNS has one version for 1.35 and 1.36; vpc-cni
            # and the EBS driver one for all)
            "staging-eks-kube-proxy",
            "staging-addons-cluster-autoscaler",  # image follows the minor
            "staging-apps-namespace", "staging-backups-namespace", "staging-db-roles-namespace",
        }
    }  # fmt: skip
    assert all(c.keys == ("version",) for c in found if "general" in c.name)


def test_cache_node_type_and_node_group_sizes_update_in_place() -> None:
    found = _after("production", "platform:cache", nodeType="cache.r7g.large")
    assert _by_action(found) == {"update": {"production-cache-valkey"}}
    groups = {"general": {"minSize": 6, "desiredSize": 6, "maxSize": 18}}
    found = _after("production", "platform:cluster", nodeGroups=groups)
    assert _by_action(found) == {"update": {f"production-eks-general-az{i}" for i in (1, 2, 3)}}
    assert {c.keys for c in found} == {("scalingConfig",)}


def test_renaming_the_database_replaces_it_and_is_flagged() -> None:
    found = _after("staging", "platform:database", databaseName="shop")
    guarded = [c for c in found if c.guarded]
    assert [(c.name, c.keys[0]) for c in guarded] == [("staging-postgres-db", "dbName")]
    assert found[0] == guarded[0]  # replacements of stateful resources come first
    assert "replace staging-postgres-db" in render(found)


def test_changing_node_instance_types_replaces_the_node_groups() -> None:
    groups = {"general": {"instanceTypes": ["m7i.xlarge"]}}
    found = _after("production", "platform:cluster", nodeGroups=groups)
    replaced = {c.name for c in found if c.action == "replace"}
    assert replaced == {f"production-eks-general-az{i}" for i in (1, 2, 3)}
    assert all(c.guarded for c in found if c.action == "replace")  # slow: accepted knowingly


def test_changing_the_service_cidr_replaces_the_protected_cluster() -> None:
    found = _after("production", "platform:cluster", serviceCidr="172.21.0.0/16")
    (cluster,) = [c for c in found if c.type == "eks:index:Cluster"]
    assert cluster.action == "replace"
    assert cluster.keys[0] == "kubernetesServiceIpAddressRange"
    assert cluster.protected  # pulumi up refuses until the protection is lifted knowingly


def test_adding_a_workload_only_creates() -> None:
    config = copy.deepcopy(stack_config("staging"))
    apps = config["platform:apps"]
    apps["workloads"]["reports"] = {
        "kind": "worker",
        "image": "registry.example.com/app@sha256:" + "a" * 64,
        "command": ["python", "-m", "app.reports"],
        "replicas": 1,
        "resources": {"cpuRequest": "100m", "cpuLimit": "500m", "memoryRequest": "256Mi",
                      "memoryLimit": "512Mi"},
    }  # fmt: skip
    apps["quota"] = {**apps["quota"], "limitsCpu": "12"}
    result = run_stack_config(config, "staging")
    assert result.error is None, result.error
    found = _by_action(compare(_base("staging").graph, result.graph))
    assert not found.get("delete")
    # its login joins the roles: the roles Job (immutable) is replaced, i.e. re-run
    assert found["replace"] == {"staging-db-roles-job"}
    assert found["update"] == {"staging-apps-quota", "staging-db-roles-sql",
                               "staging-db-roles-passwords"}  # fmt: skip
    assert "staging-app-reports-deployment" in found["create"]


def _resource(urn: str, type_: str = "aws:rds/instance:Instance", **inputs: Any) -> Resource:
    return Resource(urn=urn, type=type_, name=urn.rsplit("::", 1)[-1], custom=True, parent=None,
                    provider="urn:prov::aws::id", dependencies=(), property_dependencies={},
                    inputs=inputs, outputs={}, options=ResourceOptions())  # fmt: skip


def test_ignored_and_nested_changes() -> None:
    before = _resource("u::g", "aws:eks/nodeGroup:NodeGroup",
                       scalingConfig={"minSize": 1, "desiredSize": 1})  # fmt: skip
    after = _resource("u::g", "aws:eks/nodeGroup:NodeGroup",
                      scalingConfig={"minSize": 1, "desiredSize": 4})  # fmt: skip
    ignore = ResourceOptions(ignore_changes=("scalingConfig.desiredSize",))
    after = Resource(**{**after.__dict__, "options": ignore})
    assert compare([before], [after]) == []
    moved = Resource(**{**before.__dict__, "provider": "urn:prov::aws-dr::id"})
    (change,) = compare([before], [moved])
    assert change.action == "replace"
    assert change.keys == ("provider",)


def test_replace_on_changes_is_honoured() -> None:
    """What the engine does with the option: a change under the path replaces (bracketed keys,
    indexes and wildcards as Pulumi's property paths), any other change updates, and an
    ignored change replaces nothing."""
    kind = "kubernetes:apps/v1:Deployment"

    def deployment(phase: str, replicas: int, image: str = "a:1", *paths: str) -> Resource:
        made = _resource(
            "u::d", kind, metadata={"name": "api", "annotations": {"platform/standby": phase}},
            spec={"replicas": replicas, "template": {"spec": {"containers": [{"image": image}]}}},
        )  # fmt: skip
        option = ResourceOptions(
            replace_on_changes=paths or ('metadata.annotations["platform/standby"]',),
            ignore_changes=("spec.replicas",),
        )
        return Resource(**{**made.__dict__, "options": option})

    (change,) = compare([deployment("standing-by", 0)], [deployment("promoted", 3)])
    assert change.action == "replace"
    assert change.keys[0] == 'metadata.annotations["platform/standby"]'
    (change,) = compare([deployment("promoted", 3)], [deployment("promoted", 4, "a:2")])
    assert change.action == "update"
    image = "spec.template.spec.containers[0].image"
    for path in (image, "spec.template.spec.containers[*].image", "spec.*"):
        (change,) = compare([deployment("promoted", 3, "a:1", path)],
                            [deployment("promoted", 3, "a:2", path)])  # fmt: skip
        assert change.action == "replace", path
    # a wildcard keeps the keys: a renamed key is a change, a reordered mapping is not
    renamed = [deployment("promoted", 3, "a:1", "metadata.annotations.*") for _ in range(2)]
    renamed[1].inputs["metadata"]["annotations"] = {"other": "promoted"}
    assert compare([renamed[0]], [renamed[1]])[0].action == "replace"
    # only the ignored replicas changed: nothing under "spec" changed for the engine
    assert compare([deployment("promoted", 3, "a:1", "spec")],
                   [deployment("promoted", 5, "a:1", "spec")]) == []  # fmt: skip


def test_plan_against_a_git_ref(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = yaml.safe_load((REPO / "Pulumi.staging.yaml").read_text())
    config["config"]["platform:database"]["databaseName"] = "shop"
    changed = tmp_path / "Pulumi.staging.yaml"
    changed.write_text(yaml.safe_dump(config))
    code = main(["staging", "--config-file", str(changed), "--against", "HEAD"])
    out = capsys.readouterr()
    assert code == EXIT_GUARDED_REPLACEMENT
    assert out.out.splitlines()[1].startswith("+- replace staging-postgres-db")
    assert "--accept-replacements" in out.err
    accepted = main(["staging", "--config-file", str(changed), "--against", "HEAD",
                     "--accept-replacements"])  # fmt: skip
    assert accepted == 0


def test_a_generated_master_password_is_an_in_place_change_of_a_live_primary() -> None:
    """Production's switch from ``rds-managed`` to ``generated`` (for its standby): the live
    instance is updated (one ModifyDBInstance), the program's secret is created."""
    config = copy.deepcopy(stack_config("production"))
    config["platform:database"] = {**config["platform:database"], "masterPassword": "rds-managed"}
    before = run_stack_config(config, "production")
    assert before.error is None, before.error
    found = compare(before.graph, _base("production").graph)
    (db,) = [c for c in found if c.name == "production-postgres-db"]
    assert db.action == "update"
    assert set(db.keys) == {"manageMasterUserPassword", "masterUserSecretKmsKeyId", "password"}
    assert _by_action(found)["create"] == {"production-postgres-master"}  # password, secret, value
    assert "delete" not in _by_action(found)
    assert not any(c.guarded for c in found)
