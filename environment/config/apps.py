"""The product's workloads on Kubernetes. Owned by the AppDeployment work; starting shape."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import ConfigModel


class WorkloadConfig(ConfigModel):
    """One workload (api, worker, beat, ...)."""

    kind: Literal["http", "worker", "scheduler"]
    """``http`` serves traffic; ``worker`` consumes a queue; ``scheduler`` runs exactly once."""

    image: str = Field(min_length=1)
    """Container image, pinned by tag or digest."""

    replicas: int = Field(default=2, ge=1, le=100)
    """Replicas (schedulers always run one)."""


class AppsConfig(ConfigModel):
    """Namespace and workloads."""

    namespace: str = Field(default="app", pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
    """Namespace the workloads run in."""

    workloads: dict[str, WorkloadConfig] = Field(default_factory=dict)
    """Workloads by name."""
