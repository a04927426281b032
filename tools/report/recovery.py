"""RTO/RPO summary derived from what the plan actually configures.

Nothing here is asserted from intent: each figure comes from a resource in the graph — RDS
backup retention and Multi-AZ, the AWS Backup plan's rules and copy actions, the ``pg-dump``
CronJob's schedule, S3 replication, ElastiCache snapshots — with a modelled restore time, and
is compared with the stack's targets (``backups.rpoMinutes`` / ``backups.rtoMinutes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from environment.config.schedules import longest_gap_minutes
from policies.graph import ResourceGraph

from .timing import (
    CREATE_SECONDS,
    FAILOVER_DECISION_SECONDS,
    FAILOVER_UP_SECONDS,
    MULTI_AZ_RDS_SECONDS,
    PROMOTE_REPLICA_SECONDS,
)

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
BACKUP_COPY_MINUTES = 60
"""Allowance for an AWS Backup cross-region copy to complete after the backup."""
PG_RESTORE_GIB_PER_HOUR = 20
"""``pg_restore`` throughput of a logical dump into a fresh instance (data plus index builds):
a conservative figure for a gp3 volume and a mid-size instance."""
ASYNC_REPLICATION_MINUTES = 1
"""ElastiCache replication is asynchronous: writes acknowledged by the primary in the last
moments before a failover (for a Celery broker: newly queued tasks) may be lost."""


REPLICA_LAG_MINUTES = 0.5
"""Cross-region replication lag of a PostgreSQL read replica under write load: seconds (watch
``ReplicaLag``); 30 s is the allowance. An idle primary reports up to 5 minutes, with nothing
to lose."""
ALIAS_TTL_SECONDS = 60
DNS_BY_HAND_MINUTES = 15
"""A standby without failover records: someone changes the hosts' records by hand."""


@dataclass(frozen=True)
class StandbyFailover:
    """A warm standby of the stack in another region, as its plan configures it: the minutes
    of each step of a failover, from the timing table."""

    stack: str
    replica: bool
    """Its database replicates the primary's (no replica: the database comes back another way)."""
    decide_minutes: float
    promote_minutes: float
    up_minutes: float
    """The failover's refresh and ``up`` before anything scales (password, roles Job)."""
    scale_up_minutes: float
    dns_minutes: float
    dns_automatic: bool
    """Route 53 failover records: DNS follows the health check while the rest runs (off the
    critical path); without them someone changes the records after the rest."""

    @property
    def rto_minutes(self) -> float:
        steps = self.decide_minutes + self.promote_minutes + self.up_minutes + self.scale_up_minutes
        return round(steps + (0 if self.dns_automatic else self.dns_minutes), 1)

    @property
    def how(self) -> str:
        dns = (
            f"DNS follows the Route 53 health check after ~{fmt(self.dns_minutes)}, meanwhile"
            if self.dns_automatic
            else f"then DNS changed by hand (~{fmt(self.dns_minutes)})"
        )
        return (
            f"decide and start `uv run failover {self.stack} --execute` "
            f"(~{fmt(self.decide_minutes)}), promote the replica (~{fmt(self.promote_minutes)}), "
            f"its `up` sets the master password and the logins (~{fmt(self.up_minutes)}) and "
            f"scales to full size (~{fmt(self.scale_up_minutes)}); {dns}"
        )


def standby_failover(standby: ResourceGraph, stack: str) -> StandbyFailover:
    """The failover model of ``standby`` (its plan): the timing table's node group and
    Deployment times, the health check's detection time."""

    replica = any(d.get("replicateSourceDb") for d in _inputs(standby, "aws:rds/instance:Instance"))
    # new nodes: the groups' minimum, or the autoscaler's for the workloads' pods (the standby's
    # nodes hold its add-ons); either way a node group's launch and join time
    scale_up = (
        CREATE_SECONDS["kubernetes:apps/v1:Deployment"]
        + CREATE_SECONDS["aws:eks/nodeGroup:NodeGroup"]
    )
    checks = _inputs(standby, "aws:route53/healthCheck:HealthCheck")
    if checks:
        check = checks[0]
        detect = int(check.get("requestInterval") or 30) * int(check.get("failureThreshold") or 3)
        dns, automatic = (detect + ALIAS_TTL_SECONDS) / 60, True
    else:
        dns, automatic = DNS_BY_HAND_MINUTES, False
    return StandbyFailover(
        stack,
        replica,
        FAILOVER_DECISION_SECONDS / 60,
        PROMOTE_REPLICA_SECONDS / 60 if replica else 0,
        FAILOVER_UP_SECONDS / 60,
        round(scale_up / 60, 1),
        round(dns, 1),
        automatic,
    )


@dataclass(frozen=True)
class Path:
    """One way to recover: its data loss and its time, computed together."""

    name: str
    rpo_minutes: float | None
    rto_minutes: float | None
    how: str


