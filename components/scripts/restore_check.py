"""Restore check: is the newest logical dump of an environment fresh, non-empty and restorable?

Self-contained (standard library + boto3) so the cluster runs this very file from a ConfigMap.
It only lists and reads: it never deletes, overwrites or writes to the bucket.

    python -m tools.restore_check --bucket B --environment production --max-age-minutes 120 \\
        [--download /backup/latest.dump] [--pg-restore-list] [--publish-metrics]

Exit status: 0 fresh and (if asked) restorable; 1 stale, empty or not restorable; 2 no dump at
all (missing prefix) or bad arguments.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

METRIC_NAMESPACE = "Platform/Backups"


class RestoreCheckError(Exception):
    """The check failed; the message says why."""

    exit_code = 1


class MissingDumps(RestoreCheckError):
    exit_code = 2


@dataclass(frozen=True)
class Dump:
    key: str
    size: int
    last_modified: datetime

    def age_minutes(self, now: datetime) -> float:
        return (now - self.last_modified).total_seconds() / 60


def prefix_for(environment: str) -> str:
    return f"{environment}/postgres/"


def newest_dump(s3: Any, bucket: str, prefix: str) -> Dump:
    """The most recently written ``*.dump`` under ``prefix`` (by LastModified, then key)."""
    newest: Dump | None = None
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            if not obj["Key"].endswith(".dump"):
                continue
            candidate = Dump(obj["Key"], int(obj["Size"]), obj["LastModified"])
            # S3 times have 1 s resolution: the timestamped key breaks ties
            if newest is None or (candidate.last_modified, candidate.key) > (
                newest.last_modified,
                newest.key,
            ):
                newest = candidate
    if newest is None:
        raise MissingDumps(
            f"no dumps under s3://{bucket}/{prefix} (wrong environment, or none yet)"
        )
    return newest


def check(dump: Dump, now: datetime, max_age_minutes: float) -> None:
    """Raise if the dump is empty or older than the RPO."""
    if dump.size == 0:
        raise RestoreCheckError(f"newest dump {dump.key} is empty (0 bytes)")
    age = dump.age_minutes(now)
    if age > max_age_minutes:
        raise RestoreCheckError(
            f"newest dump {dump.key} is {age:.0f} minutes old (RPO {max_age_minutes:g} minutes)"
        )


def pg_restore_list(path: str) -> int:
    """Number of entries in the dump's table of contents (``pg_restore --list``)."""
    result = subprocess.run(
        ["pg_restore", "--list", path], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RestoreCheckError(f"pg_restore --list failed: {result.stderr.strip()}")
    return toc_entries(result.stdout)


def toc_entries(toc: str) -> int:
    """Entries of a ``pg_restore --list`` table of contents (comment lines excluded)."""
    entries = [line for line in toc.splitlines() if line.strip() and not line.startswith(";")]
    if not entries:
        raise RestoreCheckError("the dump's table of contents is empty")
    return len(entries)


def publish(
    cloudwatch: Any, environment: str, dump: Dump | None, now: datetime, ok: bool | None
) -> None:
    """``RestoreCheckSucceeded`` 1 or 0 (``ok=None``: not decided yet, only the dump's age)."""
    data: list[dict[str, Any]] = []
    if ok is not None:
        data.append(
            {
                "MetricName": "RestoreCheckSucceeded",
                "Dimensions": [{"Name": "Environment", "Value": environment}],
                "Value": 1.0 if ok else 0.0,
                "Unit": "Count",
            }
        )
    if dump is not None:
        data.append(
            {
                "MetricName": "NewestDumpAgeSeconds",
                "Dimensions": [{"Name": "Environment", "Value": environment}],
                "Value": (now - dump.last_modified).total_seconds(),
                "Unit": "Seconds",
            }
        )
    if data:
        cloudwatch.put_metric_data(Namespace=METRIC_NAMESPACE, MetricData=data)


def run(args: argparse.Namespace, s3: Any, cloudwatch: Any | None, now: datetime) -> str:
    """The whole check; returns a one-line verdict or raises :class:`RestoreCheckError`.

    Success (``RestoreCheckSucceeded=1``) is published only once a restore test passed: here
    with ``--pg-restore-list``, or in a later step with ``--verified-toc`` (the table of
    contents ``pg_restore --list`` wrote). A fetch alone publishes failures and the dump's age.
    """
    dump: Dump | None = None
    if args.verified_toc:
        try:
            with open(args.verified_toc) as toc:
                entries = toc_entries(toc.read())
        except (OSError, RestoreCheckError) as error:
            if cloudwatch is not None:
                publish(cloudwatch, args.environment, None, now, ok=False)
            raise RestoreCheckError(f"restore test: {error}") from None
        if cloudwatch is not None:
            publish(cloudwatch, args.environment, None, now, ok=True)
        return f"ok: restore test passed ({entries} TOC entries)"
    try:
        dump = newest_dump(s3, args.bucket, prefix_for(args.environment))
        check(dump, now, args.max_age_minutes)
        verdict = f"ok: {dump.key} ({dump.size} bytes, {dump.age_minutes(now):.0f} min old)"
        if args.download:
            s3.download_file(args.bucket, dump.key, args.download)
            if args.pg_restore_list:
                verdict += f", {pg_restore_list(args.download)} TOC entries"
    except RestoreCheckError:
        if cloudwatch is not None:
            publish(cloudwatch, args.environment, dump, now, ok=False)
        raise
    if cloudwatch is not None:
        tested = bool(args.download and args.pg_restore_list)
        publish(cloudwatch, args.environment, dump, now, ok=True if tested else None)
    return verdict


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="restore-check", description=__doc__.split("\n")[0])
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--environment", required=True)
    parser.add_argument("--max-age-minutes", type=float, required=True, help="the RPO")
    parser.add_argument("--region", default=None)
    parser.add_argument("--download", metavar="PATH", help="download the newest dump here")
    parser.add_argument("--pg-restore-list", action="store_true", help="verify with pg_restore")
    parser.add_argument("--publish-metrics", action="store_true", help="to CloudWatch")
    parser.add_argument(
        "--verified-toc",
        metavar="PATH",
        help="report step: the TOC pg_restore --list wrote; publish success if it has entries",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    import boto3

    args = build_parser().parse_args(argv)
    if args.pg_restore_list and not args.download:
        print("restore-check: --pg-restore-list needs --download", file=sys.stderr)
        return 2
    session = boto3.session.Session(region_name=args.region)
    cloudwatch = session.client("cloudwatch") if args.publish_metrics else None
    s3 = None if args.verified_toc else session.client("s3")
    try:
        print(run(args, s3, cloudwatch, datetime.now(UTC)))
    except RestoreCheckError as error:
        print(f"restore-check: {error}", file=sys.stderr)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
