"""RTO/RPO derived from the configured backups, compared with targets."""

from __future__ import annotations

import pytest

from tests.tools.report_graphs import graph, res
from tools.report.recovery import (
    MULTI_AZ_FAILOVER_MINUTES,
    PITR_RPO_MINUTES,
    S3_REPLICATION_MINUTES,
    analyse,
    cron_interval_minutes,
)


@pytest.mark.parametrize(
    ("expression", "minutes"),
    [
        ("0 * * * *", 60),
        ("*/15 * * * *", 15),
        ("30 3 * * *", 1440),
        ("0 */6 * * *", 360),
        ("0 4 * * 0", 10080),
        ("0 4 1 * *", 43200),
        ("cron(0 5 ? * * *)", 1440),
        ("cron(0 5 ? * SUN *)", 10080),
        ("cron(0 5 1 * ? *)", 43200),
        ("@hourly", None),
    ],
)
def test_cron_interval(expression: str, minutes: float | None) -> None:
    assert cron_interval_minutes(expression) == minutes


def _db(**inputs: object) -> object:
    return res("aws:rds/instance:Instance", "db", {"backupRetentionPeriod": 7, **inputs})


def test_single_az_with_pitr_and_no_copies() -> None:
    report = analyse(
        graph(_db(multiAz=False)), rpo_target_minutes=5, rto_target_minutes=60, rebuild_minutes=30
    )
    by_name = {s.name: s for s in report.scenarios}
    pitr = by_name["database: bad write or corruption (PITR)"]
    assert pitr.rpo_minutes == PITR_RPO_MINUTES
    assert pitr.rto_minutes is not None
    assert pitr.rto_minutes <= 60
    az = by_name["database: AZ failure"]
    assert az.rpo_minutes == PITR_RPO_MINUTES
    region = by_name["database: region loss"]
    assert region.rpo_minutes is None
    assert region.how == "no copy outside the primary region"
    assert report.warnings == []


def test_multi_az_copies_and_replicated_dumps() -> None:
    plan = res(
        "aws:backup/plan:Plan",
        "plan",
        {"rules": [{"schedule": "cron(0 5 ? * * *)", "copyActions": [{"x": 1}]}]},
    )
    dump = res(
        "kubernetes:batch/v1:CronJob",
        "dump",
        {"metadata": {"name": "pg-dump"}, "spec": {"schedule": "0 * * * *"}},
    )
    replication = res(
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "rep", {"rules": [{}]}
    )
    report = analyse(
        graph(_db(multiAz=True), plan, dump, replication),
        rpo_target_minutes=5,
        rto_target_minutes=60,
        rebuild_minutes=40,
    )
    by_name = {s.name: s for s in report.scenarios}
    assert by_name["database: AZ failure"].rpo_minutes == 0
    assert by_name["database: AZ failure"].rto_minutes == MULTI_AZ_FAILOVER_MINUTES
    region = by_name["database: region loss"]
    assert region.rpo_minutes == 60 + S3_REPLICATION_MINUTES
    assert "pg_dump every 60 min" in region.how
    assert by_name["database: logical dump (table-level restore)"].rpo_minutes == 60


def test_missed_target_is_a_warning() -> None:
    report = analyse(
        graph(_db(backupRetentionPeriod=0)),
        rpo_target_minutes=5,
        rto_target_minutes=60,
        rebuild_minutes=30,
    )
    assert any("RPO none misses target 5 min" in w for w in report.warnings)
