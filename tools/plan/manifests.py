"""Write every Kubernetes object the program would create as YAML (``plan --manifests``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from components.monitoring_stack import ALERTMANAGER_CONFIG_ANNOTATION
from policies.graph import Resource, ResourceGraph

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def is_manifest(resource: Resource) -> bool:
    """A plain Kubernetes object (not a provider, not a Helm release)."""
    return (
        resource.type.startswith("kubernetes:")
        and not resource.type.startswith("kubernetes:helm.sh/")
        and resource.custom
        and "kind" in resource.inputs
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-")


def manifest_of(resource: Resource) -> dict[str, Any]:
    obj = dict(resource.inputs)
    meta = dict(obj.get("metadata") or {})
    meta.setdefault("name", resource.name)
    obj["metadata"] = meta
    order = ["apiVersion", "kind", "metadata"]
    return {k: obj[k] for k in order if k in obj} | {k: v for k, v in obj.items() if k not in order}


def write_manifests(graph: ResourceGraph, directory: Path) -> list[Path]:
    """One file per object under ``<dir>/<namespace or _cluster>/``; Helm releases' values
    under ``<dir>/helm/``. Returns the written paths."""
    written: list[Path] = []
    for r in graph:
        if is_manifest(r):
            obj = manifest_of(r)
            ns = obj["metadata"].get("namespace") or "_cluster"
            path = (
                directory
                / _slug(ns)
                / f"{_slug(obj['kind'])}-{_slug(obj['metadata']['name'])}.yaml"
            )
        elif r.type == HELM_RELEASE:
            obj = {
                "release": r.inputs.get("name", r.name),
                "namespace": r.inputs.get("namespace"),
                "chart": r.inputs.get("chart"),
                "version": r.inputs.get("version"),
                "repository": (r.inputs.get("repositoryOpts") or {}).get("repo"),
                "values": r.inputs.get("values") or {},
            }
            path = directory / "helm" / f"{_slug(str(obj['release']))}.yaml"
        else:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(obj, sort_keys=False))
        written.append(path)
    written += write_monitoring_files(graph, directory / "prometheus")
    return written


def write_monitoring_files(graph: ResourceGraph, directory: Path) -> list[Path]:
    """Plain files for ``promtool check rules`` / ``amtool check-config``: every
    PrometheusRule's groups as a rule file, and the Alertmanager config (it holds no secret:
    receivers read theirs from mounted files)."""
    written: list[Path] = []
    for r in graph.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule"):
        name = (r.inputs.get("metadata") or {}).get("name", r.name)
        path = directory / f"{_slug(name)}.rules.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump({"groups": r.inputs["spec"]["groups"]}, sort_keys=False))
        written.append(path)
    for r in graph.of_type("kubernetes:core/v1:Secret"):
        annotations = (r.inputs.get("metadata") or {}).get("annotations") or {}
        if ALERTMANAGER_CONFIG_ANNOTATION in annotations:
            path = directory / "alertmanager.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            config = json.loads(annotations[ALERTMANAGER_CONFIG_ANNOTATION])
            path.write_text(yaml.safe_dump(config, sort_keys=False))
            written.append(path)
    return written
