"""Customer-managed KMS keys: one helper so every component's key is made the same way."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pulumi
import pulumi_aws as aws

from ._util import Statement, policy_document

DELETION_WINDOW_DAYS = 30
"""The longest window: a key scheduled for deletion by mistake can be recovered for 30 days."""


def key_policy(account_id: str, service_statements: Sequence[Statement] = ()) -> str:
    """The account-root statement (IAM policies govern use, as in the default key policy)
    plus statements for AWS services that must use the key (e.g. CloudWatch for SNS)."""
    root: Statement = {
        "Sid": "AccountAdministration",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    return policy_document(root, *service_statements)


def customer_managed_key(
    name: str,
    description: str,
    *,
    parent: pulumi.Resource,
    protect: bool,
    service_statements: Sequence[Statement] | Callable[[str], Sequence[Statement]] = (),
    provider: pulumi.ProviderResource | None = None,
    outlive_the_stack: bool = False,
) -> aws.kms.Key:
    """A symmetric CMK with yearly rotation, a 30-day deletion window, an alias
    ``alias/<name>`` and, when ``protect``, ``protect`` + ``retain_on_delete`` so neither a
    ``pulumi destroy`` nor a replace can schedule the deletion of data keys.
    ``outlive_the_stack``: retained on delete even without ``protect``, for keys that encrypt
    something kept after a destroy (a final snapshot must stay restorable; $1/month)."""
    account = aws.get_caller_identity_output(
        opts=pulumi.InvokeOutputOptions(parent=parent, provider=provider)
    )
    key = aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        rotation_period_in_days=365,
        deletion_window_in_days=DELETION_WINDOW_DAYS,
        key_usage="ENCRYPT_DECRYPT",
        customer_master_key_spec="SYMMETRIC_DEFAULT",
        policy=account.account_id.apply(
            lambda acct: key_policy(
                acct,
                service_statements(acct) if callable(service_statements) else service_statements,
            )
        ),
        opts=pulumi.ResourceOptions(
            parent=parent,
            provider=provider,
            protect=protect,
            retain_on_delete=protect or outlive_the_stack,
        ),
    )
    aws.kms.Alias(
        name,
        name=f"alias/{name}",
        target_key_id=key.key_id,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )
    return key
