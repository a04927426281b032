"""Tell drift from changes AWS is holding for the maintenance window.

``pulumi preview --refresh --json`` compares the config with the live resources. A change made
with ``applyImmediately: false`` (an instance class, Multi-AZ, a cache node type) is accepted
by AWS but applied in the next maintenance window: until then every refreshed preview shows it
again. This reads the preview's update steps and asks RDS and ElastiCache what they hold as
pending: an update whose every changed input is pending with the configured value is
**pending**, not drift. It also lists parameters that only take effect after a reboot
(``ParameterApplyStatus: pending-reboot``: ``shared_preload_libraries``, ``max_connections``),
which nothing else would surface.

``uv run python -m tools.drift.classify preview.json [database-identifier]`` prints
``drift=<n>`` (changes nobody explains), ``pending=<n>`` and ``reboot=<n>`` lines for
``$GITHUB_OUTPUT``, and a Markdown summary on stderr.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RDS_INSTANCE = "aws:rds/instance:Instance"
CACHE_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"

RDS_PENDING = {
    "instanceClass": "DBInstanceClass",
    "multiAz": "MultiAZ",
    "allocatedStorage": "AllocatedStorage",
    "storageType": "StorageType",
    "iops": "Iops",
    "storageThroughput": "StorageThroughput",
    "engineVersion": "EngineVersion",
}
"""Pulumi input -> RDS ``PendingModifiedValues`` key."""

CACHE_PENDING = {"nodeType": "CacheNodeType", "engineVersion": "EngineVersion"}
"""Pulumi input -> ElastiCache cache cluster ``PendingModifiedValues`` key."""


@dataclass
class Verdict:
    drift: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    reboot: list[str] = field(default_factory=list)


def _matches(wanted: Any, pending: Any) -> bool:
    return str(wanted).lower() == str(pending).lower() or (
        isinstance(wanted, str) and str(pending).startswith(wanted + ".")  # "17" vs "17.6"
    )


def _rds_pending(rds: Any, identifier: str) -> tuple[dict[str, Any], list[str]]:
    (instance,) = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    reboot = [
        f"{identifier}: parameter group {g['DBParameterGroupName']} waits for a reboot "
        f"(`aws rds reboot-db-instance --db-instance-identifier {identifier}`)"
        for g in instance.get("DBParameterGroups", [])
        if g.get("ParameterApplyStatus") == "pending-reboot"
    ]
    return instance.get("PendingModifiedValues") or {}, reboot


def _cache_pending(elasticache: Any, group_id: str) -> dict[str, Any]:
    """What every member of the group holds (a node type is pending on each cluster)."""
    (group,) = elasticache.describe_replication_groups(ReplicationGroupId=group_id)[
        "ReplicationGroups"
    ]
    pending: dict[str, Any] = {}
    for member in group.get("MemberClusters", []):
        (cluster,) = elasticache.describe_cache_clusters(CacheClusterId=member)["CacheClusters"]
        pending.update(cluster.get("PendingModifiedValues") or {})
    return pending


def _explained(step: dict[str, Any], pending: dict[str, Any], keys: dict[str, str]) -> bool:
    inputs = (step.get("newState") or {}).get("inputs") or {}
    reasons = step.get("diffReasons") or []
    return bool(reasons) and all(
        r in keys and keys[r] in pending and _matches(inputs.get(r), pending[keys[r]])
        for r in reasons
    )


def classify(
    preview: dict[str, Any], rds: Any, elasticache: Any, database: str | None = None
) -> Verdict:
    """``database``: the instance identifier (stack output ``databaseIdentifier``), checked
    for parameters waiting for a reboot even when the preview shows no change."""
    verdict = Verdict()
    if database:
        verdict.reboot += _rds_pending(rds, database)[1]
    for step in preview.get("steps", []):
        op, urn = step.get("op"), step.get("urn", "")
        # a refreshed preview lists a "refresh" step for every resource; one whose refresh
        # found a difference comes back as update/delete (pulumi pkg/backend/display/json.go)
        if op in (None, "same", "read", "refresh", "discard"):
            continue
        kind = urn.split("::")[-2].split("$")[-1] if "::" in urn else ""
        name = urn.rsplit("::", 1)[-1]
        outputs = (step.get("oldState") or {}).get("outputs") or {}
        if op == "update" and kind == RDS_INSTANCE:
            pending, reboot = _rds_pending(rds, outputs["identifier"])
            verdict.reboot += [r for r in reboot if r not in verdict.reboot]
            if _explained(step, pending, RDS_PENDING):
                verdict.pending.append(f"{name}: {sorted(step['diffReasons'])} in the window")
                continue
        if op == "update" and kind == CACHE_GROUP:
            pending = _cache_pending(elasticache, outputs["replicationGroupId"])
            if _explained(step, pending, CACHE_PENDING):
                verdict.pending.append(f"{name}: {sorted(step['diffReasons'])} in the window")
                continue
        verdict.drift.append(f"{op} {name} ({kind}): {', '.join(step.get('diffReasons') or [])}")
    return verdict


def main(argv: list[str] | None = None) -> int:
    import boto3

    args = sys.argv[1:] if argv is None else argv
    preview = json.loads(Path(args[0]).read_text())
    database = args[1] if len(args) > 1 else None
    verdict = classify(preview, boto3.client("rds"), boto3.client("elasticache"), database)
    print(f"drift={len(verdict.drift)}")
    print(f"pending={len(verdict.pending)}")
    print(f"reboot={len(verdict.reboot)}")
    for title, lines in (("Drift", verdict.drift), ("Pending for the maintenance window",
                         verdict.pending), ("Needs a reboot", verdict.reboot)):  # fmt: skip
        if lines:
            print(f"### {title}\n" + "\n".join(f"- {line}" for line in lines), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
