"""The product's workloads on Kubernetes: namespace baseline, workloads, ingress."""

from __future__ import annotations

import re
from decimal import Decimal

from kubernetes.utils.quantity import parse_quantity
from pydantic import Field, field_validator, model_validator

from components._util import rolling_surge
from components.app_deployment import Autoscaling
from components.app_namespace import Quota
from components.cdn import SANS_PER_CERTIFICATE, CdnSettings
from components.certificates import CERTIFICATES_PER_ALB
from components.modes import Exposure, Probe, S3Access, WorkloadKind, ZoneSpread
from components.web_firewall import FirewallSettings

from .base import ConfigModel

ACM_ARN = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$"
WAF_ARN = r"^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/.+$"
IMAGE_NAME = re.compile(
    r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:\d+)?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$"
)
TAG = re.compile(r"^[\w][\w.-]{0,127}$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


QUANTITY = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$")
"""The API server's quantity syntax (apimachinery ``resource.Quantity``); the client's parser
alone is looser (it takes ``NaN``, ``1_000`` or a lower-case ``mi``)."""


def _quantity(value: str, example: str, what: str) -> Decimal:
    """A Kubernetes quantity: checked against the API server's syntax, converted by the
    official client's parser."""
    if not QUANTITY.match(value):
        raise ValueError(f"{value!r} is not a {what} quantity (e.g. {example})")
    try:
        quantity = parse_quantity(value)
    except (ValueError, ArithmeticError):
        raise ValueError(f"{value!r} is not a {what} quantity (e.g. {example})") from None
    if not quantity.is_finite() or quantity <= 0:
        raise ValueError(f"{value!r}: a {what} quantity must be above zero")
    return quantity


def cpu_millicores(value: str) -> float:
    return float(_quantity(value, "250m, 1, 1.5", "CPU") * 1000)


def memory_bytes(value: str) -> int:
    quantity = _quantity(value, "512Mi, 2Gi", "memory")
    if quantity != quantity.to_integral_value():
        # "500m" of memory is half a byte: valid to the API server, never what was meant
        raise ValueError(f"{value!r} is not a whole number of bytes (e.g. 512Mi, 2Gi)")
    return int(quantity)


PROMETHEUS_CLIENT_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)  # fmt: skip
"""The default histogram buckets of the Prometheus client libraries (Python, Go, Java)."""


MIN_OBJECTIVE_PERCENT = 100 - 100 / 14.4
"""Below it the fast-burn page (14.4x the budget over an hour) needs more than 100 % errors:
it could never fire (about 93.06 %)."""


def check_objective(percent: float) -> float:
    """An SLO target: 100 % leaves no error budget (every error pages); at or below
    :data:`MIN_OBJECTIVE_PERCENT` the fast-burn page could never fire."""
    if not MIN_OBJECTIVE_PERCENT < percent < 100:
        raise ValueError(
            f"{percent:g} % is not an SLO target; allowed: above {MIN_OBJECTIVE_PERCENT:.2f} "
            "to under 100 % (100 % leaves no error budget; lower, a 14.4x burn over an hour "
            "would need more than 100 % errors and the fast page could never fire)"
        )
    return percent


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


URL_PATH = r"^/[A-Za-z0-9._~/-]*$"
ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"
SECRET_LIKE = re.compile(
    r"KEY$|PASSW(OR)?D|SECRET|TOKEN$|CREDENTIAL|DSN$|PRIVATE_KEY|DATABASE_URL$"
)
"""Plain ``env`` names refused: they look like a secret (use ``secrets``)."""
PUBLIC_VALUE = re.compile(r"^NEXT_PUBLIC_|^VITE_|^REACT_APP_|PUBLISHABLE|_PUBLIC_KEY$")
"""Names whose value is public by convention (bundled into a browser build): allowed."""


