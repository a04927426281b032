"""The shared CMK helper: rotation, deletion window, protection."""

from __future__ import annotations

import json

import pulumi

from components.kms import DELETION_WINDOW_DAYS, customer_managed_key
from tests.conftest import run_component


class _Holder(pulumi.ComponentResource):
    def __init__(self, name: str, protect: bool) -> None:
        super().__init__("platform:test:Holder", name)
        customer_managed_key(
            f"{name}-key",
            "test key",
            parent=self,
            protect=protect,
            service_statements=[
                {
                    "Sid": "Svc",
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": ["kms:Decrypt"],
                    "Resource": "*",
                }
            ],
        )


def test_protected_key_rotates_and_is_retained_on_delete() -> None:
    result = run_component(lambda: _Holder("p", protect=True))
    (key,) = result.graph.of_type("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == DELETION_WINDOW_DAYS
    assert key.options.protect is True
    assert key.options.retain_on_delete is True
    policy = json.loads(key.inputs["policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["AccountAdministration", "Svc"]
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    (alias,) = result.graph.of_type("aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/p-key"
    assert alias.inputs["targetKeyId"] == key.outputs["keyId"]


def test_unprotected_key_is_still_rotated_but_deletable() -> None:
    result = run_component(lambda: _Holder("u", protect=False))
    (key,) = result.graph.of_type("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.options.protect is False
    assert key.options.retain_on_delete is False
