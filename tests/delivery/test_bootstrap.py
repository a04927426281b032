"""bootstrap-backend against moto: creates, is idempotent, refuses a misconfigured bucket."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tools.bootstrap.ci_roles import GITHUB_OIDC_HOST, ci_roles, managed_policies, trust_policy
from tools.bootstrap.cli import (
    BootstrapError,
    bootstrap,
    commands,
    main,
)
from tools.bootstrap.secrets import SecretError, put_secret
from tools.offline.harness import PlanResult

REGION = "us-east-1"
BUCKET = "acme-pulumi-state"
ALIAS = "alias/pulumi-secrets"


@pytest.fixture(autouse=True)
def _aws_managed_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto knows ReadOnlyAccess/PowerUserAccess only when told to load AWS's policies."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


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


def test_ci_roles_one_per_purpose_each_trusting_one_claim(session: Any) -> None:
    main(["--region", REGION, "--bucket", BUCKET, "--github-repo", "acme/platform"])
    iam = session.client("iam")
    providers = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert [p["Arn"].rsplit("/", 1)[-1] for p in providers] == [GITHUB_OIDC_HOST]
    subjects = {}
    for role in ci_roles():
        got = iam.get_role(RoleName=role.name)["Role"]
        (statement,) = got["AssumeRolePolicyDocument"]["Statement"]
        condition = statement["Condition"]["StringEquals"]
        assert condition[f"{GITHUB_OIDC_HOST}:aud"] == "sts.amazonaws.com"
        subjects[role.name] = condition[f"{GITHUB_OIDC_HOST}:sub"]
        attached = iam.list_attached_role_policies(RoleName=role.name)["AttachedPolicies"]
        assert sorted(a["PolicyArn"] for a in attached) == sorted(managed_policies(role))
    assert subjects == {
        "platform-ci-preview": "repo:acme/platform:pull_request",
        "platform-ci-drift": "repo:acme/platform:ref:refs/heads/main",
        "platform-ci-deploy-staging": "repo:acme/platform:environment:staging",
        "platform-ci-deploy-production": "repo:acme/platform:environment:production",
    }


def _inline(session: Any, role: str) -> dict[str, Any]:
    doc = session.client("iam").get_role_policy(RoleName=role, PolicyName="platform-ci")
    return {s["Sid"]: s for s in doc["PolicyDocument"]["Statement"]}


def test_ci_role_permissions_follow_their_purpose(session: Any) -> None:
    main(["--region", REGION, "--bucket", BUCKET, "--github-repo", "acme/platform"])
    preview = _inline(session, "platform-ci-preview")
    assert preview["ReadState"]["Action"] == "s3:GetObject"  # a preview takes no lock
    assert not any("s3:PutObject" in str(s["Action"]) for s in preview.values())
    assert preview["StackSecrets"]["Action"] == "kms:Decrypt"
    assert "EnvironmentRolesAndPolicies" not in preview
    assert "RefreshSecretVersions" not in preview  # a pull request reads no secret values
    drift = _inline(session, "platform-ci-drift")
    assert drift["RefreshSecretVersions"]["Action"] == "secretsmanager:GetSecretValue"
    # the program's own secrets; never the operator's alert receiver keys
    assert not any("alerting" in r for r in drift["RefreshSecretVersions"]["Resource"])
    # every secret the program writes a version of (refresh reads them all)
    assert any(
        r.endswith(":secret:staging/generated/*")
        for r in drift["RefreshSecretVersions"]["Resource"]
    )
    staging = _inline(session, "platform-ci-deploy-staging")
    # identity writes only on the environment's own names: staging cannot touch production's
    assert staging["EnvironmentRolesAndPolicies"]["Resource"] == [
        "arn:aws:iam::123456789012:role/staging-*",
        "arn:aws:iam::123456789012:policy/staging-*",
    ]
    # its own stack's state only (project-scoped diy layout)
    assert staging["WriteOwnState"]["Resource"] == [
        f"arn:aws:s3:::{BUCKET}/.pulumi/stacks/platform/staging.json*",
        f"arn:aws:s3:::{BUCKET}/.pulumi/history/platform/staging/*",
        f"arn:aws:s3:::{BUCKET}/.pulumi/backups/platform/staging/*",
        f"arn:aws:s3:::{BUCKET}/.pulumi/locks/platform/staging/*",
    ]
    # fenced off production's resources (one account): by their tag and at creation
    fence = staging["NotOtherEnvironments"]
    assert (fence["Effect"], fence["Action"]) == ("Deny", "*")
    assert fence["Condition"] == {"StringEquals": {"aws:ResourceTag/environment": ["production"]}}
    create = staging["NoResourcesForOtherEnvironments"]["Condition"]["StringEquals"]
    assert create == {"aws:RequestTag/environment": ["production"]}
    for statement in staging.values():
        actions = statement["Action"]
        if statement["Effect"] == "Allow":  # no wildcard grant (denies may be broad)
            assert not any(
                a.endswith("*") for a in ([actions] if isinstance(actions, str) else actions)
            )


def test_ci_roles_converge_when_run_again(session: Any) -> None:
    main(["--region", REGION, "--bucket", BUCKET, "--github-repo", "acme/platform"])
    iam = session.client("iam")
    widened = trust_policy("123456789012", "acme/platform", ci_roles()[0])
    widened["Statement"][0]["Condition"]["StringEquals"][f"{GITHUB_OIDC_HOST}:sub"] = "repo:*"
    iam.update_assume_role_policy(
        RoleName="platform-ci-preview", PolicyDocument=json.dumps(widened)
    )
    main(["--region", REGION, "--bucket", BUCKET, "--github-repo", "acme/platform"])
    role = iam.get_role(RoleName="platform-ci-preview")["Role"]
    sub = role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["StringEquals"]
    assert sub[f"{GITHUB_OIDC_HOST}:sub"] == "repo:acme/platform:pull_request"
    assert len(iam.list_roles()["Roles"]) == 4


def test_put_secret_creates_then_rotates_from_stdin(session: Any) -> None:
    client = session.client("secretsmanager")
    first = put_secret(client, "staging", "alerting/slack-webhook-url", "https://hooks/a\n")
    assert first.created
    second = put_secret(client, "staging", "alerting/slack-webhook-url", "https://hooks/b")
    assert not second.created
    assert second.arn == first.arn
    value = client.get_secret_value(SecretId="staging/alerting/slack-webhook-url")
    assert value["SecretString"] == "https://hooks/b"
    tags = {t["Key"]: t["Value"] for t in client.describe_secret(SecretId=first.arn)["Tags"]}
    assert tags["environment"] == "staging"


@pytest.mark.parametrize(
    ("stack", "path", "value", "message"),
    [
        ("staging", "alerting/slack-webhook-url", "  \n", "empty value"),
        ("staging", "slack", "x", "'<group>/<name>'"),
        ("Staging", "alerting/x", "x", "lowercase"),
    ],
)
def test_put_secret_refusals(session: Any, stack: str, path: str, value: str, message: str) -> None:
    with pytest.raises(SecretError, match=message):
        put_secret(session.client("secretsmanager"), stack, path, value)


def test_put_secret_cli_reads_stdin(
    session: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("routing-key"))
    assert main(["put-secret", "--stack", "production", "alerting/pagerduty-routing-key"]) == 0
    assert "created: arn:aws:secretsmanager:us-east-1:" in capsys.readouterr().out
    value = session.client("secretsmanager").get_secret_value(
        SecretId="production/alerting/pagerduty-routing-key"
    )
    assert value["SecretString"] == "routing-key"


def test_the_drift_role_may_read_every_secret_the_program_writes(product: PlanResult) -> None:
    """A refreshed preview reads every SecretVersion the program manages: each secret's name
    must fall under the drift role's grant (its group under the stack's prefix; the
    examples show the groups the committed stacks do not use yet)."""
    import fnmatch

    from tools.bootstrap.ci_roles import ci_roles, permission_policy

    drift = next(r for r in ci_roles() if r.name == "platform-ci-drift")
    policy = permission_policy("123456789012", BUCKET, "arn:aws:kms:us-east-1:1:key/k", drift)
    (grant,) = [s for s in policy["Statement"] if s["Sid"] == "RefreshSecretVersions"]
    groups = {arn.split(":secret:", 1)[1].split("/", 1)[1] for arn in grant["Resource"]}
    names = [s.inputs["name"] for s in product.graph.of_type("aws:secretsmanager/secret:Secret")]
    assert names
    for name in names:
        stack, relative = name.split("/", 1)
        assert stack == product.stack, name
        assert any(fnmatch.fnmatch(relative, g) for g in groups), name
