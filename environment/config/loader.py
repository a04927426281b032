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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pydantic import BaseModel, ValidationError

from .model import StackConfig
from .network import NetworkConfig
from .standby import regional_images, scaled_down

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


StackFiles = Callable[[str], Mapping[str, Any] | None]
"""A committed stack's config by stack name (None: no such file)."""

NOT_INHERITED = ("aws:region", f"{PROJECT}:network", f"{PROJECT}:standby",
                 f"{PROJECT}:acceptReplacement")  # fmt: skip
"""What a standby never takes from its primary: where it runs, and the primary's day-two
switches."""


def committed_stack_config(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, Any] | None:
    """The ``config:`` of ``Pulumi.<stack>.yaml`` beside ``Pulumi.yaml`` (None: no file)."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return None
    config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    return {(k if ":" in str(k) else f"{PROJECT}:{k}"): v for k, v in config.items()}


def _decoded(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Project values as objects (the engine passes structured values as JSON text)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and key.startswith(f"{PROJECT}:"):
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        out[key] = value
    return out


def _merged(base: Any, override: Any) -> Any:
    """``override`` over ``base``: mappings merge key by key, anything else is replaced."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        return {k: _merged(base[k], v) if k in base else v for k, v in override.items()} | {
            k: v for k, v in base.items() if k not in override
        }
    return override


def inherit(raw: Mapping[str, Any], primary: Mapping[str, Any]) -> dict[str, Any]:
    """A standby's config: the primary's, with the standby's own keys over it (mappings merged,
    lists replaced); region, network, standby and acceptReplacement are never inherited."""
    own, base = _decoded(raw), _decoded(primary)
    secret = sorted(
        k for k, v in base.items()
        if k not in own and isinstance(v, Mapping) and set(v) == {"secure"}
    )  # fmt: skip
    if secret:
        raise ConfigError(
            "invalid stack config:\n"
            + "\n".join(
                f"  {k}: the primary's secret value cannot be read by this stack (its own "
                "secrets provider); set it in this stack's file"
                for k in secret
            )
        )
    inherited = {k: v for k, v in base.items() if k not in NOT_INHERITED}
    return {k: _merged(inherited[k], v) if k in inherited else v for k, v in own.items()} | {
        k: v for k, v in inherited.items() if k not in own
    }


def primary_stack_of(raw: Mapping[str, Any]) -> str | None:
    """The primary a standby's raw config names (None: no standby, or it names none: the model
    then reports the missing key)."""
    standby = _decoded(raw).get(f"{PROJECT}:standby")
    name = standby.get("primaryStack") if isinstance(standby, Mapping) else None
    return name if isinstance(name, str) else None


def _primary_of(
    raw: Mapping[str, Any], stack_files: StackFiles
) -> tuple[str, dict[str, Any]] | None:
    """The primary a standby names, and its raw config (None: see ``primary_stack_of``)."""
    name = primary_stack_of(raw)
    if name is None:
        return None
    primary = stack_files(name)
    if primary is None:
        raise ConfigError(
            f"invalid stack config:\n  {PROJECT}:standby.primaryStack: no committed stack "
            f"file Pulumi.{name}.yaml beside Pulumi.yaml"
        )
    return name, dict(primary)


def _standby_problems(cfg: StackConfig, name: str, primary: StackConfig) -> list[str]:
    """What makes ``cfg`` unable to stand by for ``primary``, as ``key: message`` lines."""
    key = f"{PROJECT}:standby.primaryStack"
    problems = []
    if primary.standby is not None:
        problems.append(f"{key}: {name} is itself a standby; name the primary it stands by for")
    # (a standby in its primary's region is refused before, by parse_stack_config)
    if cfg.region != primary.backups.dr_region:
        problems.append(
            f"aws:region: {cfg.region} is not the primary's backups.drRegion "
            f"({primary.backups.dr_region}), where its media replica and DR vault are; run the "
            "standby there, or move the primary's drRegion"
        )
    if cfg.network.cidr.overlaps(primary.network.cidr):
        problems.append(
            f"{PROJECT}:network.cidr: {cfg.network.cidr} overlaps the primary's ({name}) "
            f"{primary.network.cidr}; a standby needs a disjoint range"
        )
    if primary.database.master_password != "generated":
        problems.append(
            f"{key}: {name}'s database.masterPassword is {primary.database.master_password!r}: "
            "RDS creates no read replica of a source whose master password it manages (RDS "
            "User Guide, 'Limitations for Secrets Manager integration'); set "
            f"{PROJECT}:database.masterPassword: generated in Pulumi.{name}.yaml and deploy it "
            "first (an in-place change)"
        )
    if not primary.backups.bucket_replication:
        problems.append(
            f"{key}: {name}'s backups.bucketReplication is off: the standby serves the "
            "primary's media from its replica in this region (turn it on in the primary first)"
        )
    if cfg.standby is not None and cfg.standby.dns is not None:
        zone = cfg.standby.dns.hosted_zone
        outside = [h for h in cfg.apps.ingress.hosts if not zone.holds(h)]
        if outside or not cfg.apps.ingress.enabled:
            problems.append(
                f"{PROJECT}:standby.dns.hostedZone: {zone.domain} must hold every public host "
                f"of an enabled ingress (not held: {', '.join(outside) or 'no ingress'})"
            )
        owner = (
            "apps.ingress.cdn" if primary.apps.ingress.cdn is not None
            else "addons.externalDns" if primary.addons.external_dns.enabled
            else None
        )  # fmt: skip
        if owner:
            problems.append(
                f"{PROJECT}:standby.dns: {name}'s {owner} already owns its hosts' records; "
                "failover records need them (turn that off in the primary, or drop "
                "standby.dns)"
            )
    ingress = cfg.apps.ingress
    if ingress.enabled and not ingress.certificate_arns and ingress.hosted_zone is not None:
        problems.append(
            f"{PROJECT}:apps.ingress.certificateArns: a standby issues no certificates for its "
            "primary's hosts (ACM validates a name with one record per account, which the "
            f"primary's stack owns in {ingress.hosted_zone.domain}); request them in "
            f"{cfg.region} (they validate through the same records) and set their ARNs here"
        )
    regional = (
        ("certificateArns", ingress.certificate_arns,
         "needs certificates of its region (set their ARNs in this stack's file)"),
        ("wafAclArn", [ingress.waf_acl_arn] if ingress.waf_acl_arn else [],
         "takes a web ACL of its region (or set waf to make one)"),
    )  # fmt: skip
    for field, arns, need in regional:
        for arn in arns:
            region = arn.split(":")[3]
            if region != cfg.region:
                problems.append(
                    f"{PROJECT}:apps.ingress.{field}: {arn} is in {region}; this stack's ALB "
                    f"in {cfg.region} {need}"
                )
    return problems


