"""``uv run failover``: its steps in order against moto (RDS promotion, Route 53's health
check and failover records), the Pulumi CLI steps through a recording runner."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from tests.conftest import REPO
from tools.failover import cli
from tools.failover.cli import Failover, database_urn, load, main

STANDBY, PRIMARY = "production-dr", "production"
ZONE = "example.com"


class Recorder:
    """A boto3 session whose clients log every API call, and a Pulumi runner that logs every
    command into the same list: the order of everything the command did."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.log: list[str] = []
        self._session = boto3.Session(region_name="us-west-2")
        self.fail_on = fail_on

    def client(self, service: str, region_name: str | None = None) -> Any:
        client = self._session.client(service, region_name=region_name)
        client.meta.events.register(
            "before-call.*.*", lambda model, **_: self.log.append(f"aws {model.name}")
        )
        client.meta.events.register("after-call.rds.DescribeDBInstances", self._as_aws_does)
        return client

    def _as_aws_does(self, parsed: dict[str, Any], **_: Any) -> None:
        """moto keeps ReadReplicaSourceDBInstanceIdentifier after a promotion; RDS drops it
        (once the promotion is done, here at the first describe after it)."""
        if "aws PromoteReadReplica" in self.log:
            for instance in parsed.get("DBInstances", []):
                instance.pop("ReadReplicaSourceDBInstanceIdentifier", None)

    def __call__(self, command: Sequence[str]) -> str:
        self.log.append("pulumi " + " ".join(a for a in command[2:] if not a.startswith("--")))
        if self.fail_on and self.fail_on in command:
            raise RuntimeError(f"pulumi {self.fail_on} failed")
        return ""


@pytest.fixture
def aws() -> Any:
    """Production's database in us-east-1, its replica in us-west-2 under a key of that region,
    a health check on production's ALB and the failover records of api.example.com."""
    with mock_aws():
        east, west = (boto3.client("rds", region_name=r) for r in ("us-east-1", "us-west-2"))
        key = {r: boto3.client("kms", region_name=r).create_key()["KeyMetadata"]["Arn"]
               for r in ("us-east-1", "us-west-2")}  # fmt: skip
        source = east.create_db_instance(
            DBInstanceIdentifier=f"{PRIMARY}-postgres", Engine="postgres",
            DBInstanceClass="db.m7g.large", AllocatedStorage=100, MasterUsername="platform_admin",
            MasterUserPassword="x" * 40, StorageEncrypted=True, KmsKeyId=key["us-east-1"],
            BackupRetentionPeriod=30,
        )["DBInstance"]  # fmt: skip
        west.create_db_instance_read_replica(
            DBInstanceIdentifier=f"{STANDBY}-postgres", DBInstanceClass="db.m7g.large",
            SourceDBInstanceIdentifier=source["DBInstanceArn"], KmsKeyId=key["us-west-2"],
            SourceRegion="us-east-1",
        )  # fmt: skip
        route53 = boto3.client("route53", region_name="us-east-1")
        zone = route53.create_hosted_zone(Name=ZONE, CallerReference="zone")["HostedZone"]["Id"]
        check = route53.create_health_check(
            CallerReference="primary",
            HealthCheckConfig={"Type": "TCP", "Port": 443, "RequestInterval": 10,
                               "FailureThreshold": 3,
                               "FullyQualifiedDomainName": "production-alb.elb.amazonaws.com"},
        )["HealthCheck"]["Id"]  # fmt: skip
        changes = [
            {"Action": "CREATE", "ResourceRecordSet": {
                "Name": f"api.{ZONE}", "Type": "A", "SetIdentifier": ident, "Failover": role,
                **({"HealthCheckId": check} if role == "PRIMARY" else {}),
                "AliasTarget": {"HostedZoneId": zone_id, "DNSName": target,
                                "EvaluateTargetHealth": True}}}
            for ident, role, zone_id, target in (
                (PRIMARY, "PRIMARY", "Z35SXDOTRQ7X7K", "production-alb.elb.amazonaws.com"),
                (STANDBY, "SECONDARY", "Z1H1FL5HABSF5", "production-dr-alb.elb.amazonaws.com"),
            )
        ]  # fmt: skip
        route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})
        yield {"west": west, "route53": route53, "zone": zone.rsplit("/", 1)[-1], "check": check}


@pytest.fixture
def stack_file(tmp_path: Path) -> Path:
    """A copy of the standby's stack file, for the promotion the command records."""
    copy = tmp_path / f"Pulumi.{STANDBY}.yaml"
    copy.write_text((REPO / f"Pulumi.{STANDBY}.yaml").read_text())
    return copy


def _run(argv: list[str], recorder: Recorder, stack_file: Path) -> int:
    return main(argv, session=recorder, runner=recorder, stack_file=stack_file, poll_seconds=0)


