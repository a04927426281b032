"""Cluster add-ons installed with Helm (versions pinned in components/versions.py)."""

from __future__ import annotations

from pydantic import Field, model_validator

from .base import ConfigModel


class ExternalDnsConfig(ConfigModel):
    """external-dns for one Route 53 hosted zone."""

    enabled: bool = False
    """Manage DNS records for Ingress hosts."""

    hosted_zone_id: str | None = Field(default=None, pattern=r"^Z[A-Z0-9]{1,31}$")
    """The only zone it may change."""

    domain: str | None = Field(default=None, pattern=r"^([a-z0-9-]+\.)+[a-z]{2,}$")
    """Domain filter (e.g. example.com)."""

    @model_validator(mode="after")
    def _zone(self) -> ExternalDnsConfig:
        if self.enabled and not (self.hosted_zone_id and self.domain):
            raise ValueError("externalDns.enabled needs hostedZoneId and domain")
        return self


class AddonsConfig(ConfigModel):
    """Which add-ons to install and how many controller replicas to run."""

    metrics_server: bool = True
    """metrics-server (HPA resource metrics)."""

    aws_load_balancer_controller: bool = True
    """AWS Load Balancer Controller (ALB for Ingress, NLB for Services)."""

    cert_manager: bool = True
    """cert-manager (webhook certificates, in-cluster TLS)."""

    external_secrets: bool = True
    """external-secrets (Secrets Manager -> Kubernetes Secrets)."""

    reloader: bool = True
    """Stakater Reloader: rolls a Deployment when a Secret or ConfigMap it reads changes
    (rotated credentials reach pods that read them from environment variables)."""

    cluster_autoscaler: bool = True
    """cluster-autoscaler for the managed node groups."""

    external_dns: ExternalDnsConfig = ExternalDnsConfig()
    """Optional external-dns."""

    controller_replicas: int = Field(default=2, ge=1, le=5)
    """Replicas of every controller; 2+ gets a PodDisruptionBudget and zone spread."""