def parse_stack_config(
    raw: Mapping[str, Any],
    stack: str,
    other_stack_cidrs: Mapping[str, ipaddress.IPv4Network] | None = None,
    stack_files: StackFiles = committed_stack_config,
) -> StackConfig:
    """Validate a flat ``{"aws:region": ..., "platform:network": {...}}`` mapping.

    Values may be strings holding JSON (that is how the Pulumi engine passes structured config).
    ``other_stack_cidrs`` are the committed stacks' VPC ranges this one must not overlap. A
    standby (``platform:standby``) inherits its primary's config (``stack_files``), is checked
    against it, and comes back scaled down until promoted.
    """
    named = _primary_of(raw, stack_files)
    if named is not None:
        try:
            primary = parse_stack_config(named[1], named[0], stack_files=stack_files)
        except ConfigError as exc:
            raise ConfigError(f"primary stack {named[0]}: {exc}") from None
        region = _decoded(raw).get("aws:region")
        if region == primary.region:  # before the model's own drRegion check says less
            raise ConfigError(
                f"invalid stack config:\n  aws:region: {region} is the region of the primary "
                f"({named[0]}); a standby runs in another region"
            )
        cfg = _validated(inherit(raw, named[1]), stack, other_stack_cidrs)
        problems = _standby_problems(cfg, named[0], primary)
        if problems:
            raise ConfigError("invalid stack config:\n" + "\n".join(f"  {p}" for p in problems))
        return scaled_down(regional_images(cfg, primary.region))
    return _validated(raw, stack, other_stack_cidrs)


def _validated(
    raw: Mapping[str, Any],
    stack: str,
    other_stack_cidrs: Mapping[str, ipaddress.IPv4Network] | None,
) -> StackConfig:
    data: dict[str, Any] = {"environment": stack}
    unknown_namespaces = []
    refused: list[str] = []
    for key, value in _decoded(raw).items():
        namespace, _, name = key.partition(":")
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
    primary = cfg.standby.primary_stack if cfg.standby else None
    overlaps = [
        f"  platform:network.cidr: {cfg.network.cidr} overlaps stack {other!r} ({cidr}); "
        "every environment needs its own range (peering, VPN and the DR region need them "
        "disjoint)"
        for other, cidr in sorted((other_stack_cidrs or {}).items())
        if other not in (stack, primary) and cfg.network.cidr.overlaps(cidr)
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
    for stack in committed_stacks(project_dir):
        with contextlib.suppress(OSError, yaml.YAMLError, ValueError, TypeError, AttributeError):
            config = committed_stack_config(stack, project_dir) or {}
            network = config.get(f"{PROJECT}:network") or {}
            cidrs[stack] = ipaddress.IPv4Network(network.get("cidr", str(default)))
    return cidrs


def committed_stacks(project_dir: Path = PROJECT_DIR) -> list[str]:
    """The stacks with a ``Pulumi.<stack>.yaml`` beside ``Pulumi.yaml``, sorted."""
    return [
        path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        for path in sorted(project_dir.glob("Pulumi.*.yaml"))
    ]


def load_stack_config() -> StackConfig:
    """Read the running stack's config (``pulumi.Config``); validate once."""
    from pulumi.runtime.config import CONFIG

    return parse_stack_config(dict(CONFIG.get()), pulumi.get_stack(), committed_stack_cidrs())
