"""Cost estimate: hand-computed sums, unknown prices, spot and commitment savings."""

from __future__ import annotations

import pytest

from environment.config.cost import CostConfig
from tests.tools.report_graphs import graph, res
from tools.report import prices as p
from tools.report.cost import estimate, quantity_gib

NO_USAGE = CostConfig(
    nat_data_processed_gib_per_month=0,
    log_ingest_gib_per_month=0,
    s3_storage_gib=0,
    backup_storage_gib=0,
    alb_lcu=0,
)
COMPONENT = "platform:components:Data"


def test_small_graph_costs_the_hand_computed_sum() -> None:
    comp = res(COMPONENT, "data", custom=False)
    g = graph(
        comp,
        res(
            "aws:rds/instance:Instance",
            "db",
            {"instanceClass": "db.m7g.large", "multiAz": True, "allocatedStorage": 100},
            parent=comp.urn,
        ),
        res(
            "aws:elasticache/replicationGroup:ReplicationGroup",
            "cache",
            {"nodeType": "cache.t4g.small", "numNodeGroups": 2, "replicasPerNodeGroup": 1},
            parent=comp.urn,
        ),
        res("aws:ec2/natGateway:NatGateway", "nat"),
        res("aws:kms/key:Key", "key", parent=comp.urn),
        res("eks:index:Cluster", "eks", {"upgradePolicy": {"supportType": "STANDARD"}}),
    )
    report = estimate(
        g, "us-east-1", NO_USAGE.model_copy(update={"nat_data_processed_gib_per_month": 100})
    )
    expected = (
        round(0.168 * 730 * 2, 2)  # Multi-AZ doubles the instance
        + round(100 * 0.115 * 2, 2)  # and the storage
        + round(0.0256 * 730 * 4, 2)  # 2 shards x (1 primary + 1 replica)
        + round(0.045 * 730, 2)  # NAT hourly
        + round(100 * 0.045, 2)  # NAT data
        + 1.00  # KMS key
        + round(0.10 * 730, 2)  # EKS standard support
    )
    assert report.total_usd == pytest.approx(expected, abs=0.01)
    assert not report.unknown
    by_component = report.by_component()
    assert by_component["data"] == pytest.approx(
        round(0.168 * 730 * 2, 2) + 23.0 + round(0.0256 * 730 * 4, 2) + 1.0, abs=0.01
    )
    assert report.commitment_savings_usd == pytest.approx(
        round(0.168 * 730 * 2, 2) * p.COMMITMENT_DISCOUNTS["rds"]
        + round(0.0256 * 730 * 4, 2) * p.COMMITMENT_DISCOUNTS["elasticache"],
        abs=0.01,
    )


def test_unset_upgrade_policy_is_priced_as_extended_support() -> None:
    report = estimate(graph(res("eks:index:Cluster", "eks")), "us-east-1", NO_USAGE)
    (line,) = report.lines
    assert line.monthly_usd == round(0.60 * 730, 2)
    assert "EXTENDED" in line.detail


def test_unknown_instance_class_is_reported_never_zero() -> None:
    g = graph(res("aws:rds/instance:Instance", "db", {"instanceClass": "db.z9.huge"}))
    report = estimate(g, "us-east-1", NO_USAGE)
    (unknown,) = report.unknown
    assert unknown.monthly_usd is None
    assert "db.z9.huge" in unknown.detail
    assert report.to_json()["totalIsLowerBound"] is True


def test_unpriced_region_gives_unknown_lines() -> None:
    g = graph(res("aws:ec2/natGateway:NatGateway", "nat"), res("aws:kms/key:Key", "k"))
    report = estimate(g, "ap-south-2", NO_USAGE)
    assert {line.item for line in report.unknown} == {
        "NAT gateway",
        "NAT data processing",
        "KMS key",
    }
    assert all("ap-south-2" in line.detail for line in report.unknown)
    assert report.total_usd == 0


def test_spot_node_group_prices_average_of_types_and_reports_savings() -> None:
    template = res(
        "aws:ec2/launchTemplate:LaunchTemplate",
        "lt",
        {"blockDeviceMappings": [{"ebs": {"volumeSize": 50}}]},
        outputs={"id": "lt-1"},
    )
    group = res(
        "aws:eks/nodeGroup:NodeGroup",
        "spot",
        {
            "capacityType": "SPOT",
            "instanceTypes": ["m6i.large", "m7i.large"],
            "scalingConfig": {"minSize": 1, "desiredSize": 2, "maxSize": 4},
            "launchTemplate": {"id": "lt-1"},
        },
    )
    report = estimate(graph(template, group), "us-east-1", NO_USAGE)
    spot_hourly = (p.EC2_SPOT_HOURLY["m6i.large"] + p.EC2_SPOT_HOURLY["m7i.large"]) / 2
    od_hourly = (p.EC2_ON_DEMAND_HOURLY["m6i.large"] + p.EC2_ON_DEMAND_HOURLY["m7i.large"]) / 2
    nodes = next(line for line in report.lines if line.item == "nodes spot")
    assert nodes.monthly_usd == round(spot_hourly * 730 * 2, 2)
    volumes = next(line for line in report.lines if line.item == "node volumes spot")
    assert volumes.monthly_usd == round(100 * p.EBS_GP3_GIB_MONTH, 2)
    assert report.spot_savings_usd == pytest.approx(
        round(od_hourly * 730 * 2, 2) - round(spot_hourly * 730 * 2, 2), abs=0.01
    )
    assert report.commitment_savings_usd == 0