class HealthConfig(ConfigModel):
    """HTTP probe paths (``probe: http``); the ALB health check uses the readiness path."""

    liveness_path: str = Field(default="/api/v1/health/live", pattern=URL_PATH)
    """Liveness: the container is restarted after 3 failures."""
    readiness_path: str = Field(default="/api/v1/health/ready", pattern=URL_PATH)
    """Readiness: out of the Service (and the ALB target group) while failing."""
    startup_path: str | None = Field(default="/api/v1/health/live", pattern=URL_PATH)
    """Startup (up to 150 s before liveness applies); null: no startup probe."""
    port: int | None = Field(default=None, ge=1024, le=65535)
    """Port the probes call; default: the workload's ``port``."""


class MetricsConfig(ConfigModel):
    """Prometheus scraping of the workload's pods (a PodMonitor per workload)."""

    enabled: bool = True
    """Scrape this workload."""
    path: str = Field(default="/metrics", pattern=URL_PATH)
    """Metrics path."""
    port: int | None = Field(default=None, ge=1024, le=65535)
    """Metrics port; default: the workload's ``port`` (required for non-http workloads)."""
    histogram: str | None = Field(
        default="http_request_duration_seconds", pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
    )
    """The request-duration histogram the workload exports (the fixed p95 alert and latency
    SLOs read ``<histogram>_bucket``); null: none."""
    histogram_buckets: tuple[float, ...] = Field(default=PROMETHEUS_CLIENT_BUCKETS, min_length=1)
    """Its bucket boundaries in seconds (default: the Prometheus clients' defaults); a latency
    SLO's bound must be one of them."""


class QueueAccess(ConfigModel):
    """A workload's queues, by their names under the stack file's ``queues``."""

    send: tuple[str, ...] = ()
    """Queues it sends messages to."""
    consume: tuple[str, ...] = ()
    """Queues it receives and deletes messages from."""


class LatencyObjective(ConfigModel):
    """``percent`` of requests served within ``thresholdSeconds`` (p95 under 500 ms:
    ``{thresholdSeconds: 0.5, percent: 95}``)."""

    threshold_seconds: float = Field(gt=0)
    """The bound: a bucket boundary of ``metrics.histogramBuckets``."""
    percent: float
    """Share of requests within it over 30 days (above 93.06 to under 100)."""

    @field_validator("percent")
    @classmethod
    def _percent(cls, value: float) -> float:
        return check_objective(value)


class SloConfig(ConfigModel):
    """Service level objectives over 30 days: burn-rate alerts replace the workload's fixed
    error-ratio and latency alerts, and a Grafana dashboard shows the remaining budget."""

    availability_percent: float | None = None
    """Share of requests not answered with a 5xx (e.g. 99.9; above 93.06 to under 100)."""
    latency: LatencyObjective | None = None
    """A latency objective, from the workload's request-duration histogram."""

    @field_validator("availability_percent")
    @classmethod
    def _availability(cls, value: float | None) -> float | None:
        return None if value is None else check_objective(value)

    @model_validator(mode="after")
    def _something(self) -> SloConfig:
        if self.availability_percent is None and self.latency is None:
            raise ValueError("set availabilityPercent, latency or both")
        return self


class GeneratedSecret(ConfigModel):
    """A random value the platform creates once and keeps in Secrets Manager."""

    length: int = Field(default=48, ge=16, le=256)
    """Characters (letters and digits)."""


class SecretRef(ConfigModel):
    """An environment variable's secret value: an entry under ``<environment>/`` in Secrets
    Manager (created by the team with ``bootstrap-backend put-secret``) or one the platform
    generates. Reaches the container by reference only (ExternalSecret -> Secret -> env)."""

    from_secrets_manager: str | None = Field(
        default=None, pattern=r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9_-]*)+$"
    )
    """``<group>/<name>`` under the environment's prefix, e.g. ``app/stripe-api-key``."""
    property: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]+$")
    """JSON key inside the secret; default: the whole value."""
    generate: GeneratedSecret | None = None
    """Generate the value (``<environment>/generated/<workload>/<variable>``)."""

    @model_validator(mode="after")
    def _one_source(self) -> SecretRef:
        if (self.from_secrets_manager is None) == (self.generate is None):
            raise ValueError("set exactly one of fromSecretsManager or generate")
        if self.generate is not None and self.property is not None:
            raise ValueError("property applies to fromSecretsManager only")
        return self