def choose(
    paths: list[Path], rpo_target: float | None, rto_target: float | None
) -> tuple[Path | None, str]:
    """The path a team would take, and why: one that meets both targets (least loss, then
    fastest); else the one that meets the RPO target fastest; else the least data loss."""

    def loss(path: Path) -> float:
        return float("inf") if path.rpo_minutes is None else path.rpo_minutes

    def time(path: Path) -> float:
        return float("inf") if path.rto_minutes is None else path.rto_minutes

    if not paths:
        return None, "no recovery path"
    meets_rpo = [p for p in paths if rpo_target is None or loss(p) <= rpo_target]
    both = [p for p in meets_rpo if rto_target is None or time(p) <= rto_target]
    if both:
        best = min(both, key=lambda p: (loss(p), time(p)))
        reason = "meets the targets" if rpo_target or rto_target else "least data loss"
        return best, reason + (f" (of {len(paths)} paths)" if len(paths) > 1 else "")
    if meets_rpo:
        return min(meets_rpo, key=time), "meets the RPO target, not the RTO target"
    return min(paths, key=lambda p: (loss(p), time(p))), "no path meets the RPO target: least loss"


@dataclass(frozen=True)
class Scenario:
    name: str
    rpo_minutes: float | None
    rto_minutes: float | None
    how: str
    rpo_target: float | None = None
    rto_target: float | None = None
    paths: tuple[Path, ...] = ()
    """Every way to recover that the plan configures (the chosen one gives the figures)."""
    why: str = ""
    """Why the chosen path (targets met, or the least data loss)."""

    @classmethod
    def of(
        cls, name: str, paths: list[Path], rpo_target: float | None, rto_target: float | None
    ) -> Scenario:
        chosen, why = choose(paths, rpo_target, rto_target)
        return cls(
            name,
            chosen.rpo_minutes if chosen else None,
            chosen.rto_minutes if chosen else None,
            f"{chosen.name}: {chosen.how}" if chosen else "no recovery path",
            rpo_target,
            rto_target,
            tuple(paths),
            why,
        )

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
        return f"{round(minutes / 60, 1):g} h"
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
                    "why": s.why,
                    "paths": [
                        {
                            "name": p.name,
                            "rpoMinutes": p.rpo_minutes,
                            "rtoMinutes": p.rto_minutes,
                            "how": p.how,
                        }
                        for p in s.paths
                    ],
                }
                for s in self.scenarios
            ],
            "warnings": self.warnings,
        }


def cron_interval_minutes(expression: str) -> float | None:
    """Longest gap between runs of a Kubernetes (5-field) or AWS (``cron(...)``) schedule;
    None when it is not a schedule."""
    try:
        return float(longest_gap_minutes(expression))
    except (ValueError, KeyError):
        return None


def _inputs(graph: ResourceGraph, type_: str) -> list[dict[str, Any]]:
    return [r.inputs for r in graph.of_type(type_)]


def _cache_scenarios(
    graph: ResourceGraph, rpo_target: float | None, rto_target: float | None
) -> list[Scenario]:
    """Node or AZ failure of each cache: replica promotion, the daily snapshot, or empty."""
    scenarios: list[Scenario] = []
    for cache in _inputs(graph, "aws:elasticache/replicationGroup:ReplicationGroup"):
        retention = int(cache.get("snapshotRetentionLimit") or 0)
        paths = []
        if cache.get("automaticFailoverEnabled"):
            paths.append(
                Path(
                    "replica promotion",
                    ASYNC_REPLICATION_MINUTES,
                    MULTI_AZ_FAILOVER_MINUTES,
                    "automatic failover to a replica in another AZ; replication is "
                    "asynchronous, so the newest writes (queued Celery tasks) may be lost",
                )
            )
        if retention:
            paths.append(
                Path("daily snapshot", 1440, 15, "recreate the group from the daily snapshot")
            )
        paths.append(Path("rebuild empty", None, 15, "recreate the group empty"))
        scenarios.append(
            Scenario.of(
                "cache: node or AZ failure",
                paths,
                rpo_target,
                rto_target,
            )
        )
    return scenarios


def _cache_region_scenario(
    graph: ResourceGraph,
    standby: StandbyFailover | None,
    rebuild_minutes: float,
    rpo_target: float | None,
    rto_target: float | None,
) -> list[Scenario]:
    """Region loss of the cache: the standby's own (cold) cache, or a rebuild in another
    region; either way its contents are lost (no copy leaves the region)."""
    if not graph.of_type("aws:elasticache/replicationGroup:ReplicationGroup"):
        return []
    create = CREATE_SECONDS["aws:elasticache/replicationGroup:ReplicationGroup"] / 60
    paths = [
        Path("rebuild empty", None, round(rebuild_minutes + create),
             "rebuild the platform and an empty cache in another region")
    ]  # fmt: skip
    if standby is not None:
        paths.append(
            Path("cold cache in the standby", None, standby.rto_minutes,
                 f"{standby.stack}'s own empty cache, already running; {standby.how}")
        )  # fmt: skip
    return [Scenario.of("cache: region loss", paths, rpo_target, rto_target)]


