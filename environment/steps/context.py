"""What every step shares: the config, the environment's AWS provider and its options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from ..config import PROJECT, StackConfig
from ..config.naming import default_tags


@dataclass(frozen=True)
class Context:
    cfg: StackConfig
    provider: aws.Provider
    aws_opts: pulumi.ResourceOptions
    invoke_opts: pulumi.InvokeOutputOptions
    """Data sources read through the environment's provider (its region)."""
    dr_provider: aws.Provider | None
    """The DR region's provider (``backups.drRegion``): backup copies and bucket replicas;
    None when the stack makes neither (a provider of a region is configured, and checks its
    credentials there, even when nothing uses it: a standby's must not need the lost one)."""
    primary: pulumi.StackReference | None = None
    """A standby's primary: its stack outputs (``databaseArn``, ``loadBalancerDnsName``, ...)."""

    @property
    def env(self) -> str:
        return self.cfg.environment

    @property
    def tags(self) -> dict[str, str]:
        return default_tags(PROJECT, self.env, self.cfg.tags)

    @property
    def protect(self) -> bool:
        return self.cfg.protect_stateful_resources

    @property
    def standby_phase(self) -> Literal["standing-by", "promoted"] | None:
        """A standby's phase (None: no standby)."""
        if self.cfg.standby is None:
            return None
        return "promoted" if self.cfg.standby.promoted else "standing-by"

    @property
    def standing_by(self) -> bool:
        """A standby not yet promoted: its database is a replica, its roles are not applied."""
        return self.standby_phase == "standing-by"


def primary_reference(stack: str) -> str:
    """``<organization>/<project>/<stack>``: the form every backend accepts (a DIY backend's
    organization is ``organization``)."""
    return f"{pulumi.get_organization()}/{pulumi.get_project()}/{stack}"


def context(cfg: StackConfig) -> Context:
    tags = default_tags(PROJECT, cfg.environment, cfg.tags)
    provider = aws.Provider("aws", region=cfg.region, default_tags={"tags": tags})
    primary = None
    if cfg.standby is not None:
        primary = pulumi.StackReference(primary_reference(cfg.standby.primary_stack))
    return Context(
        cfg,
        provider,
        pulumi.ResourceOptions(providers=[provider]),
        pulumi.InvokeOutputOptions(provider=provider),
        (
            aws.Provider("aws-dr", region=cfg.backups.dr_region, default_tags={"tags": tags})
            if cfg.backups.cross_region_copy or cfg.backups.bucket_replication
            else None
        ),
        primary,
    )