class WritablePath(ConfigModel):
    """A writable directory in the read-only root filesystem (an emptyDir, lost on restart)."""

    path: str = Field(pattern=r"^/[A-Za-z0-9._/-]+$")
    """Absolute mount path, e.g. ``/app/.next/cache``."""
    size_limit: str = "256Mi"
    """Size limit (the pod is evicted above it)."""

    @field_validator("size_limit")
    @classmethod
    def _size(cls, value: str) -> str:
        memory_bytes(value)
        return value


class WorkloadConfig(ConfigModel):
    """One workload (api, worker, beat, frontend, a migration, ...)."""

    kind: WorkloadKind
    """``http`` serves traffic; ``worker`` consumes a queue; ``scheduler`` runs exactly once;
    ``migration`` is a one-shot Job (e.g. ``alembic upgrade head``) that runs with its image
    before the workloads of the same image roll out, and again whenever the image changes."""

    expose: Exposure | None = None
    """``public``: reachable through the stack's ALB (needs a route); ``internal``: a
    ClusterIP Service for the workloads in ``allowFrom``; ``none``: no Service. Default:
    ``internal`` for http workloads, ``none`` for the others."""

    health: HealthConfig = HealthConfig()
    """Probe paths and port (``probe: http``)."""

    metrics: MetricsConfig | None = None
    """Scraping; default: ``/metrics`` on the port of http workloads, none for the others."""

    slo: SloConfig | None = None
    """Service level objectives (http workloads that are scraped)."""

    queues: QueueAccess | None = None
    """The stack's ``queues`` this workload sends to and consumes from (its role gets exactly
    those actions on exactly those queues)."""

    allow_from: tuple[str, ...] = ()
    """Workloads that may call this one on its port (NetworkPolicies in both directions)."""

    secrets: dict[str, SecretRef] = Field(default_factory=dict)
    """Secret environment variables by name."""

    run_as_user: int = Field(default=10001, ge=1, le=2_147_483_647)
    """UID of the containers (root refused)."""

    run_as_group: int = Field(default=10001, ge=1, le=2_147_483_647)
    """GID of the containers (root refused)."""

    fs_group: int = Field(default=10001, ge=1, le=2_147_483_647)
    """Group owning mounted volumes."""

    writable_paths: tuple[WritablePath, ...] = ()
    """Writable directories besides ``/tmp`` (e.g. a framework cache)."""

    active_deadline_seconds: int = Field(default=1800, ge=60, le=86_400)
    """``migration``: the Job fails (and the rollout stops) after this long."""

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

    probe: Probe | None = None
    """Health checking: ``http`` (default for http workloads, the health endpoints), ``exec``
    (runs ``probeCommand``) or ``none``."""

    probe_command: tuple[str, ...] = ()
    """Command for ``exec`` probes."""

    termination_grace_period_seconds: int = Field(default=30, ge=5, le=3600)
    """Time to finish in-flight work after SIGTERM."""

    env: dict[str, str] = Field(default_factory=dict)
    """Extra non-secret environment variables (names that look like a secret are refused:
    use ``secrets``)."""

    s3_access: S3Access = "none"
    """Access to this workload's own prefix in the app bucket."""

    @field_validator("env", "secrets")
    @classmethod
    def _env_names(cls, values: dict[str, object]) -> dict[str, object]:
        for name in values:
            if not re.fullmatch(ENV_NAME, name):
                raise ValueError(f"{name!r} is not an environment variable name (A-Z, 0-9, _)")
        return values

    @field_validator("env")
    @classmethod
    def _no_plain_secrets(cls, env: dict[str, str]) -> dict[str, str]:
        for name in env:
            if SECRET_LIKE.search(name) and not PUBLIC_VALUE.search(name):
                raise ValueError(
                    f"{name} looks like a secret: plain env lands in the manifest and the "
                    f"state; declare it under secrets ({name}: {{fromSecretsManager: "
                    f"app/<name>}} or {{generate: {{}}}})"
                )
        return env

    @property
    def exposure(self) -> Exposure:
        return self.expose or ("internal" if self.kind == "http" else "none")

    @property
    def scrape(self) -> MetricsConfig | None:
        """The metrics endpoint scraped, if any."""
        metrics = self.metrics or (MetricsConfig() if self.kind == "http" else None)
        return metrics if metrics is not None and metrics.enabled else None

    @model_validator(mode="after")
    def _exposure_rules(self) -> WorkloadConfig:
        if self.exposure != "none" and self.kind != "http":
            raise ValueError(f"expose {self.exposure!r} needs kind 'http'")
        if self.exposure == "public" and self.effective_probe != "http":
            raise ValueError(
                "a public workload needs an http readiness probe (the ALB health check uses "
                f"it); got probe {self.effective_probe!r}"
            )
        metrics = self.metrics
        if metrics is not None and metrics.enabled and self.kind != "http" and not metrics.port:
            raise ValueError("metrics.port is required for a non-http workload")
        one_shot_breach = self.autoscaling is not None or self.probe not in (None, "none")
        if self.kind == "migration" and one_shot_breach:
            raise ValueError("a migration is a one-shot Job: no autoscaling, no probe")
        return self

    @model_validator(mode="after")
    def _slo_rules(self) -> WorkloadConfig:
        if self.slo is None:
            return self
        if self.kind != "http" or self.scrape is None:
            raise ValueError("slo needs an http workload whose metrics are scraped")
        latency = self.slo.latency
        if latency is not None:
            histogram, buckets = self.scrape.histogram, self.scrape.histogram_buckets
            if histogram is None:
                raise ValueError(
                    "slo.latency needs a histogram metric: set metrics.histogram to the "
                    "request-duration histogram the workload exports"
                )
            if latency.threshold_seconds not in buckets:
                raise ValueError(
                    f"slo.latency.thresholdSeconds {latency.threshold_seconds:g} is not a "
                    f"bucket of {histogram}; buckets: {', '.join(f'{b:g}' for b in buckets)}"
                )
        return self

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
        """Pods at the autoscaling maximum during a rolling update (schedulers recreate; a
        migration runs one pod at a time)."""
        if self.kind in ("scheduler", "migration"):
            return 1
        peak = self.autoscaling.max_replicas if self.autoscaling else self.replicas
        return peak + rolling_surge(peak)

    @property
    def runs_celery(self) -> bool:
        """The container starts Celery (``celery ...`` or ``python -m celery ...``)."""
        tokens = [*self.command, *self.args]
        return any(t.rsplit("/", 1)[-1] == "celery" for t in tokens)

    @property
    def effective_probe(self) -> Probe:
        return self.probe or ("http" if self.kind == "http" else "none")

    @property
    def probe_port(self) -> int:
        return self.health.port or self.port

    @property
    def metrics_port(self) -> int | None:
        scrape = self.scrape
        return None if scrape is None else (scrape.port or self.port)