def _region_paths(
    db: dict[str, Any],
    cross_region: list[dict[str, Any]],
    dump_interval: float | None,
    replicated: bool,
    rebuild_minutes: float,
    create: float,
) -> list[Path]:
    """How the database comes back in the DR region: a copied snapshot, a replicated dump."""
    region: list[Path] = []
    copy_intervals = [
        i for i in (cron_interval_minutes(str(r["schedule"])) for r in cross_region) if i
    ]
    rebuild = f"rebuild the platform in the DR region (~{fmt(round(rebuild_minutes))})"
    if copy_intervals:
        interval = min(copy_intervals)
        region.append(
            Path(
                "snapshot copy",
                interval + BACKUP_COPY_MINUTES,
                round(rebuild_minutes + create + APP_SWITCH_MINUTES),
                f"AWS Backup copy to the DR vault every {fmt(interval)}; {rebuild}, "
                "restore the copied snapshot",
            )
        )
    if dump_interval and replicated:
        size = float(db.get("allocatedStorage") or 0)
        restore_dump = size / PG_RESTORE_GIB_PER_HOUR * 60
        region.append(
            Path(
                "replicated dump",
                dump_interval + S3_REPLICATION_MINUTES,
                round(rebuild_minutes + create + restore_dump + APP_SWITCH_MINUTES),
                f"pg_dump every {fmt(dump_interval)} replicated to the DR bucket; {rebuild}, "
                f"pg_restore ~{size:g} GiB at {PG_RESTORE_GIB_PER_HOUR} GiB/h",
            )
        )
    return region


def _database_local_scenarios(
    db: dict[str, Any], rpo_target: float | None, rto_target: float | None
) -> tuple[list[Scenario], float]:
    """Bad write (PITR) and AZ failure of one primary; also the minutes to create it."""
    scenarios: list[Scenario] = []
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
                rpo_target,
                rto_target,
            )
        )
    else:
        scenarios.append(
            Scenario(
                "database: bad write or corruption",
                None,
                None,
                "no automated backups",
                rpo_target,
                rto_target,
            )
        )
    if multi_az:
        scenarios.append(
            Scenario(
                "database: AZ failure",
                0,
                MULTI_AZ_FAILOVER_MINUTES,
                "Multi-AZ synchronous standby, automatic failover",
                rpo_target,
                rto_target,
            )
        )
    else:
        scenarios.append(
            Scenario(
                "database: AZ failure",
                PITR_RPO_MINUTES if pitr else None,
                restore if pitr else None,
                "single-AZ: PITR restore into another AZ",
                rpo_target,
                rto_target,
            )
        )
    return scenarios, create


def analyse(
    graph: ResourceGraph,
    *,
    rpo_target_minutes: float | None,
    rto_target_minutes: float | None,
    rebuild_minutes: float,
    region_rpo_target_minutes: float | None = None,
    region_rto_target_minutes: float | None = None,
    cache_rpo_target_minutes: float | None = None,
    cache_rto_target_minutes: float | None = None,
    cache_region_rpo_target_minutes: float | None = None,
    cache_region_rto_target_minutes: float | None = None,
    standby: StandbyFailover | None = None,
) -> RecoveryReport:
    """Scenarios for the database, cache and object storage; ``rebuild_minutes`` is the
    modelled first-``up`` time of the whole platform (the region-loss RTO floor without a
    standby); ``standby``: a warm standby's failover (``standby_failover``)."""
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
        local, create = _database_local_scenarios(db, rpo_target_minutes, rto_target_minutes)
        scenarios += local
        region = _region_paths(db, cross_region, dump_interval, replicated, rebuild_minutes, create)
        if standby is not None and standby.replica:
            region.append(
                Path("warm standby", REPLICA_LAG_MINUTES, standby.rto_minutes, standby.how)
            )
        scenarios.append(
            Scenario.of(
                "database: region loss",
                region,
                region_rpo_target_minutes,
                region_rto_target_minutes,
            )
            if region
            else Scenario(
                "database: region loss",
                None,
                None,
                "no copy outside the primary region",
                region_rpo_target_minutes,
                region_rto_target_minutes,
                why="no recovery path",
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

    scenarios += _cache_scenarios(graph, cache_rpo_target_minutes, cache_rto_target_minutes)
    scenarios += _cache_region_scenario(
        graph,
        standby,
        rebuild_minutes,
        cache_region_rpo_target_minutes,
        cache_region_rto_target_minutes,
    )
    return RecoveryReport(tuple(scenarios))
