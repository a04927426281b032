"""``uv run failover <standby>``: promote a warm standby region, in order.

Without ``--execute`` it prints the steps and changes nothing. With it, it performs them:

1. **promote the replica**: ``PromoteReadReplica`` of the standby's database (RDS API, in the
   standby's region), then wait until it is available. From here on it takes writes: if the
   primary is still reachable, stop its writers first (its later writes are lost).
2. **record the promotion**: ``pulumi config set --path platform:standby.promoted true``
   (commit the stack file afterwards: the next ``pulumi up`` must keep the database standalone).
3. **refresh the database's state**: ``pulumi refresh --target <its URN>``: the state learns
   the instance is no replica, so the next ``up`` changes it in place instead of promoting it
   again (which RDS would refuse).
4. **point the workloads at it and scale up**: ``pulumi up``. The roles Job sets this stack's
   passwords as the master user (RDS now keeps that password in this region's Secrets
   Manager); node groups and workloads go to their full sizes; backups start.
5. **flip DNS**: the hosts' PRIMARY failover records are deleted (the ``up`` already did it,
   once the workloads ran at full size; this checks and deletes what is left), so the
   SECONDARY records, the standby's, answer whatever the primary's state. (Inverting the
   health check would not do: an inverted check of an unreachable ALB reads healthy.)

It refuses a stack that is not a standby.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import boto3

from environment.config.loader import (
    ConfigError,
    committed_stack_config,
    parse_stack_config,
)
from environment.config.model import StackConfig

EXIT_OK = 0
EXIT_REFUSED = 2
EXIT_FAILED = 1

Runner = Callable[[Sequence[str]], str]
"""Runs a command (the Pulumi CLI) and returns its standard output; raises on failure."""


def run_command(command: Sequence[str]) -> str:
    return subprocess.run(list(command), check=True, capture_output=True, text=True).stdout


def database_urn(stack: str, environment: str, project: str = "platform") -> str:
    """The URN of the standby's database instance (``components/rds_postgres.py``)."""
    return (
        f"urn:pulumi:{stack}::{project}::platform:components:RdsPostgres$aws:rds/instance:"
        f"Instance::{environment}-postgres-db"
    )


@dataclass(frozen=True)
class Step:
    name: str
    what: str
    run: Callable[[], str]
    """Performs the step; returns what it did."""


class Failover:
    """The steps of promoting ``stack`` (a standby), bound to AWS clients and a runner."""

    def __init__(
        self,
        stack: str,
        cfg: StackConfig,
        session: Any = None,
        runner: Runner = run_command,
    ) -> None:
        if cfg.standby is None:
            raise ValueError(
                f"{stack} is not a standby (no platform:standby in Pulumi.{stack}.yaml): "
                "failover promotes a standby, never a primary"
            )
        self.stack, self.cfg, self.standby = stack, cfg, cfg.standby
        session = session or boto3.Session(region_name=cfg.region)
        self.rds = session.client("rds", region_name=cfg.region)
        self.route53 = session.client("route53", region_name=cfg.region)
        self.runner = runner
        self.database = f"{cfg.environment}-postgres"

    def steps(self) -> list[Step]:
        pulumi = ["pulumi", "--non-interactive"]
        on_stack = ["--stack", self.stack]
        steps = [
            Step(
                "promote the replica",
                f"RDS PromoteReadReplica {self.database} in {self.cfg.region} "
                f"(backups {self.cfg.database.backup_retention_days} days), wait until available",
                self._promote,
            ),
            Step(
                "record the promotion",
                f"pulumi config set --path platform:standby.promoted true --stack {self.stack}",
                lambda: self.runner(
                    [
                        *pulumi,
                        "config",
                        "set",
                        "--path",
                        "platform:standby.promoted",
                        "true",
                        *on_stack,
                    ]
                ),
            ),
            Step(
                "refresh the database's state",
                f"pulumi refresh --target {database_urn(self.stack, self.cfg.environment)}",
                lambda: self.runner(
                    [
                        *pulumi,
                        "refresh",
                        "--yes",
                        *on_stack,
                        "--target",
                        database_urn(self.stack, self.cfg.environment),
                    ]
                ),
            ),
            Step(
                "point the workloads at it and scale up",
                f"pulumi up --stack {self.stack}: roles applied as the master user, node groups "
                "and workloads at full size, backups on",
                lambda: self.runner([*pulumi, "up", "--yes", *on_stack]),
            ),
        ]
        if self.standby.dns is not None:
            steps.append(
                Step(
                    "flip DNS",
                    "delete the PRIMARY failover records of "
                    f"{', '.join(self.cfg.apps.ingress.hosts)} in "
                    f"{self.standby.dns.hosted_zone.domain} (the standby's answer alone)",
                    self._flip_dns,
                )
            )
        return steps

    def _promote(self) -> str:
        if self.standby.promoted:
            return f"{self.database}: already recorded as promoted, skipped"
        self.rds.promote_read_replica(
            DBInstanceIdentifier=self.database,
            BackupRetentionPeriod=self.cfg.database.backup_retention_days,
            PreferredBackupWindow=self.cfg.database.backup_window,
        )
        self.rds.get_waiter("db_instance_available").wait(
            DBInstanceIdentifier=self.database, WaiterConfig={"Delay": 15, "MaxAttempts": 120}
        )
        return f"{self.database}: promoted, available"

    def _flip_dns(self) -> str:
        assert self.standby.dns is not None
        zone = self.standby.dns.hosted_zone.id
        hosts = {f"{h}." for h in self.cfg.apps.ingress.hosts}
        pages = self.route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone)
        primaries = [
            record
            for page in pages
            for record in page["ResourceRecordSets"]
            if record["Name"] in hosts and record.get("Failover") == "PRIMARY"
        ]
        for record in primaries:
            self.route53.change_resource_record_sets(
                HostedZoneId=zone,
                ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": record}]},
            )
        if not primaries:
            return "no PRIMARY records left: already flipped"
        return "deleted the PRIMARY records of " + ", ".join(sorted(r["Name"] for r in primaries))


def load(stack: str) -> StackConfig:
    raw = committed_stack_config(stack)
    if raw is None:
        raise ConfigError(f"no stack file Pulumi.{stack}.yaml")
    return parse_stack_config(raw, stack)


def main(argv: list[str] | None = None, session: Any = None, runner: Runner = run_command) -> int:
    parser = argparse.ArgumentParser(
        prog="failover", description="Promote a warm standby region (README 'Warm standby')."
    )
    parser.add_argument("stack", help="the standby stack, e.g. production-dr")
    parser.add_argument("--execute", action="store_true", help="perform the steps (default: print)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        failover = Failover(args.stack, load(args.stack), session, runner)
    except (ConfigError, ValueError) as exc:
        print(f"failover {args.stack}: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    steps = failover.steps()
    for number, step in enumerate(steps, 1):
        print(f"{number}. {step.name}: {step.what}")
        if args.execute:
            try:
                print(f"   done: {step.run()}")
            except Exception as exc:  # stop at the first failed step, say which
                print(f"failover {args.stack}: step {number} ({step.name}) failed: {exc}",
                      file=sys.stderr)  # fmt: skip
                return EXIT_FAILED
    if not args.execute:
        print("(nothing done: re-run with --execute to perform these steps in order)")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
