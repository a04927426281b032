"""``uv run bootstrap-backend``: the S3 state bucket and KMS key Pulumi needs, idempotently.

Creates (or verifies) a versioned, SSE-KMS, public-access-blocked, TLS-only S3 bucket for the
Pulumi state and a rotating KMS key with an alias for the stacks' secrets provider; prints the
exact ``pulumi login`` / ``pulumi stack init`` commands; optionally prints the IAM trust policy
for GitHub Actions OIDC scoped to one repository (pull requests for the preview role, ``main``
and the ``production`` environment for the deploy role).

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


def github_trust_policy(account: str, repository: str, subjects: list[str]) -> dict[str, Any]:
    """Trust for GitHub Actions OIDC, scoped to one repository and the given subjects."""
    provider = f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                        "token.actions.githubusercontent.com:sub": [
                            f"repo:{repository}:{s}" for s in subjects
                        ],
                    }
                },
            }
        ],
    }


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bootstrap-backend", description=__doc__.split("\n")[0])
    parser.add_argument("--region", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--kms-alias", default="alias/pulumi-secrets")
    parser.add_argument("--github-repo", metavar="OWNER/NAME", help="print OIDC trust policies")
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
        account = session.client("sts").get_caller_identity()["Account"]
        for role, subjects in (
            ("preview (read-only)", ["pull_request"]),
            ("deploy", ["ref:refs/heads/main", "environment:staging", "environment:production"]),
        ):
            print(f"\nTrust policy for the {role} role:")
            print(json.dumps(github_trust_policy(account, args.github_repo, subjects), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
