"""The product's workloads on Kubernetes: namespace baseline, workloads, ingress."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components._util import rolling_surge

from .base import ConfigModel

_CPU = re.compile(r"^(\d+(\.\d+)?)(m)?$")
_MEMORY = re.compile(r"^(\d+)(Ki|Mi|Gi|Ti)?$")
_MEMORY_FACTOR = {None: 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
ACM_ARN = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$"
WAF_ARN = r"^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/.+$"
IMAGE_NAME = re.compile(
    r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:\d+)?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$"
)
TAG = re.compile(r"^[\w][\w.-]{0,127}$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def cpu_millicores(value: str) -> float:
    m = _CPU.match(value)
    if not m:
        raise ValueError(f"{value!r} is not a CPU quantity (e.g. 250m, 1, 1.5)")
    return float(m[1]) if m[3] else float(m[1]) * 1000


def memory_bytes(value: str) -> int:
    m = _MEMORY.match(value)
    if not m:
        raise ValueError(f"{value!r} is not a memory quantity (e.g. 512Mi, 2Gi)")
    return int(m[1]) * _MEMORY_FACTOR[m[2]]


def _show(key: str, value: float) -> str:
    if key.endswith("Cpu"):
        return f"{value / 1000:g}"
    return f"{value / 2**30:.2f}Gi".replace(".00Gi", "Gi")


def check_image(image: str, *, require_pinned: bool) -> str:
    """A tag or a digest; never ``:latest`` or untagged when pinning is required."""
    name, _, digest = image.partition("@")
    repository, tag = name, ""
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        repository, tag = name.rsplit(":", 1)
    if (
        not IMAGE_NAME.match(repository)
        or (tag and not TAG.match(tag))
        or (digest and not DIGEST.match(digest))
    ):
        raise ValueError(f"{image!r} is not a container image reference")
    if require_pinned and not digest and tag in ("", "latest"):
        raise ValueError(
            f"image {image!r} must be pinned to a version tag or a digest (no ':latest', "
            "no untagged image)"
        )
    return image


class Resources(ConfigModel):
    """Container requests and limits."""

    cpu_request: str = "250m"
    """CPU request."""
    cpu_limit: str = "1"
    """CPU limit."""
    memory_request: str = "512Mi"
    """Memory request."""
    memory_limit: str = "1Gi"
    """Memory limit (the container is OOM-killed above it)."""

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Resources:
        if cpu_millicores(self.cpu_request) > cpu_millicores(self.cpu_limit):
            raise ValueError(f"cpuRequest {self.cpu_request} is above cpuLimit {self.cpu_limit}")
        if memory_bytes(self.memory_request) > memory_bytes(self.memory_limit):
            raise ValueError(
                f"memoryRequest {self.memory_request} is above memoryLimit {self.memory_limit}"
            )
        return self


class Autoscaling(ConfigModel):
    """HorizontalPodAutoscaler (autoscaling/v2) on CPU and memory utilisation."""

    min_replicas: int = Field(default=3, ge=1, le=100)
    """Lower bound."""
    max_replicas: int = Field(default=20, ge=1, le=500)
    """Upper bound."""
    cpu_target_percent: int = Field(default=70, ge=10, le=100)
    """Target average CPU utilisation of requests."""
    memory_target_percent: int = Field(default=80, ge=10, le=100)
    """Target average memory utilisation of requests."""

    @model_validator(mode="after")
    def _range(self) -> Autoscaling:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"minReplicas {self.min_replicas} is above maxReplicas {self.max_replicas}"
            )
        return self


class WorkloadConfig(ConfigModel):
    """One workload (api, worker, beat, ...)."""

    kind: Literal["http", "worker", "scheduler"]
    """``http`` serves traffic; ``worker`` consumes a queue; ``scheduler`` runs exactly once."""

    image: str = Field(min_length=1)
    """Container image, pinned by tag or digest."""

    command: tuple[str, ...] = ()
    """Entrypoint override."""

    args: tuple[str, ...] = ()
    """Arguments."""

    port: int = Field(default=8000, ge=1024, le=65535)
    """HTTP port (``http`` workloads; also serves ``/metrics``)."""

    replicas: int = Field(default=2, ge=1, le=100)
    """Replicas when not autoscaled (schedulers: exactly 1)."""

    autoscaling: Autoscaling | None = None
    """HPA bounds; none for schedulers."""

    resources: Resources = Resources()
    """Requests and limits."""

    probe: Literal["http", "exec", "none"] | None = None
    """Health checking: ``http`` (default for http workloads, the health endpoints), ``exec``
    (runs ``probeCommand``) or ``none``."""

    probe_command: tuple[str, ...] = ()
    """Command for ``exec`` probes."""

    termination_grace_period_seconds: int = Field(default=30, ge=5, le=3600)
    """Time to finish in-flight work after SIGTERM."""

    env: dict[str, str] = Field(default_factory=dict)
    """Extra non-secret environment variables."""

    s3_access: Literal["none", "read", "read-write"] = "none"
    """Access to this workload's own prefix in the app bucket."""

    @model_validator(mode="after")
    def _kind_rules(self) -> WorkloadConfig:
        if self.kind == "scheduler":
            if self.replicas != 1:
                raise ValueError(
                    f"a scheduler runs exactly one replica (never two at once); got replicas "
                    f"{self.replicas}"
                )
            if self.autoscaling is not None:
                raise ValueError("a scheduler cannot autoscale")
        if self.probe == "http" and self.kind != "http":
            raise ValueError("probe 'http' needs kind 'http'")
        if self.probe == "exec" and not self.probe_command:
            raise ValueError("probe 'exec' needs probeCommand")
        return self

    @property
    def peak_pods(self) -> int:
        """Pods at the autoscaling maximum during a rolling update (schedulers recreate)."""
        if self.kind == "scheduler":
            return 1
        peak = self.autoscaling.max_replicas if self.autoscaling else self.replicas
        return peak + rolling_surge(peak)

    @property
    def runs_celery(self) -> bool:
        """The container starts Celery (``celery ...`` or ``python -m celery ...``)."""
        tokens = [*self.command, *self.args]
        return any(t.rsplit("/", 1)[-1] == "celery" for t in tokens)

    @property
    def effective_probe(self) -> str:
        return self.probe or ("http" if self.kind == "http" else "none")


