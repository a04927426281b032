"""Every taggable AWS resource carries the required tags through the provider's default_tags."""

from __future__ import annotations

import importlib
import inspect
from functools import cache

from environment.config.naming import REQUIRED_TAG_KEYS
from tools.offline.harness import PlanResult


@cache
def is_taggable(type_token: str) -> bool:
    """True when the pulumi-aws resource class accepts ``tags`` (read from the SDK itself)."""
    _pkg, module, cls_name = type_token.split(":")
    module_name = module.split("/")[0]
    mod = importlib.import_module(
        "pulumi_aws" if module_name == "index" else f"pulumi_aws.{module_name}"
    )
    cls = getattr(mod, cls_name)
    return "tags" in inspect.signature(cls._internal_init).parameters


def test_aws_provider_sets_every_required_tag(plan: PlanResult) -> None:
    providers = plan.graph.of_type("pulumi:providers:aws")
    # the DR region's only where something goes there (staging copies nothing)
    assert {p.name for p in providers} == (
        {"aws", "aws-dr"} if plan.stack == "production" else {"aws"}
    )
    for provider in providers:
        tags = provider.inputs["defaultTags"]["tags"]
        assert set(REQUIRED_TAG_KEYS) <= set(tags)
        assert tags["environment"] == plan.stack
        assert tags["project"] == "platform"
        assert all(tags[k] for k in REQUIRED_TAG_KEYS)


def test_every_taggable_resource_uses_the_tagged_provider(plan: PlanResult) -> None:
    providers = [p.urn for p in plan.graph.of_type("pulumi:providers:aws")]
    aws_resources = [r for r in plan.graph if r.custom and r.type.startswith("aws:")]
    taggable = [r for r in aws_resources if is_taggable(r.type)]
    assert len(taggable) >= 20
    untagged = [
        r.name for r in taggable if not any((r.provider or "").startswith(u) for u in providers)
    ]
    assert untagged == []


def test_primary_region_provider(plan: PlanResult) -> None:
    providers = [p for p in plan.graph.of_type("pulumi:providers:aws") if p.name == "aws"]
    assert providers[0].inputs["region"] == "us-east-1"