class RouteConfig(ConfigModel):
    """Hosts and path prefixes sent to one public workload."""

    hosts: tuple[str, ...] = Field(min_length=1)
    """Host names (each must be covered by one of ``ingress.certificateArns``)."""
    paths: tuple[str, ...] = Field(default=("/",), min_length=1)
    """Path prefixes; across routes of a host the longest prefix wins."""
    workload: str
    """The public workload serving them."""

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, hosts: tuple[str, ...]) -> tuple[str, ...]:
        for host in hosts:
            if not re.fullmatch(r"^([a-z0-9-]+\.)+[a-z]{2,}$", host):
                raise ValueError(f"{host!r} is not a host name")
        return hosts

    @field_validator("paths")
    @classmethod
    def _paths(cls, paths: tuple[str, ...]) -> tuple[str, ...]:
        for path in paths:
            if not re.fullmatch(URL_PATH, path) or (path != "/" and path.endswith("/")):
                raise ValueError(f"{path!r}: a path prefix starts with '/' and does not end in one")
            # the API server refuses these in an Ingress path (networking validation)
            if path != "/" and any(bad in f"{path}/" for bad in ("//", "/./", "/../")):
                raise ValueError(f"{path!r}: no '//', '/./' or '/../' in a path")
        return paths


class HostedZone(ConfigModel):
    """A Route 53 public hosted zone."""

    id: str = Field(pattern=r"^Z[0-9A-Z]{1,32}$")
    """Its id (``Z0123456789ABCDEFGHIJ``)."""
    domain: str = Field(pattern=r"^([a-z0-9-]+\.)+[a-z]{2,}$")
    """Its domain (``example.com``)."""

    def holds(self, host: str) -> bool:
        """Under the zone's domain (a delegated subdomain is not detected here)."""
        return host == self.domain or host.endswith(f".{self.domain}")


