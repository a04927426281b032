"""Day-two guards: config changes judged against what runs, refused before anything changes.

Each returns the value the resource may take (the control plane's version, the database's
name) and raises a :class:`ConfigError` naming the key otherwise. The resource takes its value
only through the returned Output, so a refused change stops the run before the engine can
start a replacement (a create-before-delete replacement of the cluster would otherwise begin
by deleting its dependents, and a protected resource fails only at its own step).
"""

from __future__ import annotations

from components.live import LiveCluster

from .cluster import kubernetes_version_step
from .loader import ConfigError
from .model import StackConfig


def _refused(key: str, change: str, what: str, accept: str) -> ConfigError:
    return ConfigError(
        f"invalid stack config:\n  platform:{key}: {change} replaces the {what}; it cannot "
        f"change in place. To do it on purpose set platform:acceptReplacement: [{accept}] "
        "for this deploy (a protected stack also needs `pulumi state unprotect`)"
    )


def cluster_version(live: LiveCluster | None, cfg: StackConfig) -> str:
    """The version to send to the control plane: a one-minor step, and no silent replacement
    of a running cluster by a new Service CIDR."""
    wanted = cfg.cluster
    if live is None:
        return wanted.kubernetes_version
    if live.service_cidr != str(wanted.service_cidr) and "cluster" not in cfg.accept_replacement:
        raise _refused(
            "cluster.serviceCidr",
            f"{live.service_cidr} -> {wanted.service_cidr}",
            "EKS cluster and every workload on it",
            "cluster",
        )
    return kubernetes_version_step(live.version, wanted.kubernetes_version)


def database_name(live: str | None, cfg: StackConfig) -> str:
    wanted = cfg.database.database_name
    if live is not None and live != wanted and "database" not in cfg.accept_replacement:
        raise _refused(
            "database.databaseName",
            f"{live} -> {wanted}",
            "database instance (a new, empty one)",
            "database",
        )
    return wanted