class IngressConfig(ConfigModel):
    """Internet-facing ALB for the http workload(s), HTTPS only."""

    enabled: bool = True
    """Create the Ingress."""
    host: str | None = Field(default=None, pattern=r"^([a-z0-9-]+\.)+[a-z]{2,}$")
    """Host name routed to the api."""
    certificate_arn: str | None = Field(default=None, pattern=ACM_ARN)
    """ACM certificate for the host (required when enabled)."""
    waf_acl_arn: str | None = Field(default=None, pattern=WAF_ARN)
    """Optional WAFv2 web ACL."""
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    """ALB TLS policy."""
    access_log_days: int = Field(default=90, ge=1, le=3650)
    """Days ALB access logs are kept."""

    @model_validator(mode="after")
    def _certificate(self) -> IngressConfig:
        if self.enabled and not self.certificate_arn:
            raise ValueError("an enabled ingress needs certificateArn (HTTPS only)")
        if self.enabled and not self.host:
            raise ValueError("an enabled ingress needs host")
        return self


class QuotaConfig(ConfigModel):
    """ResourceQuota of the namespace."""

    requests_cpu: str = "24"
    """Sum of CPU requests."""
    limits_cpu: str = "96"
    """Sum of CPU limits."""
    requests_memory: str = "48Gi"
    """Sum of memory requests."""
    limits_memory: str = "96Gi"
    """Sum of memory limits."""
    pods: int = Field(default=60, ge=1, le=5000)
    """Pods."""

    @model_validator(mode="after")
    def _quantities(self) -> QuotaConfig:
        if cpu_millicores(self.requests_cpu) > cpu_millicores(self.limits_cpu):
            raise ValueError("requestsCpu is above limitsCpu")
        if memory_bytes(self.requests_memory) > memory_bytes(self.limits_memory):
            raise ValueError("requestsMemory is above limitsMemory")
        return self


class AppsConfig(ConfigModel):
    """Namespace and workloads."""

    namespace: str = Field(default="apps", pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
    """Namespace the workloads run in."""

    workloads: dict[str, WorkloadConfig] = Field(default_factory=dict)
    """Workloads by name (adding one is config only)."""

    ingress: IngressConfig = IngressConfig(enabled=False)
    """Public entry point (the stack files enable it with their certificate)."""

    quota: QuotaConfig = QuotaConfig()
    """Namespace ResourceQuota."""

    zone_spread: Literal["required", "preferred"] = "required"
    """Topology spread across zones: ``required`` (DoNotSchedule) or ``preferred``."""

    require_pinned_images: bool = True
    """Reject ``:latest`` and untagged images."""

    @field_validator("workloads")
    @classmethod
    def _names(cls, workloads: dict[str, WorkloadConfig]) -> dict[str, WorkloadConfig]:
        for name in workloads:
            if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", name):
                raise ValueError(f"workload name {name!r}: lowercase letters, digits, '-'")
        return workloads

    @property
    def celery_workloads(self) -> list[str]:
        """Workloads that run Celery (their command or args invoke ``celery``)."""
        return [name for name, w in self.workloads.items() if w.runs_celery]

    @model_validator(mode="after")
    def _images(self) -> AppsConfig:
        for name, workload in self.workloads.items():
            try:
                check_image(workload.image, require_pinned=self.require_pinned_images)
            except ValueError as error:
                raise ValueError(f"workloads.{name}.image: {error}") from None
        if self.ingress.enabled and not any(w.kind == "http" for w in self.workloads.values()):
            raise ValueError("ingress is enabled but no workload has kind 'http'")
        self._quota_covers_peak()
        return self

    def _quota_covers_peak(self) -> None:
        """The namespace quota admits every workload at its maximum plus its rolling surge:
        otherwise a rollout at peak load is refused by the API server."""
        need = {"requestsCpu": 0.0, "limitsCpu": 0.0, "requestsMemory": 0, "limitsMemory": 0}
        pods = 0
        for workload in self.workloads.values():
            n, r = workload.peak_pods, workload.resources
            pods += n
            need["requestsCpu"] += n * cpu_millicores(r.cpu_request)
            need["limitsCpu"] += n * cpu_millicores(r.cpu_limit)
            need["requestsMemory"] += n * memory_bytes(r.memory_request)
            need["limitsMemory"] += n * memory_bytes(r.memory_limit)
        q = self.quota
        have = {
            "requestsCpu": cpu_millicores(q.requests_cpu),
            "limitsCpu": cpu_millicores(q.limits_cpu),
            "requestsMemory": memory_bytes(q.requests_memory),
            "limitsMemory": memory_bytes(q.limits_memory),
        }
        short = [
            f"quota.{key} {_show(key, have[key])} < {_show(key, need[key])}"
            for key in need
            if have[key] < need[key]
        ]
        if q.pods < pods:
            short.append(f"quota.pods {q.pods} < {pods}")
        if short:
            raise ValueError(
                "the namespace quota does not admit every workload at its maximum replicas "
                "plus the rolling-update surge (a rollout at peak would be refused): "
                + "; ".join(short)
            )
