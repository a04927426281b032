"""RTO/RPO derived from the configured backups, compared with targets."""

from __future__ import annotations

from typing import Any

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
        ("0 4 1 * *", 44640),  # the longest month
        ("cron(0 5 ? * * *)", 1440),
        ("cron(0 5 ? * SUN *)", 10080),
        ("cron(0 5 1 * ? *)", 44640),
        ("30 2 * * 1-5", 4320),  # Friday to Monday
        ("@hourly", 60),
        ("not a schedule", None),
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


def _region_graph(allocated_gib: int) -> object:
    rules = [{"schedule": "cron(0 5 ? * * *)", "copyActions": [{"x": 1}]}]
    plan = res("aws:backup/plan:Plan", "plan", {"rules": rules})
    dump = res("kubernetes:batch/v1:CronJob", "dump",
               {"metadata": {"name": "pg-dump"}, "spec": {"schedule": "0 * * * *"}})  # fmt: skip
    replication = res("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "rep",
                      {"rules": [{}]})  # fmt: skip
    return graph(_db(multiAz=False, allocatedStorage=allocated_gib), plan, dump, replication)


def test_region_loss_pairs_each_paths_own_loss_and_time() -> None:
    """The dump loses an hour but restores slowly; the snapshot copy loses a day but restores
    fast: never the dump's RPO with the snapshot's RTO."""
    from tools.report.recovery import BACKUP_COPY_MINUTES, PG_RESTORE_GIB_PER_HOUR

    report = analyse(_region_graph(200), rpo_target_minutes=None, rto_target_minutes=None,
                     rebuild_minutes=30, region_rpo_target_minutes=120,
                     region_rto_target_minutes=1000)  # fmt: skip
    region = {s.name: s for s in report.scenarios}["database: region loss"]
    paths = {p.name: p for p in region.paths}
    dump, snapshot = paths["replicated dump"], paths["snapshot copy"]
    assert dump.rpo_minutes == 60 + S3_REPLICATION_MINUTES
    assert snapshot.rpo_minutes == 1440 + BACKUP_COPY_MINUTES
    assert dump.rto_minutes - snapshot.rto_minutes == 200 / PG_RESTORE_GIB_PER_HOUR * 60
    assert (region.rpo_minutes, region.rto_minutes) == (dump.rpo_minutes, dump.rto_minutes)
    assert region.why == "meets the targets (of 2 paths)"
    # a tight RTO target and a loose RPO target choose the snapshot copy, with its own pair
    report = analyse(_region_graph(200), rpo_target_minutes=None, rto_target_minutes=None,
                     rebuild_minutes=30, region_rpo_target_minutes=2000,
                     region_rto_target_minutes=snapshot.rto_minutes)  # fmt: skip
    region = {s.name: s for s in report.scenarios}["database: region loss"]
    assert (region.rpo_minutes, region.rto_minutes) == (snapshot.rpo_minutes, snapshot.rto_minutes)
    # no path meets an RPO target of 30 min: the least loss is assumed, and it warns
    report = analyse(_region_graph(200), rpo_target_minutes=None, rto_target_minutes=None,
                     rebuild_minutes=30, region_rpo_target_minutes=30,
                     region_rto_target_minutes=60)  # fmt: skip
    region = {s.name: s for s in report.scenarios}["database: region loss"]
    assert region.rpo_minutes == dump.rpo_minutes
    assert region.why == "no path meets the RPO target: least loss"
    assert any("region loss: RPO" in w for w in report.warnings)


def test_cache_failover_loses_the_newest_writes_and_is_compared_with_its_targets() -> None:
    from tools.report.recovery import ASYNC_REPLICATION_MINUTES

    cache = res("aws:elasticache/replicationGroup:ReplicationGroup", "c",
                {"automaticFailoverEnabled": True, "snapshotRetentionLimit": 7})  # fmt: skip
    report = analyse(graph(cache), rpo_target_minutes=None, rto_target_minutes=None,
                     rebuild_minutes=30, cache_rpo_target_minutes=0.5,
                     cache_rto_target_minutes=15)  # fmt: skip
    scenario, region = report.scenarios
    assert region.name == "cache: region loss"
    assert region.rpo_minutes is None  # no copy of a cache leaves its region
    assert scenario.rpo_minutes == ASYNC_REPLICATION_MINUTES > 0
    assert "asynchronous" in scenario.how
    assert [w for w in report.warnings if w.startswith("cache")]