class IngressConfig(ConfigModel):
    """The stack's one internet-facing ALB (an IngressGroup), HTTPS only, for every public
    workload: routes by host and path prefix, one certificate per host family (SNI)."""

    enabled: bool = True
    """Create the ALB."""
    certificate_arns: tuple[str, ...] = ()
    """ACM certificates (SNI); the first is the default. Given, they win over
    ``hostedZone``."""
    hosted_zone: HostedZone | None = None
    """A Route 53 zone holding every host: the program requests and DNS-validates ACM
    certificates for them (when ``certificateArns`` is empty)."""
    routes: tuple[RouteConfig, ...] = ()
    """Host/path -> public workload."""
    waf_acl_arn: str | None = Field(default=None, pattern=WAF_ARN)
    """An existing regional WAFv2 web ACL to attach (or ``waf``: one the program creates)."""
    waf: FirewallSettings | None = None
    """A web ACL the program creates and attaches: AWS managed rule groups and a rate limit
    per client IP (``components/web_firewall.py``)."""
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    """ALB TLS policy."""
    access_log_days: int = Field(default=90, ge=1, le=3650)
    """Days ALB access logs are kept."""
    cdn: CdnSettings | None = None
    """CloudFront in front of the ALB (``components/cdn.py``): the ALB then admits only the
    distribution."""

    @field_validator("certificate_arns")
    @classmethod
    def _arns(cls, arns: tuple[str, ...]) -> tuple[str, ...]:
        for arn in arns:
            if not re.fullmatch(ACM_ARN, arn):
                raise ValueError(f"{arn!r} is not an ACM certificate ARN")
        return arns

    @model_validator(mode="after")
    def _one_firewall(self) -> IngressConfig:
        if self.waf is not None and self.waf_acl_arn is not None:
            raise ValueError("set waf (a web ACL the program makes) or wafAclArn, not both")
        if self.waf is not None and not self.enabled:
            raise ValueError("waf needs an enabled ingress (there is no ALB to protect)")
        if self.cdn is not None:
            self._cdn_rules(self.cdn)
        return self

    def _cdn_rules(self, cdn: CdnSettings) -> None:
        if not self.enabled:
            raise ValueError("cdn needs an enabled ingress (its origin is the ALB)")
        if self.waf is not None or self.waf_acl_arn is not None:
            raise ValueError(
                "with cdn, put the web ACL on the CDN (cdn.waf), not waf/wafAclArn: behind "
                "CloudFront the ALB sees edge addresses, so a per-IP rate rule there would "
                "limit CloudFront itself"
            )
        if cdn.certificate_arn is None:
            if self.hosted_zone is None:
                raise ValueError(
                    "cdn needs a certificate in us-east-1: set cdn.certificateArn, or "
                    "hostedZone to issue one"
                )
            if len(self.hosts) > SANS_PER_CERTIFICATE:
                raise ValueError(
                    f"cdn: {len(self.hosts)} hosts on one certificate exceed ACM's "
                    f"{SANS_PER_CERTIFICATE} names (raise the quota and give cdn.certificateArn)"
                )

    @model_validator(mode="after")
    def _certificate(self) -> IngressConfig:
        if self.enabled and not self.certificate_arns and self.hosted_zone is None:
            raise ValueError(
                "an enabled ingress needs certificateArns or a hostedZone to issue them in "
                "(HTTPS only)"
            )
        if self.hosted_zone is not None and not self.certificate_arns:
            if len(self.hosts) > CERTIFICATES_PER_ALB:
                raise ValueError(
                    f"{len(self.hosts)} hosts need {len(self.hosts)} certificates: above the "
                    f"ALB's {CERTIFICATES_PER_ALB} per listener (raise the quota and give "
                    "certificateArns)"
                )
            outside = [h for h in self.hosts if not self.hosted_zone.holds(h)]
            if outside:
                raise ValueError(
                    f"hostedZone {self.hosted_zone.domain} does not hold {', '.join(outside)}: "
                    "certificates are validated in that zone"
                )
        if self.enabled and not self.routes:
            raise ValueError("an enabled ingress needs routes")
        seen: dict[tuple[str, str], int] = {}
        for index, route in enumerate(self.routes):
            for host in route.hosts:
                for path in route.paths:
                    if (host, path) in seen:
                        raise ValueError(
                            f"routes[{index}]: {host}{path} is already routed by "
                            f"routes[{seen[host, path]}]"
                        )
                    seen[host, path] = index
        return self

    @property
    def hosts(self) -> list[str]:
        return sorted({h for r in self.routes for h in r.hosts})


