"""RTO/RPO summary derived from what the plan actually configures.

Nothing here is asserted from intent: each figure comes from a resource in the graph — RDS
backup retention and Multi-AZ, the AWS Backup plan's rules and copy actions, the ``pg-dump``
CronJob's schedule, S3 replication, ElastiCache snapshots — with a modelled restore time, and
is compared with the stack's targets (``backups.rpoMinutes`` / ``backups.rtoMinutes``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tools.offline.graph import ResourceGraph

from .timing import CREATE_SECONDS, MULTI_AZ_RDS_SECONDS

PITR_RPO_MINUTES = 5
"""RDS ships transaction logs to S3 every 5 minutes: the latest restorable time lags <= 5 min."""
MULTI_AZ_FAILOVER_MINUTES = 2
"""Multi-AZ failover (DNS flip to the synchronous standby) typically completes in 60-120 s."""
LOG_REPLAY_MINUTES = 15
"""Allowance for replaying a day of WAL on top of the snapshot during a PITR restore."""
APP_SWITCH_MINUTES = 5
"""Point the apps at the restored endpoint (config change + rolling restart)."""
S3_REPLICATION_MINUTES = 15
"""S3 replication lag allowance (RTC's SLA is 15 minutes)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    rpo_minutes: float | None
    rto_minutes: float | None
    how: str
    rpo_target: float | None = None
    rto_target: float | None = None

    @property
    def warnings(self) -> list[str]:
        out = []
        if self.rpo_target is not None and (
            self.rpo_minutes is None or self.rpo_minutes > self.rpo_target
        ):
            out.append(
                f"{self.name}: RPO {fmt(self.rpo_minutes)} misses target {fmt(self.rpo_target)}"
            )
        if self.rto_target is not None and (
            self.rto_minutes is None or self.rto_minutes > self.rto_target
        ):
            out.append(
                f"{self.name}: RTO {fmt(self.rto_minutes)} misses target {fmt(self.rto_target)}"
            )
        return out


def fmt(minutes: float | None) -> str:
    if minutes is None:
        return "none"
    if minutes >= 1440 and minutes % 1440 == 0:
        return f"{minutes / 1440:g} d"
    if minutes >= 120:
        return f"{minutes / 60:g} h"
    return f"{minutes:g} min"


@dataclass(frozen=True)
class RecoveryReport:
    scenarios: tuple[Scenario, ...]

    @property
    def warnings(self) -> list[str]:
        return [w for s in self.scenarios for w in s.warnings]

    def to_json(self) -> dict[str, Any]:
        return {
            "scenarios": [
                {
                    "name": s.name,
                    "rpoMinutes": s.rpo_minutes,
                    "rtoMinutes": s.rto_minutes,
                    "rpoTargetMinutes": s.rpo_target,
                    "rtoTargetMinutes": s.rto_target,
                    "how": s.how,
                }
                for s in self.scenarios
            ],
            "warnings": self.warnings,
        }


def cron_interval_minutes(expression: str) -> float | None:
    """Interval between runs of a Kubernetes (5-field) or AWS (``cron(...)``, 6-field)
    schedule; None when the shape is not a regular interval this model understands."""
    text = expression.strip()
    aws = re.fullmatch(r"cron\((.*)\)", text)
    fields = (aws.group(1) if aws else text).split()
    if len(fields) not in (5, 6):
        return None
    minute, hour, dom, _month, dow = fields[:5]
    any_ = {"*", "?"}
    if step := re.fullmatch(r"\*/(\d+)", minute):
        return float(step.group(1))
    if minute == "*":
        return 1.0
    if hour == "*":
        return 60.0
    if step := re.fullmatch(r"\*/(\d+)", hour):
        return 60.0 * int(step.group(1))
    if dom in any_ and dow in any_:
        return 1440.0
    if dom in any_:
        return 10080.0
    return 43200.0


def _inputs(graph: ResourceGraph, type_: str) -> list[dict[str, Any]]:
    return [r.inputs for r in graph.of_type(type_)]


def analyse(
    graph: ResourceGraph,
    *,
    rpo_target_minutes: float | None,
    rto_target_minutes: float | None,
    rebuild_minutes: float,
) -> RecoveryReport:
    """Scenarios for the database, cache and object storage; ``rebuild_minutes`` is the
    modelled first-``up`` time of the whole platform (the region-loss RTO floor)."""
    scenarios: list[Scenario] = []
    primaries = [
        d for d in _inputs(graph, "aws:rds/instance:Instance") if not d.get("replicateSourceDb")
    ]
    plans = _inputs(graph, "aws:backup/plan:Plan")
    rules = [rule for plan in plans for rule in plan.get("rules") or []]
    cross_region = [rule for rule in rules if rule.get("copyActions") and rule.get("schedule")]
    dump_intervals = [
        cron_interval_minutes(str((job.get("spec") or {}).get("schedule", "")))
        for job in _inputs(graph, "kubernetes:batch/v1:CronJob")
        if (job.get("metadata") or {}).get("name") == "pg-dump"
    ]
    dump_interval = min((i for i in dump_intervals if i), default=None)
    replicated = any(
        r.inputs.get("rules")
        for r in graph.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    )

    for db in primaries:
        multi_az = bool(db.get("multiAz"))
        pitr = int(db.get("backupRetentionPeriod") or 0) >= 1
        create = (
            MULTI_AZ_RDS_SECONDS if multi_az else CREATE_SECONDS["aws:rds/instance:Instance"]
        ) / 60
        restore = round(create + LOG_REPLAY_MINUTES + APP_SWITCH_MINUTES)
        if pitr:
            scenarios.append(
                Scenario(
                    "database: bad write or corruption (PITR)",
                    PITR_RPO_MINUTES,
                    restore,
                    "point-in-time restore to a new instance "
                    f"({int(db.get('backupRetentionPeriod') or 0)} days of PITR)",
                    rpo_target_minutes,
                    rto_target_minutes,
                )
            )
        else:
            scenarios.append(
                Scenario(
                    "database: bad write or corruption",
                    None,
                    None,
                    "no automated backups",
                    rpo_target_minutes,
                    rto_target_minutes,
                )
            )
        if multi_az:
            scenarios.append(
                Scenario(
                    "database: AZ failure",
                    0,
                    MULTI_AZ_FAILOVER_MINUTES,
                    "Multi-AZ synchronous standby, automatic failover",
                    rpo_target_minutes,
                    rto_target_minutes,
                )
            )
        else:
            scenarios.append(
                Scenario(
                    "database: AZ failure",
                    PITR_RPO_MINUTES if pitr else None,
                    restore if pitr else None,
                    "single-AZ: PITR restore into another AZ",
                    rpo_target_minutes,
                    rto_target_minutes,
                )
            )
        region_rpos = []
        hows = []
        copy_intervals = [
            i for i in (cron_interval_minutes(str(r["schedule"])) for r in cross_region) if i
        ]
        if copy_intervals:
            region_rpos.append(min(copy_intervals))
            hows.append(f"AWS Backup copy to the DR vault every {fmt(min(copy_intervals))}")
        if dump_interval and replicated:
            region_rpos.append(dump_interval + S3_REPLICATION_MINUTES)
            hows.append(f"pg_dump every {fmt(dump_interval)} replicated to the DR bucket")
        scenarios.append(
            Scenario(
                "database: region loss",
                min(region_rpos) if region_rpos else None,
                round(rebuild_minutes + restore) if region_rpos else None,
                "; ".join(hows)
                + f"; rebuild the platform in the DR region (~{fmt(round(rebuild_minutes))})"
                if hows
                else "no copy outside the primary region",
            )
        )
    if dump_interval:
        scenarios.append(
            Scenario(
                "database: logical dump (table-level restore)",
                dump_interval,
                None,
                f"pg_dump every {fmt(dump_interval)} to S3",
            )
        )

    for cache in _inputs(graph, "aws:elasticache/replicationGroup:ReplicationGroup"):
        retention = int(cache.get("snapshotRetentionLimit") or 0)
        failover = bool(cache.get("automaticFailoverEnabled"))
        scenarios.append(
            Scenario(
                "cache: node or AZ failure",
                0 if failover else (1440 if retention else None),
                MULTI_AZ_FAILOVER_MINUTES if failover else 15,
                "replica promotion (Multi-AZ)"
                if failover
                else (
                    "recreate from the daily snapshot"
                    if retention
                    else "rebuild empty (cache is derivable)"
                ),
            )
        )
    return RecoveryReport(tuple(scenarios))
