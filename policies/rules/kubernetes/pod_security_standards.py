"""The Pod Security Standards, control by control, on every pod-bearing kind.

Each control of the *baseline* and *restricted* profiles (kubernetes.io/docs/concepts/
security/pod-security-standards, as published for Kubernetes 1.34-1.36, incl. the 1.34
probe-host check) is one rule named ``kubernetes-pss-<control>``, so a preview names exactly
what admission would reject. Four controls have rules of their own elsewhere in the pack:
privileged containers (``kubernetes-no-privileged-containers``), running as non-root and a
non-zero UID (``kubernetes-run-as-non-root``) and capabilities
(``kubernetes-drop-all-capabilities``, stricter than restricted: nothing added back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from policies.lib import MANDATORY, WORKLOAD_TYPES, Subject, containers, pod_spec, resource_rule

SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",
    }
)
"""Baseline "Sysctls": the safe set (1.29+: the TCP keepalive/fin ones; 1.32+: tcp_rmem and
tcp_wmem)."""

RESTRICTED_VOLUME_TYPES = frozenset(
    {
        "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
        "persistentVolumeClaim", "projected", "secret",
    }
)  # fmt: skip
"""Restricted "Volume Types"."""

SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t",
                           "container_engine_t"})  # fmt: skip
"""Baseline "SELinux": the allowed ``seLinuxOptions.type`` values."""

Pod = Mapping[str, Any]
Container = Mapping[str, Any]


def _pod(r: Subject) -> Pod:
    return pod_spec(str(r.props.get("kind", "")), r.props) or {}


def _contexts(r: Subject) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """(where, securityContext) of the pod and of every container (incl. init)."""
    yield "pod", _pod(r).get("securityContext") or {}
    for c in containers(r.props):
        yield str(c.get("name")), c.get("securityContext") or {}


def host_namespaces(r: Subject) -> list[str]:
    pod = _pod(r)
    return [f"{r.name} sets {k}" for k in ("hostNetwork", "hostPID", "hostIPC") if pod.get(k)]


def host_process(r: Subject) -> list[str]:
    return [
        f"{r.name}/{where} is a Windows HostProcess"
        for where, ctx in _contexts(r)
        if (ctx.get("windowsOptions") or {}).get("hostProcess")
    ]


def host_path_volumes(r: Subject) -> list[str]:
    return [
        f"{r.name} mounts hostPath volume {v.get('name')}"
        for v in _pod(r).get("volumes") or []
        if "hostPath" in v
    ]


def host_ports(r: Subject) -> list[str]:
    return [
        f"{r.name}/{c.get('name')} binds host port {p.get('hostPort')}"
        for c in containers(r.props)
        for p in c.get("ports") or []
        if p.get("hostPort")
    ]


def apparmor(r: Subject) -> list[str]:
    out = [
        f"{r.name}/{where} runs AppArmor unconfined"
        for where, ctx in _contexts(r)
        if (ctx.get("appArmorProfile") or {}).get("type") == "Unconfined"
    ]
    spec = r.props.get("spec") or {}
    if r.props.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    template = spec.get("template") or {}
    annotations = {
        **((r.props.get("metadata") or {}).get("annotations") or {}),
        **((template.get("metadata") or {}).get("annotations") or {}),
    }
    out += [
        f"{r.name}: {key} is unconfined"
        for key, value in annotations.items()
        if key.startswith("container.apparmor.security.beta.kubernetes.io/")
        and value == "unconfined"
    ]
    return out


def selinux(r: Subject) -> list[str]:
    out = []
    for where, ctx in _contexts(r):
        options = ctx.get("seLinuxOptions") or {}
        if options.get("type", "") not in SELINUX_TYPES:
            out.append(f"{r.name}/{where} sets SELinux type {options.get('type')}")
        if options.get("user") or options.get("role"):
            out.append(f"{r.name}/{where} sets a SELinux user or role")
    return out


def proc_mount(r: Subject) -> list[str]:
    return [
        f"{r.name}/{where} sets procMount {ctx.get('procMount')}"
        for where, ctx in _contexts(r)
        if where != "pod" and ctx.get("procMount") not in (None, "Default")
    ]


def sysctls(r: Subject) -> list[str]:
    ctx = _pod(r).get("securityContext") or {}
    return [
        f"{r.name} sets unsafe sysctl {s.get('name')}"
        for s in ctx.get("sysctls") or []
        if s.get("name") not in SAFE_SYSCTLS
    ]


def seccomp(r: Subject) -> list[str]:
    """Restricted: RuntimeDefault or Localhost, on the pod or on every container; never
    Unconfined anywhere (baseline)."""
    pod_type = ((_pod(r).get("securityContext") or {}).get("seccompProfile") or {}).get("type")
    out = []
    if pod_type == "Unconfined":
        out.append(f"{r.name} runs seccomp Unconfined")
    for c in containers(r.props):
        own = ((c.get("securityContext") or {}).get("seccompProfile") or {}).get("type")
        effective = own or pod_type
        if effective not in ("RuntimeDefault", "Localhost"):
            out.append(f"{r.name}/{c.get('name')} has seccomp {effective or 'unset'}")
    return out


def host_probes(r: Subject) -> list[str]:
    """Baseline (1.34+): probes and lifecycle handlers never name a ``host``."""
    out = []
    for c in containers(r.props):
        handlers = [c.get(p) or {} for p in ("livenessProbe", "readinessProbe", "startupProbe")]
        handlers += [h or {} for h in ((c.get("lifecycle") or {}).values())]
        for handler in handlers:
            for action in ("httpGet", "tcpSocket"):
                if (handler.get(action) or {}).get("host"):
                    out.append(f"{r.name}/{c.get('name')} sends a {action} to another host")
    return out


def volume_types(r: Subject) -> list[str]:
    out = []
    for volume in _pod(r).get("volumes") or []:
        kinds = set(volume) - {"name", "hostPath"}  # hostPath: its own (baseline) rule
        if not kinds <= RESTRICTED_VOLUME_TYPES:
            out.append(f"{r.name} volume {volume.get('name')} is {sorted(kinds)}")
    return out


def privilege_escalation(r: Subject) -> list[str]:
    return [
        f"{r.name}/{c.get('name')} may escalate privileges"
        for c in containers(r.props)
        if (c.get("securityContext") or {}).get("allowPrivilegeEscalation") is not False
    ]


CONTROLS: list[tuple[str, str, str, Callable[[Subject], list[str]], str]] = [
    ("host-namespaces", "baseline", "Pods do not share the host's network, PID or IPC "
     "namespace.", host_namespaces, "remove hostNetwork/hostPID/hostIPC"),
    ("host-process", "baseline", "No Windows HostProcess containers.", host_process,
     "remove windowsOptions.hostProcess"),
    ("host-path-volumes", "baseline", "No hostPath volumes.", host_path_volumes,
     "use an emptyDir, a PVC or a projected volume"),
    ("host-ports", "baseline", "Containers bind no host port.", host_ports,
     "remove hostPort (use a Service)"),
    ("apparmor", "baseline", "AppArmor is never unconfined.", apparmor,
     "drop the Unconfined profile (RuntimeDefault is the default)"),
    ("selinux", "baseline", "SELinux type limited to the container types; no user or role.",
     selinux, "remove seLinuxOptions or use type container_t"),
    ("proc-mount", "baseline", "Containers keep the default /proc mount.", proc_mount,
     "remove procMount"),
    ("sysctls", "baseline", "Only the safe sysctls.", sysctls, "remove the unsafe sysctl"),
    ("host-probes", "baseline", "Probes and lifecycle hooks target the pod itself (no host).",
     host_probes, "remove the host field of the probe or hook"),
    ("seccomp", "restricted", "seccomp RuntimeDefault or Localhost on every container.",
     seccomp, "set securityContext.seccompProfile.type: RuntimeDefault on the pod"),
    ("volume-types", "restricted", "Only configMap, csi, downwardAPI, emptyDir, ephemeral, "
     "persistentVolumeClaim, projected and secret volumes.", volume_types,
     "use one of the restricted volume types"),
    ("privilege-escalation", "restricted", "allowPrivilegeEscalation: false on every "
     "container.", privilege_escalation, "set securityContext.allowPrivilegeEscalation: false"),
]  # fmt: skip

POLICIES = [
    resource_rule(
        f"kubernetes-pss-{control}",
        f"Pod Security Standards ({profile}): {description}",
        MANDATORY,
        WORKLOAD_TYPES,
        check,
        remediation,
    )
    for control, profile, description, check, remediation in CONTROLS
]
