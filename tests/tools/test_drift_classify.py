"""The drift check tells drift from changes AWS holds for the maintenance window."""

from __future__ import annotations

from typing import Any

from tools.drift.classify import classify

ROOT = "urn:pulumi:production::platform::platform:components:"
DB = f"{ROOT}RdsPostgres$aws:rds/instance:Instance::production-postgres-db"
CACHE = f"{ROOT}ElastiCache$aws:elasticache/replicationGroup:ReplicationGroup::production-cache"
SG = f"{ROOT}Vpc$aws:ec2/securityGroup:SecurityGroup::production-db-sg"


class FakeRds:
    def __init__(self, pending: dict[str, Any], apply_status: str = "in-sync") -> None:
        self.pending, self.apply_status = pending, apply_status

    def describe_db_instances(self, DBInstanceIdentifier: str) -> dict[str, Any]:
        return {"DBInstances": [{
            "DBInstanceIdentifier": DBInstanceIdentifier,
            "PendingModifiedValues": self.pending,
            "DBParameterGroups": [{"DBParameterGroupName": "production-postgres17-abc",
                                   "ParameterApplyStatus": self.apply_status}],
        }]}  # fmt: skip


class FakeCache:
    def __init__(self, pending: dict[str, Any]) -> None:
        self.pending = pending

    def describe_replication_groups(self, ReplicationGroupId: str) -> dict[str, Any]:
        return {"ReplicationGroups": [{"MemberClusters": [f"{ReplicationGroupId}-001"]}]}

    def describe_cache_clusters(self, CacheClusterId: str) -> dict[str, Any]:
        return {"CacheClusters": [{"PendingModifiedValues": self.pending}]}


def _update(urn: str, reasons: list[str], inputs: dict[str, Any], outputs: dict[str, Any]) -> dict:
    return {"op": "update", "urn": urn, "diffReasons": reasons,
            "newState": {"inputs": inputs}, "oldState": {"outputs": outputs}}  # fmt: skip


DB_OUT = {"identifier": "production-postgres"}


def test_a_class_change_waiting_for_the_window_is_pending_not_drift() -> None:
    preview = {
        "steps": [_update(DB, ["instanceClass"], {"instanceClass": "db.m7g.xlarge"}, DB_OUT)]
    }
    verdict = classify(preview, FakeRds({"DBInstanceClass": "db.m7g.xlarge"}), FakeCache({}))
    assert verdict.drift == []
    assert len(verdict.pending) == 1


def test_a_change_aws_does_not_hold_is_drift() -> None:
    """Someone changed the class by hand (nothing pending): drift."""
    preview = {
        "steps": [_update(DB, ["instanceClass"], {"instanceClass": "db.m7g.xlarge"}, DB_OUT)]
    }
    verdict = classify(preview, FakeRds({}), FakeCache({}))
    assert len(verdict.drift) == 1
    assert verdict.pending == []


def test_pending_with_another_value_or_more_changes_is_drift() -> None:
    other = classify(
        {"steps": [_update(DB, ["instanceClass"], {"instanceClass": "db.m7g.xlarge"}, DB_OUT)]},
        FakeRds({"DBInstanceClass": "db.m7g.2xlarge"}), FakeCache({}),
    )  # fmt: skip
    assert len(other.drift) == 1
    mixed = classify(
        {"steps": [_update(DB, ["instanceClass", "backupRetentionPeriod"],
                           {"instanceClass": "db.m7g.xlarge"}, DB_OUT)]},
        FakeRds({"DBInstanceClass": "db.m7g.xlarge"}), FakeCache({}),
    )  # fmt: skip
    assert len(mixed.drift) == 1


def test_cache_node_type_pending_on_its_clusters() -> None:
    step = _update(CACHE, ["nodeType"], {"nodeType": "cache.m7g.xlarge"},
                   {"replicationGroupId": "production-cache"})  # fmt: skip
    verdict = classify(
        {"steps": [step]}, FakeRds({}), FakeCache({"CacheNodeType": "cache.m7g.xlarge"})
    )
    assert verdict.drift == []
    assert len(verdict.pending) == 1


def test_other_resources_and_static_parameters() -> None:
    steps = [
        {"op": "same", "urn": SG},
        {"op": "refresh", "urn": SG},  # every resource of a refreshed preview
        _update(SG, ["ingress"], {}, {}),
        _update(DB, ["instanceClass"], {"instanceClass": "db.m7g.xlarge"}, DB_OUT),
    ]
    verdict = classify(
        {"steps": steps}, FakeRds({"DBInstanceClass": "db.m7g.xlarge"}, "pending-reboot"),
        FakeCache({}),
    )  # fmt: skip
    assert [d.split(" (")[0] for d in verdict.drift] == ["update production-db-sg"]
    (reboot,) = verdict.reboot
    assert "aws rds reboot-db-instance --db-instance-identifier production-postgres" in reboot


def test_a_reboot_is_reported_without_any_change() -> None:
    verdict = classify(
        {"steps": []}, FakeRds({}, "pending-reboot"), FakeCache({}), "staging-postgres"
    )
    assert verdict.drift == []
    assert len(verdict.reboot) == 1
