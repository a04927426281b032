"""Naming and cost-allocation tags applied to every taggable AWS resource."""

from __future__ import annotations

from pydantic import Field, field_validator

from .base import ConfigModel

_TAG_KEY_MAX = 128
_TAG_VALUE_MAX = 256


class TagsConfig(ConfigModel):
    """Tags set once on the AWS provider (``default_tags``), so every taggable resource has them."""

    owner: str = Field(min_length=1, max_length=_TAG_VALUE_MAX)
    """Team that owns the environment (tag ``owner``). Required."""

    cost_center: str = Field(min_length=1, max_length=_TAG_VALUE_MAX)
    """Cost center billed for the environment (tag ``cost-center``). Required."""

    extra: dict[str, str] = Field(default_factory=dict)
    """Additional tags; may not redefine the required ones."""

    @field_validator("extra")
    @classmethod
    def _no_reserved_keys(cls, extra: dict[str, str]) -> dict[str, str]:
        for key, value in extra.items():
            if key in REQUIRED_TAG_KEYS:
                raise ValueError(f"tag {key!r} is set by the platform; remove it from extra")
            if key.lower().startswith("aws:"):
                raise ValueError(f"tag {key!r}: the aws: prefix is reserved by AWS")
            if not 0 < len(key) <= _TAG_KEY_MAX or len(value) > _TAG_VALUE_MAX:
                raise ValueError(f"tag {key!r}: keys 1-128 and values up to 256 characters")
        return extra


REQUIRED_TAG_KEYS = ("project", "environment", "owner", "cost-center", "managed-by")
"""Tags every taggable resource carries (policy ``required-tags`` checks the same list)."""


def default_tags(project: str, environment: str, tags: TagsConfig) -> dict[str, str]:
    """The provider's ``default_tags``: required tags first, then the extras."""
    return {
        "project": project,
        "environment": environment,
        "owner": tags.owner,
        "cost-center": tags.cost_center,
        "managed-by": "pulumi",
        **tags.extra,
    }
