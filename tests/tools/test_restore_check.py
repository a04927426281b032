"""The restore check against moto's S3 (no cloud): it picks the newest dump, fails on stale,
empty or missing dumps, and never changes the bucket."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from components.scripts.restore_check import (
    METRIC_NAMESPACE,
    MissingDumps,
    RestoreCheckError,
    main,
    newest_dump,
    run,
)

BUCKET = "staging-backups-123456789012"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield client


def _put(s3: Any, key: str, body: bytes = b"PGDMP...") -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)


def _args(**overrides: Any) -> argparse.Namespace:
    base = {
        "bucket": BUCKET,
        "environment": "staging",
        "max_age_minutes": 60.0,
        "download": None,
        "pg_restore_list": False,
        "verified_toc": None,
    }
    return argparse.Namespace(**{**base, **overrides})


def _versions(s3: Any) -> list[tuple[str, str]]:
    listed = s3.list_object_versions(Bucket=BUCKET)
    return sorted((v["Key"], v["VersionId"]) for v in listed.get("Versions", []))


def test_newest_dump_is_selected(s3: Any) -> None:
    _put(s3, "staging/postgres/20261124T0100Z.dump")
    _put(s3, "staging/postgres/20261124T0200Z.dump")
    _put(s3, "staging/postgres/notes.txt")
    _put(s3, "production/postgres/20261124T0300Z.dump")
    assert (
        newest_dump(s3, BUCKET, "staging/postgres/").key == "staging/postgres/20261124T0200Z.dump"
    )


def _published(cloudwatch: Any, name: str) -> list[float]:
    stats = cloudwatch.get_metric_statistics(
        Namespace=METRIC_NAMESPACE, MetricName=name,
        Dimensions=[{"Name": "Environment", "Value": "staging"}],
        StartTime=datetime.now(UTC) - timedelta(hours=1),
        EndTime=datetime.now(UTC) + timedelta(hours=1),
        Period=60, Statistics=["Minimum", "Maximum"],
    )  # fmt: skip
    return sorted(p["Maximum"] for p in stats["Datapoints"]) + sorted(
        p["Minimum"] for p in stats["Datapoints"]
    )


def test_fetching_a_fresh_dump_publishes_its_age_but_no_success_yet(s3: Any) -> None:
    """Success is not known until pg_restore has read the dump."""
    _put(s3, "staging/postgres/a.dump")
    now = datetime.now(UTC) + timedelta(minutes=5)
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    verdict = run(_args(), s3, cloudwatch, now)
    assert verdict.startswith("ok: staging/postgres/a.dump")
    metrics = cloudwatch.list_metrics(Namespace=METRIC_NAMESPACE)["Metrics"]
    assert {m["MetricName"] for m in metrics} == {"NewestDumpAgeSeconds"}


def test_success_is_published_only_after_the_restore_test(s3: Any, tmp_path: Path) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    toc = tmp_path / "toc.txt"
    toc.write_text(
        ";\n; Archive created at 2026-12-02\n;\n215; 1259 16390 TABLE public users app\n"
    )
    verdict = run(_args(verified_toc=str(toc)), None, cloudwatch, datetime.now(UTC))
    assert verdict == "ok: restore test passed (1 TOC entries)"
    assert _published(cloudwatch, "RestoreCheckSucceeded") == [1.0, 1.0]


@pytest.mark.parametrize("toc", [";\n; empty archive\n", None])
def test_a_failed_restore_test_publishes_failure(s3: Any, tmp_path: Path, toc: str | None) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    path = tmp_path / "toc.txt"
    if toc is not None:
        path.write_text(toc)
    with pytest.raises(RestoreCheckError, match="restore test"):
        run(_args(verified_toc=str(path)), None, cloudwatch, datetime.now(UTC))
    assert _published(cloudwatch, "RestoreCheckSucceeded") == [0.0, 0.0]


def test_stale_dump_fails(s3: Any) -> None:
    _put(s3, "staging/postgres/a.dump")
    later = datetime.now(UTC) + timedelta(hours=3)
    with pytest.raises(RestoreCheckError, match="minutes old"):
        run(_args(), s3, None, later)


def test_empty_dump_fails(s3: Any) -> None:
    _put(s3, "staging/postgres/a.dump", b"")
    with pytest.raises(RestoreCheckError, match="empty"):
        run(_args(), s3, None, datetime.now(UTC))


def test_missing_prefix_is_a_clear_error(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(MissingDumps, match=r"no dumps under s3://.*/staging/postgres/"):
        run(_args(), s3, None, datetime.now(UTC))
    assert main(["--bucket", BUCKET, "--environment", "staging", "--max-age-minutes", "60",
                 "--region", "us-east-1"]) == 2  # fmt: skip
    assert "no dumps under" in capsys.readouterr().err


def test_nothing_is_deleted_or_overwritten(s3: Any, tmp_path: Path) -> None:
    _put(s3, "staging/postgres/a.dump")
    _put(s3, "staging/postgres/b.dump", b"")
    before = _versions(s3)
    with pytest.raises(RestoreCheckError):
        run(_args(), s3, None, datetime.now(UTC))  # newest (b) is empty
    assert _versions(s3) == before
    _put(s3, "staging/postgres/c.dump")
    before = _versions(s3)
    run(_args(download=str(tmp_path / "latest.dump")), s3, None, datetime.now(UTC))
    assert (tmp_path / "latest.dump").read_bytes() == b"PGDMP..."
    assert _versions(s3) == before


def test_pg_restore_list_needs_a_download(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--bucket", BUCKET, "--environment", "staging", "--max-age-minutes", "60",
                 "--pg-restore-list"]) == 2  # fmt: skip
    assert "needs --download" in capsys.readouterr().err