def test_alb_from_ingress_and_helm_volumes_are_priced() -> None:
    ingress = res(
        "kubernetes:networking.k8s.io/v1:Ingress",
        "api",
        {
            "metadata": {"annotations": {"alb.ingress.kubernetes.io/load-balancer-name": "s-api"}},
            "spec": {"ingressClassName": "alb"},
        },
    )
    release = res(
        "kubernetes:helm.sh/v3:Release",
        "kps",
        {
            "values": {
                "prometheus": {
                    "prometheusSpec": {
                        "replicas": 2,
                        "storageSpec": {
                            "volumeClaimTemplate": {
                                "spec": {"resources": {"requests": {"storage": "50Gi"}}}
                            }
                        },
                    }
                }
            }
        },
    )
    usage = NO_USAGE.model_copy(update={"alb_lcu": 2})
    report = estimate(graph(ingress, release), "us-east-1", usage)
    alb = next(line for line in report.lines if line.item == "ALB s-api")
    assert alb.monthly_usd == pytest.approx(round(0.0225 * 730, 2) + round(0.008 * 730 * 2, 2))
    volumes = next(line for line in report.lines if line.item.startswith("volumes"))
    # one 50Gi claim per Prometheus replica (prometheusSpec.replicas = 2)
    assert volumes.monthly_usd == pytest.approx(2 * 50 * p.EBS_GP3_GIB_MONTH)


@pytest.mark.parametrize(
    ("quantity", "gib"),
    [
        ("50Gi", 50.0),
        ("1Ti", 1024.0),
        ("512Mi", 0.5),
        ("1.5Gi", 1.5),
        ("2e9", 2e9 / 2**30),
        ("bogus", None),
        ("NaN", None),
        ("-50Gi", None),
        ("1_000Gi", None),
    ],
)
def test_quantity_parsing(quantity: str, gib: float | None) -> None:
    assert quantity_gib(quantity) == gib


def test_every_usage_assumption_is_a_labelled_line() -> None:
    g = graph(
        res("aws:cloudwatch/logGroup:LogGroup", "lg"),
        res("aws:s3/bucket:Bucket", "b"),
        res("aws:backup/vault:Vault", "v"),
    )
    report = estimate(g, "us-east-1", CostConfig())
    items = {line.item: line for line in report.lines}
    assert items["CloudWatch Logs ingestion"].monthly_usd == 100 * 0.5
    assert "cost.logIngestGibPerMonth" in items["CloudWatch Logs ingestion"].detail
    assert items["S3 storage"].monthly_usd == round(200 * 0.023, 2)
    assert items["backup storage"].monthly_usd == round(200 * 0.095, 2)


@pytest.mark.parametrize(
    ("region", "ec2", "rds", "cache"),
    [
        ("eu-west-1", 0.11235, 0.186, 0.1392),  # m7i.large, db.m7g.large, cache.m7g.large
        ("ap-southeast-2", None, None, None),
    ],
)
def test_instance_prices_come_from_the_regional_feed_outside_the_checked_regions(
    region: str, ec2: float | None, rds: float | None, cache: float | None
) -> None:
    from tools.report import prices as p

    got = (
        p.lookup(p.EC2_ON_DEMAND_HOURLY, "m7i.large", region).hourly,
        p.lookup(p.RDS_POSTGRES_SINGLE_AZ_HOURLY, "db.m7g.large", region).hourly,
        p.lookup(p.ELASTICACHE_VALKEY_HOURLY, "cache.m7g.large", region).hourly,
    )
    if ec2 is None:  # every region of the feed prices the platform's default types
        assert all(v is not None and v > 0 for v in got)
    else:
        assert got == (ec2, rds, cache)
    # lines the feed does not carry stay unknown, never zero
    assert p.lookup(p.EC2_SPOT_HOURLY, "m7i.large", region).hourly is None


def test_every_commercial_region_is_priced_or_says_why() -> None:
    from components.regions import COMMERCIAL_REGIONS
    from tools.report import prices as p

    general = ("m7i.large", "m6i.large", "m5.large")
    covered = {
        r for r in COMMERCIAL_REGIONS
        if any(p.lookup(p.EC2_ON_DEMAND_HOURLY, t, r).hourly for t in general)
    }  # fmt: skip
    assert len(covered) >= 30
    for region in sorted(COMMERCIAL_REGIONS):
        for instance in general:
            price = p.lookup(p.EC2_ON_DEMAND_HOURLY, instance, region)
            assert price.hourly is not None or region in price.note or instance in price.note


