"""IAM roles for Kubernetes service accounts (IRSA).

The platform uses IRSA rather than EKS Pod Identity: the trust policy itself names the one
``system:serviceaccount:<namespace>:<name>`` subject (reviewable and testable from the plan,
enforced by IAM even if someone creates a look-alike association), it works for every add-on
chart without the pod-identity agent, and pulumi-eks creates the OIDC provider for us.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ._util import Statement, policy_document


@dataclass(frozen=True)
class OidcProvider:
    """The cluster's IAM OIDC provider: ARN and issuer host/path (no ``https://``)."""

    arn: pulumi.Input[str]
    issuer: pulumi.Input[str]


def irsa_trust_policy(provider_arn: str, issuer: str, namespace: str, service_account: str) -> str:
    """A trust policy that lets exactly one service account assume the role.

    ``StringEquals`` on both ``sub`` and ``aud`` — never ``StringLike`` or a ``*`` subject.
    """
    issuer = issuer.removeprefix("https://")
    return policy_document(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                    f"{issuer}:aud": "sts.amazonaws.com",
                }
            },
        }
    )


def service_account_role(
    name: str,
    *,
    oidc: OidcProvider,
    namespace: str,
    service_account: str,
    statements: Sequence[Statement] | pulumi.Input[Sequence[Statement]] = (),
    managed_policy_arns: Sequence[str] = (),
    parent: pulumi.Resource,
    provider: pulumi.ProviderResource | None = None,
) -> aws.iam.Role:
    """A role assumable only by ``namespace/service_account``, with an inline policy made of
    ``statements`` (may be an Output, e.g. when it names ARNs of other resources) and any
    AWS-managed policies. Annotate the service account with ``role.arn``
    (``eks.amazonaws.com/role-arn``)."""
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    role = aws.iam.Role(
        name,
        description=f"IRSA role for {namespace}/{service_account}",
        assume_role_policy=pulumi.Output.all(oidc.arn, oidc.issuer).apply(
            lambda a: irsa_trust_policy(a[0], a[1], namespace, service_account)
        ),
        max_session_duration=3600,
        opts=opts,
    )
    if statements:
        aws.iam.RolePolicy(
            name,
            role=role.id,
            policy=pulumi.Output.from_input(statements).apply(lambda s: policy_document(*s)),
            opts=opts,
        )
    for index, arn in enumerate(managed_policy_arns):
        aws.iam.RolePolicyAttachment(
            f"{name}-managed-{index}", role=role.name, policy_arn=arn, opts=opts
        )
    return role