@pytest.mark.parametrize(
    ("stack", "rpo", "rto_after_rebuild", "rpo_target"),
    [
        # no copy outside the region (backups.bucketReplication: false): nothing to recover to
        ("staging", None, None, None),
        # without its standby: hourly dumps + S3 replication (15 min) = 75; a Multi-AZ
        # instance (17.5 min) + pg_restore of 100 GiB at 20 GiB/h (300 min) + switching the
        # apps (5 min) = 322.5; production's targets (5 min / 60 min) are missed
        ("production", 75, 322.5, 5),
    ],
)
def test_committed_stacks_recovery_from_their_config(
    stack: str, rpo: float | None, rto_after_rebuild: float | None, rpo_target: int | None
) -> None:
    """The region-loss figures of the committed stacks, worked out by hand from their stack
    files and the timing table (not by the report's own formula); only the platform rebuild
    is the plan's critical path, which its own tests check."""
    from tests.conftest import REPO, stack_config
    from tools.offline.harness import run_program
    from tools.report.report import build

    config = stack_config(stack)
    report = build(run_program(REPO / f"Pulumi.{stack}.yaml"))
    scenarios = {s.name: s for s in report.recovery.scenarios}
    region = scenarios["database: region loss"]
    assert region.rpo_minutes == rpo
    assert region.rpo_target == rpo_target
    if rto_after_rebuild is None:
        assert region.rto_minutes is None
    else:
        rebuild = report.deploy.total_seconds / 60
        assert region.rto_minutes == round(rebuild + rto_after_rebuild)
    cache = scenarios["cache: node or AZ failure"]
    assert cache.rpo_target == config.get("platform:cache", {}).get("rpoMinutes", 5)
    targets = config.get("platform:backups", {})
    missed = [w for w in report.warnings if w.startswith("database: region loss")]
    if targets.get("regionLossRpoMinutes") == 5:
        assert missed == [
            "database: region loss: RPO 75 min misses target 5 min",
            "database: region loss: RTO 5.8 h misses target 60 min",
        ]
    else:
        assert report.warnings == []


def test_production_with_its_standby_meets_the_region_loss_targets(
    production: Any, production_dr: Any
) -> None:
    """Replica lag (30 s); deciding (10 min) + promotion (10 min) + the failover's up before
    anything scales (7 min: previews, the master password, the roles Job) + a node group's
    nodes (4 min) + Deployments (1 min) = 32 min; DNS follows the health check meanwhile
    (10 s x 3 + the 60 s alias TTL), all from the timing table."""
    from tools.report.report import build, render_text

    report = build(production, production_dr)
    scenarios = {s.name: s for s in report.recovery.scenarios}
    region = scenarios["database: region loss"]
    assert region.how.startswith("warm standby: decide and start `uv run failover production-dr")
    assert region.rpo_minutes == 0.5
    assert region.rpo_minutes < region.rpo_target == 5
    assert region.rto_minutes == 32
    assert region.rto_minutes < region.rto_target == 60
    assert "DNS follows the Route 53 health check after ~1.5 min" in region.how
    cache = scenarios["cache: region loss"]
    assert cache.rpo_minutes is None  # a cold cache: its contents are lost, and tolerated
    assert cache.rpo_target is None
    assert cache.rto_minutes == 32 < cache.rto_target == 60
    assert report.warnings == []
    assert report.standby is not None
    assert report.standby.stack == "production-dr"
    assert 0 < report.standby.total_usd < report.cost.total_usd
    text = "\n".join(render_text(report))
    assert "standby production-dr (us-west-2)" in text
    assert "primary + standby" in text


def test_a_standby_without_failover_records_adds_dns_by_hand(production_dr: Any) -> None:
    from policies.graph import ResourceGraph
    from tools.report.recovery import DNS_BY_HAND_MINUTES, standby_failover

    with_dns = standby_failover(production_dr.graph, "production-dr")
    without = ResourceGraph(
        tuple(r for r in production_dr.graph if not r.type.startswith("aws:route53"))
    )
    by_hand = standby_failover(without, "production-dr")
    assert with_dns.dns_automatic
    assert not by_hand.dns_automatic
    assert by_hand.rto_minutes == with_dns.rto_minutes + DNS_BY_HAND_MINUTES
    assert "changed by hand" in by_hand.how


def test_a_primary_whose_standby_does_not_plan_is_an_error(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``uv run plan production`` with a broken production-dr stops, naming the standby: a
    report without the failover would warn about region loss for the wrong reason."""
    import argparse

    from tools.offline import harness
    from tools.plan.cli import _report_with_standby
    from tools.report import report

    broken = tmp_path / "Pulumi.production-dr.yaml"
    broken.write_text(
        (report.REPO_ROOT / "Pulumi.production-dr.yaml")
        .read_text()
        .replace("cidr: 10.30.0.0/16", "cidr: 10.10.0.0/16")
    )
    monkeypatch.setattr(report, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(report, "standby_stacks", lambda primary: ["production-dr"])
    # the broken file fails at its config: no need for production's outputs
    monkeypatch.setattr(harness, "primary_outputs", lambda config: {})
    assert harness.standby_stacks("production") == ["production-dr"]
    args = argparse.Namespace(stack="production", config_file=None)
    # before the primary's report is built (``main`` then exits with EXIT_CONFIG_ERROR)
    assert _report_with_standby(args, result=None) is None  # type: ignore[arg-type]
    err = capsys.readouterr().err
    assert "standby production-dr of production does not plan" in err
    assert "overlaps the primary's (production)" in err
