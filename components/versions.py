"""Every pinned version the platform uses, in one place.

Upgrades are a one-line change here plus a plan review. Each pin says where it was checked
(``source``) and when, so a reviewer can re-check it. Config validators and the policy pack
read the supported ranges from this module too.

Owners: each entry is kept current by whoever owns the component that uses it; Dependabot does
not watch Helm charts or EKS add-ons, so review this table at every EKS minor upgrade.
"""

from __future__ import annotations

from dataclasses import dataclass

CHECKED = "2026-11-24"
"""Date the pins below were last reviewed."""


@dataclass(frozen=True)
class Pin:
    """A version of something that is not a Helm chart (engine, add-on, image)."""

    version: str
    source: str


@dataclass(frozen=True)
class HelmChart:
    """A Helm chart release pin: chart name, repository and exact version."""

    chart: str
    repository: str
    version: str
    source: str


# --- Kubernetes / EKS ------------------------------------------------------------------------

KUBERNETES_VERSION = "1.35"
"""EKS control-plane version: in EKS *standard* support on the check date."""

SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = ("1.34", "1.35", "1.36")
"""Versions the config accepts: those in EKS standard support on the check date."""

MINIMUM_KUBERNETES_VERSION = "1.34"
"""The policy pack rejects clusters older than this (extended support costs 6x per hour)."""

EKS_VERSION_SOURCE = (
    "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html (release calendar)"
)

_ADDON_SOURCE = (
    "Amazon EKS User Guide, managing-<add-on> version tables "
    "(tests/fixtures/upstream/addons/eks-addon-versions)"
)

EKS_ADDON_VERSIONS: dict[str, dict[str, Pin]] = {
    minor: {
        addon: Pin(version, _ADDON_SOURCE)
        for addon, version in (
            ("vpc-cni", "v1.20.4-eksbuild.1"),
            ("coredns", coredns),
            ("kube-proxy", kube_proxy),
            ("aws-ebs-csi-driver", "v1.53.0-eksbuild.1"),
        )
    }
    for minor, coredns, kube_proxy in (
        ("1.34", "v1.13.2-eksbuild.11", "v1.34.6-eksbuild.13"),
        ("1.35", "v1.14.3-eksbuild.3", "v1.35.3-eksbuild.13"),
        ("1.36", "v1.14.3-eksbuild.3", "v1.36.0-eksbuild.14"),
    )
}
"""EKS managed add-ons per Kubernetes minor: kube-proxy follows the minor, CoreDNS groups of
minors, vpc-cni and the EBS CSI driver one version for all. A ``kubernetesVersion`` bump moves
the add-ons with the control plane (each minor's staging can move before production's)."""

EKS_ADDONS: dict[str, Pin] = EKS_ADDON_VERSIONS[KUBERNETES_VERSION]
"""The add-ons of the default minor."""


def eks_addon_version(addon: str, kubernetes_version: str = KUBERNETES_VERSION) -> str:
    """``("kube-proxy", "1.36")`` -> ``"v1.36.0-eksbuild.14"``."""
    return EKS_ADDON_VERSIONS[kubernetes_version][addon].version


# --- Helm charts -----------------------------------------------------------------------------

HELM_CHARTS: dict[str, HelmChart] = {
    "metrics-server": HelmChart(
        "metrics-server",
        "https://kubernetes-sigs.github.io/metrics-server/",
        "3.13.0",
        "https://github.com/kubernetes-sigs/metrics-server/releases",
    ),
    "aws-load-balancer-controller": HelmChart(
        "aws-load-balancer-controller",
        "https://aws.github.io/eks-charts",
        "1.14.1",
        "https://github.com/aws/eks-charts/tree/master/stable/aws-load-balancer-controller",
    ),
    "cert-manager": HelmChart(
        "cert-manager",
        "https://charts.jetstack.io",
        "v1.19.1",
        "https://cert-manager.io/docs/releases/",
    ),
    "external-secrets": HelmChart(
        "external-secrets",
        "https://charts.external-secrets.io",
        "0.20.4",
        "https://github.com/external-secrets/external-secrets/releases",
    ),
    "cluster-autoscaler": HelmChart(
        "cluster-autoscaler",
        "https://kubernetes.github.io/autoscaler",
        "9.59.0",
        "https://github.com/kubernetes/autoscaler/releases (chart cluster-autoscaler-chart-*)",
    ),
    "reloader": HelmChart(
        "reloader",
        "https://stakater.github.io/stakater-charts",
        "2.2.16",
        "https://github.com/stakater/Reloader (deployments/kubernetes/chart/reloader)",
    ),
    "fluent-bit": HelmChart(
        "fluent-bit",
        "https://fluent.github.io/helm-charts",
        "0.58.1",
        "https://github.com/fluent/helm-charts/tree/main/charts/fluent-bit (Fluent Bit 5.1.1)",
    ),
    "opentelemetry-collector": HelmChart(
        "opentelemetry-collector",
        "https://open-telemetry.github.io/opentelemetry-helm-charts",
        "0.170.0",
        "https://github.com/open-telemetry/opentelemetry-helm-charts (collector 0.158.0)",
    ),
    "keda": HelmChart(
        "keda",
        "https://kedacore.github.io/charts",
        "2.20.2",
        "https://github.com/kedacore/charts (KEDA 2.20.2; tested on Kubernetes 1.33-1.35)",
    ),
    "external-dns": HelmChart(
        "external-dns",
        "https://kubernetes-sigs.github.io/external-dns/",
        "1.19.0",
        "https://github.com/kubernetes-sigs/external-dns/releases",
    ),
    "kube-prometheus-stack": HelmChart(
        "kube-prometheus-stack",
        "https://prometheus-community.github.io/helm-charts",
        "79.5.0",
        "https://github.com/prometheus-community/helm-charts/releases",
    ),
    "prometheus-postgres-exporter": HelmChart(
        "prometheus-postgres-exporter",
        "https://prometheus-community.github.io/helm-charts",
        "7.3.0",
        "https://github.com/prometheus-community/helm-charts/releases",
    ),
    "prometheus-redis-exporter": HelmChart(
        "prometheus-redis-exporter",
        "https://prometheus-community.github.io/helm-charts",
        "6.16.0",
        "https://github.com/prometheus-community/helm-charts/releases",
    ),
}
"""Helm releases by logical name."""

