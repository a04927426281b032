"""CloudWatch alarm specs for what Prometheus cannot see well: RDS, ElastiCache, the ALB."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

RDS_MEMORY_GIB = {
    "db.t4g.micro": 1, "db.t4g.small": 2, "db.t4g.medium": 4, "db.t4g.large": 8,
    "db.t4g.xlarge": 16, "db.t4g.2xlarge": 32,
    "db.m6g.large": 8, "db.m7g.large": 8, "db.m8g.large": 8, "db.m7i.large": 8,
    "db.m6g.xlarge": 16, "db.m7g.xlarge": 16, "db.m8g.xlarge": 16, "db.m7i.xlarge": 16,
    "db.m7g.2xlarge": 32, "db.m7g.4xlarge": 64,
    "db.r6g.large": 16, "db.r7g.large": 16, "db.r8g.large": 16, "db.r7i.large": 16,
    "db.r7g.xlarge": 32, "db.r7g.2xlarge": 64,
}  # fmt: skip


def rds_max_connections(instance_class: str) -> int:
    """RDS for PostgreSQL's default ``LEAST(DBInstanceClassMemory/9531392, 5000)``."""
    memory = RDS_MEMORY_GIB.get(instance_class, 8) * 2**30
    return min(memory // 9531392, 5000)


@dataclass(frozen=True)
class Alarm:
    name: str
    namespace: str
    metric: str
    dimensions: dict[str, str]
    statistic: str
    comparison: str
    threshold: float
    period: int = 300
    evaluation_periods: int = 3
    description: str = ""
    extended_statistic: str | None = None


def free_storage_alarm(
    identifier: str,
    dims: dict[str, str],
    allocated_gib: int,
    max_allocated_gib: int | None,
    percent: float,
) -> Alarm:
    """Free storage that follows storage autoscaling.

    Without autoscaling: below ``percent`` of the allocation. With it, RDS grows the volume
    when free space falls under 10 % of the *current* allocation, which only grows; an alarm on a
    share of the initial allocation would fire exactly when autoscaling starts and mean nothing
    after. So the alarm is an absolute floor of half that share of the initial size: always
    below the point where autoscaling acts, reached only when it cannot (the ceiling
    ``maxAllocatedStorageGib`` is reached, or growth outruns its 6-hour cooldown)."""
    autoscaling = max_allocated_gib is not None and max_allocated_gib > allocated_gib
    share = percent / 2 if autoscaling else percent
    floor = allocated_gib * 2**30 * share / 100
    description = (
        f"RDS free storage below {floor / 2**30:g} GiB: storage autoscaling (ceiling "
        f"{max_allocated_gib} GiB) cannot keep up or reached its ceiling"
        if autoscaling
        else f"RDS free storage below {percent:g}% of allocated"
    )
    return Alarm(f"{identifier}-free-storage", "AWS/RDS", "FreeStorageSpace", dims, "Minimum",
                 "LessThanThreshold", floor, description=description)  # fmt: skip


def rds_alarms(
    identifier: str,
    instance_class: str,
    allocated_gib: int,
    *,
    cpu_percent: float,
    free_storage_percent: float,
    connections_percent: float,
    replicas: tuple[str, ...] = (),
    replica_lag_seconds: float = 60,
    max_allocated_gib: int | None = None,
    max_connections: int | None = None,
) -> list[Alarm]:
    """``replicas``' lag alarms on the *minimum* of each 5-minute period: a PostgreSQL replica
    of an idle source reports a lag growing to 5 minutes until the next WAL switch, then zero;
    a replica that stays behind for 15 minutes is one that does not catch up."""
    dims = {"DBInstanceIdentifier": identifier}
    memory = RDS_MEMORY_GIB.get(instance_class, 8) * 2**30
    alarms = [
        Alarm(f"{identifier}-cpu", "AWS/RDS", "CPUUtilization", dims, "Average",
              "GreaterThanThreshold", cpu_percent, description="RDS CPU high"),
        free_storage_alarm(identifier, dims, allocated_gib, max_allocated_gib,
                           free_storage_percent),
        Alarm(f"{identifier}-freeable-memory", "AWS/RDS", "FreeableMemory", dims, "Minimum",
              "LessThanThreshold", memory * 0.05, description="RDS freeable memory below 5%"),
        Alarm(f"{identifier}-connections", "AWS/RDS", "DatabaseConnections", dims, "Maximum",
              "GreaterThanThreshold",
              round((max_connections or rds_max_connections(instance_class))
                    * connections_percent / 100),
              description=f"connections above {connections_percent:g}% of max_connections"),
    ]  # fmt: skip
    for replica in replicas:
        alarms.append(
            Alarm(f"{replica}-replica-lag", "AWS/RDS", "ReplicaLag",
                  {"DBInstanceIdentifier": replica}, "Minimum", "GreaterThanThreshold",
                  replica_lag_seconds,
                  description=f"read replica more than {replica_lag_seconds:g} s behind for 15 min")
        )  # fmt: skip
    return alarms


def cache_node_ids(group_id: str, cluster_mode: bool, shards: int, replicas: int) -> list[str]:
    """ElastiCache's deterministic member cluster ids."""
    if cluster_mode:
        return [
            f"{group_id}-{s + 1:04d}-{n + 1:03d}"
            for s in range(shards)
            for n in range(replicas + 1)
        ]
    return [f"{group_id}-{n + 1:03d}" for n in range(replicas + 1)]


def cache_alarms(
    node_ids: list[str], *, cpu_percent: float, memory_percent: float, has_replicas: bool
) -> list[Alarm]:
    alarms: list[Alarm] = []
    for node in node_ids:
        dims = {"CacheClusterId": node}
        alarms += [
            Alarm(f"{node}-engine-cpu", "AWS/ElastiCache", "EngineCPUUtilization", dims,
                  "Average", "GreaterThanThreshold", cpu_percent, description="engine CPU high"),
            Alarm(f"{node}-memory", "AWS/ElastiCache", "DatabaseMemoryUsagePercentage", dims,
                  "Average", "GreaterThanThreshold", memory_percent, description="memory high"),
            Alarm(f"{node}-evictions", "AWS/ElastiCache", "Evictions", dims, "Sum",
                  "GreaterThanThreshold", 0, evaluation_periods=2, description="keys evicted"),
        ]  # fmt: skip
        if has_replicas:
            alarms.append(
                Alarm(f"{node}-replication-lag", "AWS/ElastiCache", "ReplicationLag", dims,
                      "Maximum", "GreaterThanThreshold", 5, description="replica > 5 s behind")
            )  # fmt: skip
    return alarms


def queue_alarms(queues: Sequence[tuple[str, str, int]]) -> list[Alarm]:
    """Per (queue, dead-letter queue, max age in seconds): a message in the DLQ (work that
    failed ``maxReceives`` times), and the oldest message too old (consumers behind)."""
    alarms: list[Alarm] = []
    for queue, dlq, max_age in queues:
        alarms += [
            Alarm(f"{dlq}-not-empty", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                  {"QueueName": dlq}, "Maximum", "GreaterThanThreshold", 0,
                  evaluation_periods=1, description="messages failed and were dead-lettered"),
            Alarm(f"{queue}-oldest-message", "AWS/SQS", "ApproximateAgeOfOldestMessage",
                  {"QueueName": queue}, "Maximum", "GreaterThanThreshold", max_age,
                  evaluation_periods=2, description=f"oldest message older than {max_age} s"),
        ]  # fmt: skip
    return alarms


def alb_alarms(name: str, arn_suffix: str, *, latency_seconds: float) -> list[Alarm]:
    dims = {"LoadBalancer": arn_suffix}
    return [
        Alarm(f"{name}-elb-5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", dims, "Sum",
              "GreaterThanThreshold", 10, description="ALB returns 5xx (no healthy target?)"),
        Alarm(f"{name}-target-5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", dims,
              "Sum", "GreaterThanThreshold", 50, description="API returns 5xx"),
        Alarm(f"{name}-latency-p95", "AWS/ApplicationELB", "TargetResponseTime", dims, "",
              "GreaterThanThreshold", latency_seconds, extended_statistic="p95",
              description=f"p95 target response time above {latency_seconds:g}s"),
    ]  # fmt: skip
