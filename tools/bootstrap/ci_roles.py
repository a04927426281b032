"""The IAM roles GitHub Actions assumes by OIDC: one per purpose and environment.

Each role trusts exactly the ``sub`` claim its jobs present (GitHub's OIDC docs: a job with
``environment:`` presents ``repo:<owner>/<name>:environment:<env>``; otherwise a
``pull_request`` event presents ``repo:<owner>/<name>:pull_request`` and other events
``repo:<owner>/<name>:ref:<ref>``). So the production environment's required reviewers guard
the only credentials that can change production, a pull request can only read, and the
nightly drift check runs from the default branch alone.

``tests/delivery/test_workflows.py`` holds every workflow job's claim against these trust
policies; the stack files grant the same roles EKS access entries.

Both environments share one account here, so a deploy role is also fenced off from the other
environment: it is denied every action on resources tagged ``environment=<other>`` (every
resource the program creates carries the tag) and every request creating one, and it reads
and writes only its own stack's state objects. Separate accounts per environment remain the
stronger boundary (README "First deploy").
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
IAM_READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
"""PowerUserAccess has no IAM reads (only ``ListRoles``); the provider reads back every role,
inline policy, attachment and OIDC provider it creates, and refreshes read them all."""

ENVIRONMENTS = ("staging", "production")
PROJECT = "platform"


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


def _state_statements(bucket: str, key_arn: str, deploys: str | None) -> list[dict[str, Any]]:
    """The diy backend's objects (project-scoped layout): a read-only role reads them (a
    preview takes no lock); a deploy role reads and writes its own stack's objects only."""
    if deploys is None:
        return [
            {"Sid": "ListState", "Effect": "Allow", "Action": "s3:ListBucket",
             "Resource": f"arn:aws:s3:::{bucket}"},
            {"Sid": "ReadState", "Effect": "Allow", "Action": "s3:GetObject",
             "Resource": f"arn:aws:s3:::{bucket}/.pulumi/*"},
            # stack secrets' data key, and the bucket's SSE-KMS objects
            {"Sid": "StackSecrets", "Effect": "Allow", "Action": "kms:Decrypt",
             "Resource": key_arn},
        ]  # fmt: skip
    own = [
        f"arn:aws:s3:::{bucket}/.pulumi/stacks/{PROJECT}/{deploys}.json*",
        *(f"arn:aws:s3:::{bucket}/.pulumi/{kind}/{PROJECT}/{deploys}/*"
          for kind in ("history", "backups", "locks")),
    ]  # fmt: skip
    return [
        {"Sid": "ListState", "Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": f"arn:aws:s3:::{bucket}"},
        {"Sid": "ReadBackendMetadata", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/.pulumi/meta.yaml"},
        {"Sid": "WriteOwnState", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": own},
        # stack secrets (Encrypt creates the data key at stack init) and SSE-KMS state objects
        {"Sid": "StackSecrets", "Effect": "Allow",
         "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], "Resource": key_arn},
    ]  # fmt: skip


def _fence_statements(environment: str) -> list[dict[str, Any]]:
    """Deny everything on, and every creation of, the other environments' resources."""
    others = [e for e in ENVIRONMENTS if e != environment]
    return [
        {"Sid": "NotOtherEnvironments", "Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceTag/environment": others}}},
        {"Sid": "NoResourcesForOtherEnvironments", "Effect": "Deny", "Action": "*",
         "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestTag/environment": others}}},
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
    """The values a refresh reads: the program's own secrets (database logins, the cache's
    token, the values it generates for workloads), not the operator's (alert receivers and a
    team's ``fromSecretsManager`` entries are looked up or synced, never read by Pulumi)."""
    return [
        {
            "Sid": "RefreshSecretVersions",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": [
                f"arn:aws:secretsmanager:*:{account}:secret:{stack}/{group}/*"
                for stack in ENVIRONMENTS
                for group in ("db", "cache", "generated")
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
    statements = _state_statements(bucket, key_arn, role.deploys)
    if role.deploys is not None:
        statements += _identity_statements(account, role.deploys)
        statements += _fence_statements(role.deploys)
    if role.reads_secret_values:
        statements += _secret_value_statements(account)
    return {"Version": "2012-10-17", "Statement": statements}


def managed_policies(role: CiRole) -> tuple[str, ...]:
    return (POWER_USER, IAM_READ_ONLY) if role.deploys is not None else (READ_ONLY,)


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
        for arn in managed_policies(role):
            iam.attach_role_policy(RoleName=role.name, PolicyArn=arn)
        iam.put_role_policy(
            RoleName=role.name,
            PolicyName="platform-ci",
            PolicyDocument=json.dumps(permission_policy(account, bucket, key_arn, role)),
        )
    return created, updated