class QuotaConfig(Quota):
    """ResourceQuota of the namespace (``components.app_namespace.Quota``), its requests
    within its limits."""

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

    zone_spread: ZoneSpread = "required"
    """Topology spread across zones: ``required`` (DoNotSchedule) or ``preferred``."""

    require_pinned_images: bool = True
    """Reject ``:latest`` and untagged images."""

    scale_to_zero: bool = False
    """Allow queue-scaled workers at ``minReplicas: 0`` (test environments: the first message
    then waits for a pod to start, and maybe a node)."""

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
        self._routes_and_calls()
        self._quota_covers_peak()
        self._queue_scaling()
        return self

    def _queue_scaling(self) -> None:
        """Queue scaling is for workers; scale to zero only where the stack allows it."""
        for name, workload in self.workloads.items():
            scaling = workload.autoscaling
            if scaling is None or scaling.queue is None:
                continue
            if workload.kind != "worker":
                raise ValueError(
                    f"workloads.{name}.autoscaling.queue: queue scaling is for kind 'worker' "
                    f"(got {workload.kind!r}); http workloads scale on CPU"
                )
            if scaling.min_replicas == 0 and not self.scale_to_zero:
                raise ValueError(
                    f"workloads.{name}.autoscaling.minReplicas: 0 (scale to zero) is refused "
                    "unless apps.scaleToZero is true, which only test environments set: the "
                    "first message would wait for a pod, and maybe a node"
                )

    def _routes_and_calls(self) -> None:
        """Routes reach public workloads only, every public workload is routed, and every
        caller named in ``allowFrom`` exists (and may be called: it has a Service)."""
        known = ", ".join(sorted(self.workloads))
        routed = set()
        if self.ingress.enabled:
            for index, route in enumerate(self.ingress.routes):
                target = self.workloads.get(route.workload)
                if target is None:
                    raise ValueError(
                        f"ingress.routes[{index}].workload: {route.workload!r} is not a "
                        f"workload (known: {known})"
                    )
                if target.exposure != "public":
                    raise ValueError(
                        f"ingress.routes[{index}].workload: {route.workload!r} is "
                        f"{target.exposure}; only workloads with expose 'public' are routed"
                    )
                routed.add(route.workload)
        for name, workload in self.workloads.items():
            if workload.exposure == "public" and name not in routed:
                raise ValueError(
                    f"workloads.{name}.expose: public but no ingress route reaches it "
                    "(add one under ingress.routes, or make it internal)"
                )
            for caller in workload.allow_from:
                if caller not in self.workloads:
                    raise ValueError(
                        f"workloads.{name}.allowFrom: {caller!r} is not a workload (known: {known})"
                    )
            if workload.allow_from and workload.exposure == "none":
                raise ValueError(
                    f"workloads.{name}.allowFrom: a workload with expose 'none' has no "
                    "Service to call"
                )

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