CLUSTER_AUTOSCALER_IMAGE_TAGS: dict[str, Pin] = {
    minor: Pin(
        tag, f"https://github.com/kubernetes/autoscaler/releases/tag/cluster-autoscaler-{tag[1:]}"
    )
    for minor, tag in (("1.34", "v1.34.5"), ("1.35", "v1.35.2"), ("1.36", "v1.36.1"))
}
"""cluster-autoscaler image per Kubernetes minor: its minor must match the control plane's
(it vendors that minor's scheduler), so the tag follows ``cluster.kubernetesVersion`` rather
than the chart's default."""


def cluster_autoscaler_image_tag(kubernetes_version: str = KUBERNETES_VERSION) -> str:
    """``"1.35"`` -> ``"v1.35.2"``."""
    return CLUSTER_AUTOSCALER_IMAGE_TAGS[kubernetes_version].version


# --- Data layer ------------------------------------------------------------------------------

POSTGRES_ENGINE_VERSION = "17"
"""RDS for PostgreSQL engine version: the **major only**. Minor versions are applied by AWS
(``auto_minor_version_upgrade``) in the maintenance window; an exact minor in the program would
make the ``pulumi up`` after such an upgrade try to downgrade the instance, which RDS refuses.
The running minor is the instance's ``engine_version_actual``."""

POSTGRES_SOURCE = "aws rds describe-db-engine-versions --engine postgres"

POSTGRES_SUPPORTED_ENGINE_VERSIONS: tuple[str, ...] = ("16", "17", "18")
"""Majors the config accepts (each has a ``postgres<major>`` family and a client image)."""

POSTGRES_CLIENT_IMAGES: dict[str, Pin] = {
    major: Pin(
        f"public.ecr.aws/docker/library/postgres:{tag}-alpine",
        "https://gallery.ecr.aws/docker/library/postgres (client major must match the engine)",
    )
    for major, tag in (("16", "16.10"), ("17", "17.6"), ("18", "18.1"))
}
"""pg_dump / pg_restore images by engine major: pg_dump refuses to dump a newer server, so the
client always follows the configured major (a patch release of the client is fine for any
minor of the same major)."""


def postgres_major(engine_version: str = POSTGRES_ENGINE_VERSION) -> str:
    """The major of a PostgreSQL version: ``"17"`` or ``"17.6"`` -> ``"17"``."""
    return engine_version.split(".", 1)[0]


def postgres_parameter_group_family(engine_version: str = POSTGRES_ENGINE_VERSION) -> str:
    """The parameter-group family for an engine version: ``"17"`` -> ``"postgres17"``.

    Deriving the family from the version (never configuring it separately) is what makes a
    major upgrade create a new parameter group instead of failing halfway.
    """
    return f"postgres{postgres_major(engine_version)}"


def postgres_client_image(engine_version: str = POSTGRES_ENGINE_VERSION) -> str:
    """The pg_dump/pg_restore image for an engine version's major."""
    return POSTGRES_CLIENT_IMAGES[postgres_major(engine_version)].version


VALKEY_ENGINE_VERSION = "8.2"
"""ElastiCache for Valkey engine version."""

VALKEY_SOURCE = "aws elasticache describe-cache-engine-versions --engine valkey"

VALKEY_SUPPORTED_ENGINE_VERSIONS: tuple[str, ...] = ("7.2", "8.0", "8.1", "8.2")
"""Valkey versions the config accepts."""


def valkey_parameter_group_family(engine_version: str = VALKEY_ENGINE_VERSION) -> str:
    """``"8.2"`` -> ``"valkey8"``."""
    return f"valkey{engine_version.split('.', 1)[0]}"


# --- Images ----------------------------------------------------------------------------------

CRD_UPGRADE_BUSYBOX_IMAGE = {
    "registry": "public.ecr.aws",
    "repository": "docker/library/busybox",
    "tag": "1.37.0",
}
"""kube-prometheus-stack's CRD upgrade Job unpacks the CRDs with busybox (chart default:
docker.io ``busybox:latest``). Source: https://gallery.ecr.aws/docker/library/busybox."""

CODEBUILD_RUNNER_IMAGE = Pin(
    "aws/codebuild/amazonlinux-x86_64-standard:5.0",
    "https://docs.aws.amazon.com/codebuild/latest/userguide/ec2-compute-images.html",
)
"""CodeBuild curated image for the in-VPC GitHub Actions runner (Amazon Linux 2023)."""

AWS_CLI_IMAGE = Pin(
    "public.ecr.aws/aws-cli/aws-cli:2.31.39",
    "https://gallery.ecr.aws/aws-cli/aws-cli (uploads the dump with SSE-KMS)",
)
"""aws-cli for the dump upload step."""

PYTHON_BOTO3_IMAGE = Pin(
    "public.ecr.aws/lambda/python:3.12",
    "https://gallery.ecr.aws/lambda/python (ships boto3; runs components/scripts/restore_check.py)",
)
"""Python with boto3 for the restore check (entrypoint overridden)."""
