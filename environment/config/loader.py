"""Load and validate the stack config once, at the edge.

All project keys live under the ``platform:`` namespace, one key per section of
:class:`StackConfig`. Any problem — unknown key, wrong type, bad CIDR, out-of-range count,
missing value — becomes one :class:`ConfigError` naming every offending key path and what is
allowed, raised before a single resource is registered.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pydantic import BaseModel, ValidationError

from .model import StackConfig
from .network import NetworkConfig

PROJECT_DIR = Path(__file__).resolve().parents[2]
"""Where ``Pulumi.yaml`` and the committed ``Pulumi.<stack>.yaml`` files live."""

PROJECT_NAME = "platform"

REFUSED_KEYS = {
    "region": "the region is the AWS provider's: set aws:region (one source of truth)",
    **{
        key: (
            f"receiver secrets live in Secrets Manager as <stack>/alerting/{name}, never in "
            f"Pulumi config or state: `uv run bootstrap-backend put-secret --stack <stack> "
            f"alerting/{name}` (value on stdin), then `pulumi config rm {PROJECT_NAME}:{key}`"
        )
        for key, name in (
            ("alertSlackWebhookUrl", "slack-webhook-url"),
            ("alertPagerdutyRoutingKey", "pagerduty-routing-key"),
        )
    },
}
"""Project keys refused with a hint: they would shadow another namespace's setting, or
would put a secret into Pulumi config."""

PROJECT = PROJECT_NAME


class ConfigError(pulumi.RunError):
    """Invalid stack config.

    A ``RunError``: the Pulumi CLI prints its message, not a traceback.
    """


def _field_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class a location points into (for 'allowed keys' hints)."""
    model: type[BaseModel] | None = StackConfig
    for part in path:
        if model is None:
            return None
        field = next(
            (f for n, f in model.model_fields.items() if part in (n, f.alias)),
            None,
        )
        if field is None:
            # a dict key (node group name, workload name) keeps the value's model
            continue
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
    return model


def _key_path(loc: tuple[Any, ...]) -> str:
    if not loc:
        return "platform"
    head, *rest = loc
    key = "aws:region" if head == "region" else f"{PROJECT}:{head}"
    for part in rest:
        key += f"[{part}]" if isinstance(part, int) else f".{part}"
    return key


def format_validation_error(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            parent = _model_at(loc[:-1])
            allowed = ", ".join(_field_keys(parent)) if parent else "see the README"
            msg = f"unknown key; allowed keys here: {allowed}"
        elif err["type"] == "missing":
            msg = "required value is missing"
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] not in ("value_error", "assertion_error") and "input" in err:
                msg += f" (got {err['input']!r})"
        lines.append(f"  {_key_path(loc)}: {msg}")
    return "invalid stack config:\n" + "\n".join(lines)


def parse_stack_config(
    raw: Mapping[str, Any],
    stack: str,
    other_stack_cidrs: Mapping[str, ipaddress.IPv4Network] | None = None,
) -> StackConfig:
    """Validate a flat ``{"aws:region": ..., "platform:network": {...}}`` mapping.

    Values may be strings holding JSON (that is how the Pulumi engine passes structured config).
    ``other_stack_cidrs`` are the committed stacks' VPC ranges this one must not overlap.
    """
    data: dict[str, Any] = {"environment": stack}
    unknown_namespaces = []
    refused: list[str] = []
    for key, value in raw.items():
        namespace, _, name = key.partition(":")
        if isinstance(value, str) and namespace == PROJECT:
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        if key == "aws:region":
            data["region"] = value
        elif namespace == PROJECT and name in REFUSED_KEYS:
            refused.append(f"  {key}: not a project key; {REFUSED_KEYS[name]}")
        elif namespace == PROJECT:
            data[name] = value
        elif namespace not in ("aws", "kubernetes", "eks", "random", PROJECT):
            unknown_namespaces.append(key)
    if refused:
        raise ConfigError("invalid stack config:\n" + "\n".join(refused))
    if unknown_namespaces:
        raise ConfigError(
            "invalid stack config:\n"
            + "\n".join(
                f"  {k}: unknown namespace; project keys are '{PROJECT}:<section>'"
                for k in unknown_namespaces
            )
        )
    try:
        cfg = StackConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc)) from None
    overlaps = [
        f"  platform:network.cidr: {cfg.network.cidr} overlaps stack {other!r} ({cidr}); "
        "every environment needs its own range (peering, VPN and the DR region need them "
        "disjoint)"
        for other, cidr in sorted((other_stack_cidrs or {}).items())
        if other != stack and cfg.network.cidr.overlaps(cidr)
    ]
    if overlaps:
        raise ConfigError("invalid stack config:\n" + "\n".join(overlaps))
    return cfg


def committed_stack_cidrs(project_dir: Path = PROJECT_DIR) -> dict[str, ipaddress.IPv4Network]:
    """The VPC CIDR of every committed ``Pulumi.<stack>.yaml`` beside ``Pulumi.yaml`` (the
    default range when a file sets none). Unreadable files are skipped: each is validated
    when its own stack runs."""
    default = NetworkConfig().cidr
    cidrs: dict[str, ipaddress.IPv4Network] = {}
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        with contextlib.suppress(OSError, yaml.YAMLError, ValueError, TypeError, AttributeError):
            config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
            network = config.get(f"{PROJECT}:network") or {}
            cidrs[stack] = ipaddress.IPv4Network(network.get("cidr", str(default)))
    return cidrs


def load_stack_config() -> StackConfig:
    """Read the running stack's config (``pulumi.Config``); validate once."""
    from pulumi.runtime.config import CONFIG

    return parse_stack_config(dict(CONFIG.get()), pulumi.get_stack(), committed_stack_cidrs())
