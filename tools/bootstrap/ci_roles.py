"""The IAM roles GitHub Actions assumes by OIDC: one per purpose and environment.

Each role trusts exactly the ``sub`` claim its jobs present (GitHub's OIDC docs: a job with
``environment:`` presents ``repo:<owner>/<name>:environment:<env>``; otherwise a
``pull_request`` event presents ``repo:<owner>/<name>:pull_request`` and other events
``repo:<owner>/<name>:ref:<ref>``). So the production environment's required reviewers guard
the only credentials that can change production, a pull request can only read, and the
nightly drift check runs from the default branch alone.

``tests/delivery/test_workflows.py`` holds every workflow job's claim against these trust
policies; the stack files grant the same roles EKS access entries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_THUMBPRINT = "6938fd4d98bab03faadb97b34396831e3780aea1"
"""Ignored by IAM for this provider (it trusts GitHub's CA library); the API still asks."""

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"


@dataclass(frozen=True)
class CiRole:
    name: str
    purpose: str
    subject: str
    """The one ``sub`` claim suffix (after ``repo:<owner>/<name>:``) the role trusts."""
    deploys: str | None = None
    """The environment (stack) this role deploys; None for the read-only roles."""
    reads_secret_values: bool = False
    """Refresh reads secret values (``SecretVersion``): the drift role, for every stack."""


def ci_roles(default_branch: str = "main") -> tuple[CiRole, ...]:
    return (
        CiRole("platform-ci-preview", "pull-request previews (read-only)", "pull_request"),
        CiRole(
            "platform-ci-drift",
            "nightly refreshed previews (read-only)",
            f"ref:refs/heads/{default_branch}",
            reads_secret_values=True,
        ),
        CiRole("platform-ci-deploy-staging", "deploys staging", "environment:staging", "staging"),
        CiRole(
            "platform-ci-deploy-production",
            "deploys production",
            "environment:production",
            "production",
        ),
    )


def trust_policy(account: str, repository: str, role: CiRole) -> dict[str, Any]:
    """Trust for GitHub Actions OIDC: this repository and exactly the role's subject."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {
                    "Federated": f"arn:aws:iam::{account}:oidc-provider/{GITHUB_OIDC_HOST}"
                },
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
                        f"{GITHUB_OIDC_HOST}:sub": f"repo:{repository}:{role.subject}",
                    }
                },
            }
        ],
    }


def _state_statements(bucket: str, key_arn: str, *, write: bool) -> list[dict[str, Any]]:
    objects = f"arn:aws:s3:::{bucket}/*" if write else f"arn:aws:s3:::{bucket}/.pulumi/locks/*"
    return [
        {"Sid": "ListState", "Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": f"arn:aws:s3:::{bucket}"},
        {"Sid": "ReadState", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"},
        # the diy backend takes a lock object for every operation; deploys write checkpoints
        {"Sid": "WriteState" if write else "Locks", "Effect": "Allow",
         "Action": ["s3:PutObject", "s3:DeleteObject"], "Resource": objects},
        # stack secrets: decrypt the data key; a deploy may also create one (stack init)
        {"Sid": "StackSecrets", "Effect": "Allow",
         "Action": ["kms:Decrypt", "kms:Encrypt"] if write else "kms:Decrypt",
         "Resource": key_arn},
    ]  # fmt: skip


def _identity_statements(account: str, environment: str) -> list[dict[str, Any]]:
    """PowerUserAccess has no IAM writes: these grant them on this environment's names only."""
    return [
        {
            "Sid": "EnvironmentRolesAndPolicies",
            "Effect": "Allow",
            "Action": [
                "iam:AttachRolePolicy", "iam:CreatePolicy", "iam:CreatePolicyVersion",
                "iam:CreateRole", "iam:DeletePolicy", "iam:DeletePolicyVersion",
                "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
                "iam:PassRole", "iam:PutRolePolicy", "iam:TagPolicy", "iam:TagRole",
                "iam:UntagPolicy", "iam:UntagRole", "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole", "iam:UpdateRoleDescription",
            ],
            "Resource": [
                f"arn:aws:iam::{account}:role/{environment}-*",
                f"arn:aws:iam::{account}:policy/{environment}-*",
            ],
        },
        {
            "Sid": "ClusterOidcProvider",
            "Effect": "Allow",
            "Action": [
                "iam:AddClientIDToOpenIDConnectProvider", "iam:CreateOpenIDConnectProvider",
                "iam:DeleteOpenIDConnectProvider", "iam:TagOpenIDConnectProvider",
                "iam:UntagOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint",
            ],
            "Resource": f"arn:aws:iam::{account}:oidc-provider/oidc.eks.*.amazonaws.com/id/*",
        },
    ]  # fmt: skip


def _secret_value_statements(account: str) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "RefreshSecretVersions",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": [
                f"arn:aws:secretsmanager:*:{account}:secret:{stack}/*"
                for stack in ("staging", "production")
            ],
        },
        {
            "Sid": "DecryptThroughSecretsManager",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": f"arn:aws:kms:*:{account}:key/*",
            "Condition": {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}},
        },
    ]


def permission_policy(account: str, bucket: str, key_arn: str, role: CiRole) -> dict[str, Any]:
    """The role's inline policy (its managed policy is :func:`managed_policy`)."""
    statements = _state_statements(bucket, key_arn, write=role.deploys is not None)
    if role.deploys is not None:
        statements += _identity_statements(account, role.deploys)
    if role.reads_secret_values:
        statements += _secret_value_statements(account)
    return {"Version": "2012-10-17", "Statement": statements}


def managed_policy(role: CiRole) -> str:
    return POWER_USER if role.deploys is not None else READ_ONLY


def _ensure_oidc_provider(iam: Any, account: str, created: list[str]) -> None:
    arn = f"arn:aws:iam::{account}:oidc-provider/{GITHUB_OIDC_HOST}"
    existing = {p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]}
    if arn not in existing:
        iam.create_open_id_connect_provider(
            Url=f"https://{GITHUB_OIDC_HOST}",
            ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=[GITHUB_THUMBPRINT],
        )
        created.append(f"oidc provider {GITHUB_OIDC_HOST}")


def ensure_ci_roles(
    iam: Any, account: str, repository: str, bucket: str, key_arn: str, default_branch: str
) -> tuple[list[str], list[str]]:
    """Create or converge the OIDC provider and the four roles (trust, managed and inline
    policy are rewritten to the expected ones every run). Returns (created, updated)."""
    created: list[str] = []
    updated: list[str] = []
    _ensure_oidc_provider(iam, account, created)
    for role in ci_roles(default_branch):
        trust = json.dumps(trust_policy(account, repository, role))
        try:
            iam.get_role(RoleName=role.name)
        except iam.exceptions.NoSuchEntityException:
            iam.create_role(
                RoleName=role.name,
                AssumeRolePolicyDocument=trust,
                Description=f"GitHub Actions ({repository}): {role.purpose}",
                MaxSessionDuration=3 * 3600,
                Tags=[{"Key": "managed-by", "Value": "bootstrap-backend"}],
            )
            created.append(f"iam role {role.name}")
        else:
            iam.update_assume_role_policy(RoleName=role.name, PolicyDocument=trust)
            updated.append(f"iam role {role.name}: trust and permissions converged")
        iam.attach_role_policy(RoleName=role.name, PolicyArn=managed_policy(role))
        iam.put_role_policy(
            RoleName=role.name,
            PolicyName="platform-ci",
            PolicyDocument=json.dumps(permission_policy(account, bucket, key_arn, role)),
        )
    return created, updated
