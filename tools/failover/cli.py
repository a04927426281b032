"""``uv run failover <standby>``: promote a warm standby region, in order.

Without ``--execute`` it prints the steps and changes nothing. With it, it performs them and
stops at the first that fails (each step can be re-run: it skips what is done):

1. **promote the replica**: ``PromoteReadReplica`` of the standby's database (RDS API, in the
   standby's region), then wait until RDS reports it standalone and available (not merely
   "available": that is what a replica reads right after the call). Skipped when the instance
   is standalone already. From here on it takes writes: if the primary is still reachable,
   stop its writers first (its later writes are lost).
2. **record the promotion**: ``promoted: true`` under ``platform:standby`` in the standby's
   stack file, edited in place (comments kept; ``pulumi config set`` would drop them). Commit
   it: every later ``pulumi up`` must keep the database standalone.
3. **refresh the database's state**: ``pulumi refresh --target <its URN>``: the state learns
   the instance is no replica, so the next ``up`` changes it in place instead of promoting it
   again (which RDS would refuse).
4. **point the workloads at it and scale up**: ``pulumi up``. The instance takes this stack's
   generated master password, the roles Job sets this stack's logins, node groups and
   workloads go to their full sizes, backups start, and the PRIMARY failover records go once
   the workloads run.
5. **flip DNS**: delete any PRIMARY failover record of the hosts left, so the SECONDARY
   records, the standby's, answer whatever the primary's state. (Inverting the health check
   would not do: an inverted check of an unreachable ALB reads healthy.) Route 53's control
   plane is in us-east-1; while it is down, the health check already sends the hosts here.

It refuses a stack that is not a standby.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import yaml

from environment.config.loader import (
    PROJECT_DIR,
    ConfigError,
    committed_stack_config,
    parse_stack_config,
)
from environment.config.model import StackConfig

EXIT_OK = 0
EXIT_REFUSED = 2
EXIT_FAILED = 1
PROMOTION_TIMEOUT_SECONDS = 3600
POLL_SECONDS = 15

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


def record_promotion(text: str) -> str:
    """``text`` (a stack file) with ``promoted: true`` in its ``platform:standby`` mapping,
    every other line (comments included) as it was."""
    lines = text.splitlines(keepends=True)
    header = next(
        (i for i, line in enumerate(lines) if re.fullmatch(r"\s*platform:standby:\s*", line)),
        None,
    )
    if header is None:
        raise ValueError("no block mapping 'platform:standby:' in the stack file")
    outer = len(lines[header]) - len(lines[header].lstrip())
    inner = None
    end = len(lines)
    for i in range(header + 1, len(lines)):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(lines[i]) - len(lines[i].lstrip())
        if indent <= outer:
            end = i
            break
        inner = indent if inner is None else inner
        if indent == inner and re.match(r"promoted\s*:", stripped):
            lines[i] = " " * indent + "promoted: true\n"
            return "".join(lines)
    if inner is None:
        raise ValueError("'platform:standby:' has no keys")
    lines.insert(end, " " * inner + "promoted: true  # uv run failover --execute\n")
    return "".join(lines)


@dataclass(frozen=True)
class Step:
    name: str
    what: str
    run: Callable[[], str]
    """Performs the step; returns what it did."""


class Failover:
    """The steps of promoting ``stack`` (a standby), bound to AWS clients, a runner and the
    stack file it records the promotion in."""

    def __init__(
        self,
        stack: str,
        cfg: StackConfig,
        session: Any = None,
        runner: Runner = run_command,
        stack_file: Path | None = None,
        poll_seconds: float = POLL_SECONDS,
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
        self.stack_file = stack_file or PROJECT_DIR / f"Pulumi.{stack}.yaml"
        self.poll_seconds = poll_seconds
        self.database = f"{cfg.environment}-postgres"

    def steps(self) -> list[Step]:
        pulumi = ["pulumi", "--non-interactive"]
        on_stack = ["--stack", self.stack]
        urn = database_urn(self.stack, self.cfg.environment)
        steps = [
            Step(
                "promote the replica",
                f"RDS PromoteReadReplica {self.database} in {self.cfg.region} (backups "
                f"{self.cfg.database.backup_retention_days} days), wait until it is standalone",
                self._promote,
            ),
            Step(
                "record the promotion",
                f"promoted: true under platform:standby in {self.stack_file.name} (commit it)",
                self._record,
            ),
            Step(
                "refresh the database's state",
                f"pulumi refresh --target {urn}",
                lambda: self.runner([*pulumi, "refresh", "--yes", *on_stack, "--target", urn]),
            ),
            Step(
                "point the workloads at it and scale up",
                f"pulumi up --stack {self.stack}: the master password and the roles applied, "
                "node groups and workloads at full size, backups on",
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

    def _source(self) -> str | None:
        (instance,) = self.rds.describe_db_instances(DBInstanceIdentifier=self.database)[
            "DBInstances"
        ]
        if instance.get("ReadReplicaSourceDBInstanceIdentifier"):
            return str(instance["ReadReplicaSourceDBInstanceIdentifier"])
        return None if instance["DBInstanceStatus"] == "available" else "(not available yet)"

    def _promote(self) -> str:
        if self._source() is None:
            return f"{self.database}: standalone already, skipped"
        self.rds.promote_read_replica(
            DBInstanceIdentifier=self.database,
            BackupRetentionPeriod=self.cfg.database.backup_retention_days,
            PreferredBackupWindow=self.cfg.database.backup_window,
        )
        deadline = time.monotonic() + PROMOTION_TIMEOUT_SECONDS
        while (source := self._source()) is not None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.database} still replicates {source} after an hour")
            time.sleep(self.poll_seconds)
        return f"{self.database}: promoted, standalone and available"

    def _record(self) -> str:
        text = self.stack_file.read_text()
        standby = ((yaml.safe_load(text) or {}).get("config") or {}).get("platform:standby")
        if isinstance(standby, dict) and standby.get("promoted") is True:
            return f"{self.stack_file.name}: recorded already"
        edited = record_promotion(text)
        check = (yaml.safe_load(edited) or {})["config"]["platform:standby"]
        if check.get("promoted") is not True:
            raise ValueError(f"{self.stack_file}: could not record promoted: true")
        self.stack_file.write_text(edited)
        return f"{self.stack_file.name}: promoted: true (commit it)"

    def _flip_dns(self) -> str:
        assert self.standby.dns is not None
        zone = self.standby.dns.hosted_zone.id
        hosts = {f"{h}." for h in self.cfg.apps.ingress.hosts}
        pages = self.route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone)
        primaries = [
            record
            for page in pages
            for record in page["ResourceRecordSets"]
            # Route 53 lists a wildcard as \052 (octal escape)
            if record["Name"].replace("\\052", "*") in hosts and record.get("Failover") == "PRIMARY"
        ]
        for record in primaries:
            self.route53.change_resource_record_sets(
                HostedZoneId=zone,
                ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": record}]},
            )
        if not primaries:
            return "no PRIMARY records left: flipped already"
        return "deleted the PRIMARY records of " + ", ".join(sorted(r["Name"] for r in primaries))


def load(stack: str) -> StackConfig:
    raw = committed_stack_config(stack)
    if raw is None:
        raise ConfigError(f"no stack file Pulumi.{stack}.yaml")
    return parse_stack_config(raw, stack)


def main(
    argv: list[str] | None = None,
    session: Any = None,
    runner: Runner = run_command,
    stack_file: Path | None = None,
    poll_seconds: float = POLL_SECONDS,
) -> int:
    parser = argparse.ArgumentParser(
        prog="failover", description="Promote a warm standby region (README 'Warm standby')."
    )
    parser.add_argument("stack", help="the standby stack, e.g. production-dr")
    parser.add_argument("--execute", action="store_true", help="perform the steps (default: print)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        failover = Failover(args.stack, load(args.stack), session, runner, stack_file, poll_seconds)
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