@pytest.fixture(autouse=True)
def zone_of_the_mock(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The standby's stack file names its zone by id; moto made its own."""

    def load_with_mock_zone(stack: str) -> Any:
        cfg = load(stack)
        if cfg.standby is None or cfg.standby.dns is None:
            return cfg
        dns = cfg.standby.dns
        zone = dns.hosted_zone.model_copy(update={"id": aws["zone"]})
        standby = cfg.standby.model_copy(
            update={"dns": dns.model_copy(update={"hosted_zone": zone})}
        )
        return cfg.model_copy(update={"standby": standby})

    monkeypatch.setattr(cli, "load", load_with_mock_zone)


def _roles(aws: Any) -> set[str]:
    records = aws["route53"].list_resource_record_sets(HostedZoneId=aws["zone"])
    return {r["Failover"] for r in records["ResourceRecordSets"] if r.get("Failover")}


def _is_replica(rds: Any) -> bool:
    # moto keeps ReadReplicaSourceDBInstanceIdentifier after a promotion; a replica cannot be
    # stopped, a standalone instance can
    try:
        rds.stop_db_instance(DBInstanceIdentifier=f"{STANDBY}-postgres")
    except rds.exceptions.ClientError:
        return True
    rds.start_db_instance(DBInstanceIdentifier=f"{STANDBY}-postgres")
    return False


def test_the_steps_run_in_order(
    aws: Any, stack_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorder = Recorder()
    assert _run([STANDBY, "--execute"], recorder, stack_file) == 0
    done = [entry for entry in recorder.log if not entry.startswith("aws Describe")]
    assert done == [
        "aws PromoteReadReplica",
        f"pulumi refresh production-dr {database_urn(STANDBY, STANDBY)}",
        "pulumi up production-dr",
        "aws ListResourceRecordSets",
        "aws ChangeResourceRecordSets",
    ]
    # the promotion was waited for (standalone, not merely "available") before anything else
    promoted = recorder.log.index("aws PromoteReadReplica")
    first_pulumi = next(i for i, e in enumerate(recorder.log) if e.startswith("pulumi"))
    assert "aws DescribeDBInstances" in recorder.log[promoted:first_pulumi]
    assert not _is_replica(aws["west"])
    # recorded in the stack file before the refresh, comments kept
    text = stack_file.read_text()
    assert yaml.safe_load(text)["config"]["platform:standby"]["promoted"] is True
    assert text.count("#") == (REPO / f"Pulumi.{STANDBY}.yaml").read_text().count("#") + 1
    assert _roles(aws) == {"SECONDARY"}  # the standby's answer alone
    out = capsys.readouterr().out
    assert "1. promote the replica" in out
    assert "5. flip DNS" in out


def test_without_execute_nothing_happens(
    aws: Any, stack_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorder = Recorder()
    assert _run([STANDBY], recorder, stack_file) == 0
    assert recorder.log == []
    assert stack_file.read_text() == (REPO / f"Pulumi.{STANDBY}.yaml").read_text()
    assert _is_replica(aws["west"])
    assert _roles(aws) == {"PRIMARY", "SECONDARY"}
    assert "re-run with --execute" in capsys.readouterr().out


def test_a_primary_is_refused(
    aws: Any, stack_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorder = Recorder()
    assert _run([PRIMARY, "--execute"], recorder, stack_file) == 2
    assert recorder.log == []
    assert "never a primary" in capsys.readouterr().err
    with pytest.raises(ValueError, match="not a standby"):
        Failover(PRIMARY, cli.load(PRIMARY), recorder, recorder)


def test_a_failed_step_stops_the_rest_and_a_rerun_resumes(
    aws: Any, stack_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorder = Recorder(fail_on="refresh")
    assert _run([STANDBY, "--execute"], recorder, stack_file) == 1
    assert not [e for e in recorder.log if e.startswith("pulumi up")]
    assert "step 3 (refresh the database's state) failed" in capsys.readouterr().err
    assert _roles(aws) == {"PRIMARY", "SECONDARY"}
    # again: the standalone instance is not promoted twice, the file not edited twice
    again = Recorder()
    again.log.append("aws PromoteReadReplica")  # what AWS shows after the first run
    edited = stack_file.read_text()
    assert _run([STANDBY, "--execute"], again, stack_file) == 0
    assert again.log.count("aws PromoteReadReplica") == 1
    assert stack_file.read_text() == edited
    out = capsys.readouterr().out
    assert "standalone already, skipped" in out
    assert "recorded already" in out
    assert _roles(aws) == {"SECONDARY"}


def test_the_refreshed_urn_is_the_planned_database(production_dr: Any) -> None:
    urns = [r.urn for r in production_dr.graph.of_type("aws:rds/instance:Instance")]
    assert urns == [database_urn(STANDBY, STANDBY)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("config:\n  platform:standby:\n    primaryStack: production\n  platform:network: {}\n",
         "config:\n  platform:standby:\n    primaryStack: production\n"
         "    promoted: true  # uv run failover --execute\n  platform:network: {}\n"),
        ("config:\n  platform:standby:\n    # the primary\n    primaryStack: p\n"
         "    promoted: false\n",
         "config:\n  platform:standby:\n    # the primary\n    primaryStack: p\n"
         "    promoted: true\n"),
    ],
)  # fmt: skip
def test_the_promotion_is_recorded_in_place(text: str, expected: str) -> None:
    from tools.failover.cli import record_promotion

    assert record_promotion(text) == expected