def test_the_deploy_runner_and_backup_scratch_volumes_are_priced() -> None:
    """Nothing the plan creates is a silent zero: the runner by build minutes, the dump
    volumes by what the last finished run keeps."""
    from tests.conftest import REPO
    from tools.offline.harness import run_program
    from tools.report.report import build

    report = build(run_program(REPO / "Pulumi.production.yaml"))
    lines = {line.item: line for line in report.cost.lines}
    runner = lines["CodeBuild deploy runner"]
    assert runner.monthly_usd == 3.0  # 300 min x $0.01
    scratch = [line for item, line in lines.items() if item.startswith("scratch volume")]
    assert len(scratch) == 2  # pg-dump and restore-check
    for line in scratch:
        assert line.monthly_usd == 8.0  # 100 GiB x $0.08


@pytest.mark.parametrize("replicas", [2, 2.0])
def test_chart_volumes_count_every_replica(replicas: float) -> None:
    """Prometheus' and Alertmanager's claims are per replica, whatever JSON made of the 2."""
    from tools.report.cost import _helm_volume_gib

    values = {
        "prometheus": {"prometheusSpec": {"replicas": replicas, "storageSpec": {
            "volumeClaimTemplate": {"spec": {"resources": {"requests": {"storage": "100Gi"}}}}}}},
        "alertmanager": {"alertmanagerSpec": {"replicas": replicas, "storage": {
            "volumeClaimTemplate": {"spec": {"resources": {"requests": {"storage": "10Gi"}}}}}}},
    }  # fmt: skip
    assert _helm_volume_gib(values) == 220


def test_database_dumps_are_priced_from_their_schedule_retention_and_replica() -> None:
    """Production: hourly dumps kept 35 days + 7 noncurrent days, replicated to the DR region
    in Standard-IA; 5 GiB each (cost.dumpSizeGib)."""
    from tests.conftest import REPO
    from tools.offline.harness import run_program
    from tools.report.report import build

    report = build(run_program(REPO / "Pulumi.production.yaml"))
    lines = {line.item: line.monthly_usd for line in report.cost.lines}
    kept = 24 * (35 + 7)  # dumps alive at any time, noncurrent versions included
    assert lines["database dumps (S3)"] == round(kept * 5 * 0.023, 2)
    assert lines["dump replica (DR region)"] == round(kept * 5 * 0.0125, 2)
    assert lines["dump replication transfer"] == round(24 * 30.4 * 5 * 0.02, 2)
    assert "dump PUT requests" in lines
    dumps = sum(v for k, v in lines.items() if k.startswith(("database dumps", "dump ")) and v)
    assert dumps > 40 * lines["S3 storage"]  # what the flat S3 figure used to hide


def test_backup_copies_to_the_dr_vault_are_priced(production: object, staging: object) -> None:
    """Production copies every recovery point to us-west-2: the DR vault's storage and the
    cross-region transfer; staging copies nothing."""
    from tools.report.report import build

    prod = {line.item: line.monthly_usd for line in build(production).cost.lines}  # type: ignore[arg-type]
    assert prod["backup copies (DR vault)"] == round(200 * 0.095, 2)
    assert prod["backup copy transfer"] == round(100 * 0.02, 2)
    stg = {line.item for line in build(staging).cost.lines}  # type: ignore[arg-type]
    assert "backup copies (DR vault)" not in stg


@pytest.mark.parametrize(
    ("schedule", "runs"),
    [("0 * * * *", 24), ("30 3 * * *", 1), ("0 0,12 * * *", 2), ("*/15 9-17 * * *", 36),
     ("30 1 * * 1-5", 5 / 7), ("0 */6 * * *", 4)],
)  # fmt: skip
def test_dump_runs_per_day_follow_the_schedule(schedule: str, runs: float) -> None:
    from environment.config.schedules import runs_per_day

    assert runs_per_day(schedule) == pytest.approx(runs)


def test_logs_traces_and_heartbeat_are_priced_from_the_usage_assumptions() -> None:
    """Production: 5 GiB/day of container logs kept 30 days, 5 M traces a month, a heartbeat
    a minute (cost.containerLogGibPerDay, cost.tracesPerMonthMillions)."""
    from tests.conftest import REPO
    from tools.offline.harness import run_program
    from tools.report.report import build

    report = build(run_program(REPO / "Pulumi.production.yaml"))
    lines = {line.item: line.monthly_usd for line in report.cost.lines}
    assert lines["container logs ingestion"] == round(5 * 30.4 * 0.50, 2)
    assert lines["container logs storage"] == round(5 * 30 * 0.03, 2)
    assert lines["X-Ray traces recorded"] == round((5_000_000 - 100_000) / 1e6 * 5.00, 2)
    assert lines["alerting heartbeat"] == round(60 * 24 * 30.4 / 1e6 * 0.50, 2)


def test_the_web_acl_is_priced_per_acl_rule_and_request() -> None:
    from tests.conftest import REPO
    from tools.offline.harness import run_program
    from tools.report.report import build

    report = build(run_program(REPO / "Pulumi.production.yaml"))
    lines = {line.item: line.monthly_usd for line in report.cost.lines}
    assert lines["WAF web ACL and rules"] == 5.00 + 5 * 1.00  # 4 managed groups + rate rule
    assert lines["WAF requests"] == round(50 * 0.60, 2)
