"""bootstrap-backend against moto: creates, is idempotent, refuses a misconfigured bucket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tools.bootstrap.cli import (
    BootstrapError,
    bootstrap,
    commands,
    github_trust_policy,
    main,
)

REGION = "us-east-1"
BUCKET = "acme-pulumi-state"
ALIAS = "alias/pulumi-secrets"


@pytest.fixture
def session() -> Iterator[Any]:
    with mock_aws():
        yield boto3.session.Session(region_name=REGION)


def test_creates_everything(session: Any) -> None:
    report = bootstrap(session, BUCKET, REGION, ALIAS, adopt=False)
    assert report.created == [f"kms key {ALIAS}", f"s3 bucket {BUCKET}"]
    s3 = session.client("s3")
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert "aws:SecureTransport" in s3.get_bucket_policy(Bucket=BUCKET)["Policy"]
    kms = session.client("kms")
    key_id = kms.describe_key(KeyId=ALIAS)["KeyMetadata"]["KeyId"]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True


def test_second_run_changes_nothing(session: Any) -> None:
    bootstrap(session, BUCKET, REGION, ALIAS, adopt=False)
    again = bootstrap(session, BUCKET, REGION, ALIAS, adopt=False)
    assert not again.changed
    assert again.unchanged == [f"kms key {ALIAS}", f"s3 bucket {BUCKET}"]


def test_refuses_a_misconfigured_bucket_unless_adopting(session: Any) -> None:
    session.client("s3").create_bucket(Bucket=BUCKET)
    with pytest.raises(BootstrapError, match=r"versioning is not enabled.*--adopt-existing"):
        bootstrap(session, BUCKET, REGION, ALIAS, adopt=False)
    assert session.client("s3").get_bucket_versioning(Bucket=BUCKET).get("Status") is None
    adopted = bootstrap(session, BUCKET, REGION, ALIAS, adopt=True)
    assert any(u.startswith(f"s3 bucket {BUCKET}") for u in adopted.updated)
    assert not bootstrap(session, BUCKET, REGION, ALIAS, adopt=False).changed


def test_cli_prints_the_exact_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with mock_aws():
        assert main(["--region", REGION, "--bucket", BUCKET, "--github-repo", "acme/platform"]) == 0
    out = capsys.readouterr().out
    for line in commands(BUCKET, REGION, ALIAS):
        assert line in out
    assert "repo:acme/platform:pull_request" in out


def test_github_trust_is_scoped_to_one_repository() -> None:
    policy = github_trust_policy("123456789012", "acme/platform", ["environment:production"])
    condition = policy["Statement"][0]["Condition"]["StringEquals"]
    assert condition["token.actions.githubusercontent.com:sub"] == [
        "repo:acme/platform:environment:production"
    ]
    assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
