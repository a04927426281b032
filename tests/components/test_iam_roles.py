"""IRSA roles: the trust policy admits exactly one service account."""

from __future__ import annotations

import json

import pulumi

from components.iam_roles import OidcProvider, irsa_trust_policy, service_account_role
from tests.conftest import run_component

ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"


def test_trust_policy_names_one_subject_with_string_equals() -> None:
    doc = json.loads(irsa_trust_policy(ARN, ISSUER, "apps", "api"))
    (statement,) = doc["Statement"]
    assert statement["Principal"] == {"Federated": ARN}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:apps:api",
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
        }
    }


class _Holder(pulumi.ComponentResource):
    def __init__(self) -> None:
        super().__init__("platform:test:Holder", "h")
        service_account_role(
            "h-api",
            oidc=OidcProvider(arn=ARN, issuer=ISSUER),
            namespace="apps",
            service_account="api",
            statements=[
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject"],
                    "Resource": "arn:aws:s3:::b/api/*",
                }
            ],
            managed_policy_arns=["arn:aws:iam::aws:policy/Example"],
            parent=self,
        )


def test_role_has_scoped_trust_inline_policy_and_managed_attachments() -> None:
    graph = run_component(_Holder).graph
    (role,) = graph.of_type("aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust == json.loads(irsa_trust_policy(ARN, ISSUER, "apps", "api"))
    (policy,) = graph.of_type("aws:iam/rolePolicy:RolePolicy")
    assert json.loads(policy.inputs["policy"])["Statement"][0]["Action"] == ["s3:GetObject"]
    (attachment,) = graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/Example"
    assert role.parent is not None
    assert role.parent.endswith("::h")
