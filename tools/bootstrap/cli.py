"""``uv run bootstrap-backend``: the S3 state bucket and KMS key Pulumi needs, idempotently.

Creates (or verifies) a versioned, SSE-KMS, public-access-blocked, TLS-only S3 bucket for the
Pulumi state and a rotating KMS key with an alias for the stacks' secrets provider; prints the
exact ``pulumi login`` / ``pulumi stack init`` commands; with ``--github-repo`` it also creates
(or converges) GitHub's OIDC provider and one role per purpose and environment, each trusting
exactly the claim its workflow jobs present (``tools/bootstrap/ci_roles.py``), and prints them.

``bootstrap-backend put-secret --stack <stack> <group>/<name>`` stores a secret the platform
reads by name (value on stdin; ``tools/bootstrap/secrets.py``).

It never weakens or rewrites an existing bucket silently: a bucket that exists without the
expected settings is refused unless ``--adopt-existing`` is given, which then applies them.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import Any

EXPECTED_PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


class BootstrapError(Exception):
    """Refused: the message says what is wrong and how to proceed."""


@dataclass
class Report:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def tls_only_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        },
        sort_keys=True,
    )


def ensure_key(kms: Any, alias: str, report: Report) -> str:
    """The key behind ``alias`` (created with rotation if absent); returns its ARN."""
    try:
        key = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except kms.exceptions.NotFoundException:
        key = kms.create_key(
            Description="Pulumi state and stack secrets", KeyUsage="ENCRYPT_DECRYPT"
        )["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        report.created.append(f"kms key {alias}")
    else:
        report.unchanged.append(f"kms key {alias}")
    if not kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]:
        kms.enable_key_rotation(KeyId=key["KeyId"])
        report.updated.append(f"kms key {alias}: rotation on")
    return str(key["Arn"])


def _bucket_problems(s3: Any, bucket: str, key_arn: str) -> list[str]:
    problems = []
    if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        problems.append("versioning is not enabled")
    try:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
            "Rules"
        ]
        default = rules[0]["ApplyServerSideEncryptionByDefault"]
        if default.get("SSEAlgorithm") != "aws:kms" or default.get("KMSMasterKeyID") != key_arn:
            problems.append("default encryption is not SSE-KMS with the state key")
    except s3.exceptions.ClientError:
        problems.append("no default encryption")
    try:
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        if block != EXPECTED_PUBLIC_ACCESS_BLOCK:
            problems.append("public access is not fully blocked")
    except s3.exceptions.ClientError:
        problems.append("no public access block")
    try:
        policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
        if json.loads(policy) != json.loads(tls_only_policy(bucket)):
            problems.append("bucket policy is not the TLS-only policy")
    except s3.exceptions.ClientError:
        problems.append("no TLS-only bucket policy")
    return problems


def _configure_bucket(s3: Any, bucket: str, key_arn: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key_arn,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration=EXPECTED_PUBLIC_ACCESS_BLOCK
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=tls_only_policy(bucket))


def ensure_bucket(
    s3: Any, bucket: str, region: str, key_arn: str, report: Report, *, adopt: bool
) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
        exists = True
    except s3.exceptions.ClientError:
        exists = False
    if not exists:
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**kwargs)
        _configure_bucket(s3, bucket, key_arn)
        report.created.append(f"s3 bucket {bucket}")
        return
    problems = _bucket_problems(s3, bucket, key_arn)
    if not problems:
        report.unchanged.append(f"s3 bucket {bucket}")
        return
    if not adopt:
        raise BootstrapError(
            f"bucket {bucket} exists but {'; '.join(problems)}. Refusing to change it; "
            "rerun with --adopt-existing to apply the expected settings."
        )
    _configure_bucket(s3, bucket, key_arn)
    report.updated.append(f"s3 bucket {bucket}: {'; '.join(problems)} (fixed)")


def commands(bucket: str, region: str, alias: str) -> list[str]:
    secrets = f"awskms://{alias}?region={region}"
    return [
        f"pulumi login 's3://{bucket}?region={region}&awssdk=v2'",
        *(
            f"pulumi stack init {s} --secrets-provider '{secrets}'"
            for s in ("staging", "production")
        ),
    ]


def bootstrap(session: Any, bucket: str, region: str, alias: str, *, adopt: bool) -> Report:
    report = Report()
    key_arn = ensure_key(session.client("kms", region_name=region), alias, report)
    ensure_bucket(
        session.client("s3", region_name=region), bucket, region, key_arn, report, adopt=adopt
    )
    return report


def put_secret_main(argv: list[str]) -> int:
    from .secrets import SecretError, put_secret

    parser = argparse.ArgumentParser(
        prog="bootstrap-backend put-secret",
        description="Create or rotate <stack>/<path> in Secrets Manager; the value is read "
        "from stdin (never an argument).",
    )
    parser.add_argument("--stack", required=True)
    parser.add_argument("--region", help="default: the stack file's aws:region")
    parser.add_argument("path", help="e.g. alerting/slack-webhook-url")
    args = parser.parse_args(argv)
    region = args.region or _stack_region(args.stack)
    import boto3

    client = boto3.session.Session(region_name=region).client("secretsmanager")
    try:
        result = put_secret(client, args.stack, args.path, sys.stdin.read())
    except SecretError as error:
        print(f"bootstrap-backend put-secret: {error}", file=sys.stderr)
        return 1
    verb = "created" if result.created else "rotated (new current version)"
    print(f"{verb}: {result.arn} version {result.version_id}")
    return 0


def _stack_region(stack: str) -> str:
    import yaml

    from environment.config.loader import PROJECT_DIR

    path = PROJECT_DIR / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise SystemExit(f"bootstrap-backend put-secret: no {path.name}; pass --region")
    return str((yaml.safe_load(path.read_text())["config"])["aws:region"])


def print_ci_roles(session: Any, repository: str, bucket: str, key_arn: str, branch: str) -> None:
    from .ci_roles import ci_roles, ensure_ci_roles, trust_policy

    account = session.client("sts").get_caller_identity()["Account"]
    created, updated = ensure_ci_roles(
        session.client("iam"), account, repository, bucket, key_arn, branch
    )
    for verb, items in (("created", created), ("updated", updated)):
        for item in items:
            print(f"{verb}: {item}")
    print("\nGitHub repository variables: AWS_ACCOUNT_ID=" + account)
    for role in ci_roles(branch):
        arn = f"arn:aws:iam::{account}:role/{role.name}"
        print(f"\n{arn} ({role.purpose}) trusts:")
        print(json.dumps(trust_policy(account, repository, role)["Statement"][0]["Condition"]))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["put-secret"]:
        return put_secret_main(argv[1:])
    parser = argparse.ArgumentParser(prog="bootstrap-backend", description=__doc__.split("\n")[0])
    parser.add_argument("--region", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--kms-alias", default="alias/pulumi-secrets")
    parser.add_argument(
        "--github-repo", metavar="OWNER/NAME", help="create the CI roles GitHub Actions assumes"
    )
    parser.add_argument("--default-branch", default="main", help="drift runs from this branch")
    parser.add_argument("--adopt-existing", action="store_true")
    args = parser.parse_args(argv)
    if not args.kms_alias.startswith("alias/"):
        parser.error("--kms-alias must start with alias/")
    import boto3

    session = boto3.session.Session(region_name=args.region)
    try:
        report = bootstrap(
            session, args.bucket, args.region, args.kms_alias, adopt=args.adopt_existing
        )
    except BootstrapError as error:
        print(f"bootstrap-backend: {error}", file=sys.stderr)
        return 1
    for verb, items in (("created", report.created), ("updated", report.updated),
                        ("unchanged", report.unchanged)):  # fmt: skip
        for item in items:
            print(f"{verb}: {item}")
    print("\nNext:")
    for line in commands(args.bucket, args.region, args.kms_alias):
        print(f"  {line}")
    if args.github_repo:
        key_arn = session.client("kms").describe_key(KeyId=args.kms_alias)["KeyMetadata"]["Arn"]
        print_ci_roles(session, args.github_repo, args.bucket, key_arn, args.default_branch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
