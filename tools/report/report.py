"""The plan report: cost, deploy critical path, RTO/RPO and comparable facts of one stack.

``build(result)`` turns an offline plan (:class:`tools.offline.harness.PlanResult`) into a
:class:`PlanReport`; renderers produce console text and Markdown (PR comments); ``diff`` puts
two stacks' facts side by side.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from environment.config import StackConfig, parse_stack_config
from policies.graph import Resource, ResourceGraph
from tools.offline.harness import REPO_ROOT, PlanResult, run_program, standby_stacks

from . import recovery, timing
from .cost import CostReport, estimate
from .prices import CHECKED as PRICES_CHECKED
from .recovery import RecoveryReport, fmt


@dataclass(frozen=True)
class StandbyCost:
    """A warm standby's monthly cost, shown next to its primary's."""

    stack: str
    region: str
    total_usd: float


@dataclass(frozen=True)
class PlanReport:
    stack: str
    resources: int
    cost: CostReport
    deploy: timing.DeployTime
    recovery: RecoveryReport
    facts: dict[str, str]
    standby: StandbyCost | None = None

    @property
    def warnings(self) -> list[str]:
        out = list(self.recovery.warnings)
        out += [
            f"false serialisation: {f.waiting} waits for {f.waits_for} "
            f"(+{f.added_seconds // 60} min): {' -> '.join(f.chain)}"
            for f in self.deploy.false_serialisations
        ]
        out += [f"unknown price: {line.item} ({line.detail})" for line in self.cost.unknown]
        if self.cost.over_budget:
            out.append(
                f"estimate ${self.cost.total_usd:,.0f}/month exceeds the budget "
                f"${self.cost.budget_usd:,.0f} (cost.monthlyBudgetUsd)"
            )
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "resources": self.resources,
            "cost": self.cost.to_json(),
            "deploy": self.deploy.to_json(),
            "recovery": self.recovery.to_json(),
            "facts": self.facts,
            "standby": (
                {
                    "stack": self.standby.stack,
                    "region": self.standby.region,
                    "monthlyUsd": round(self.standby.total_usd, 2),
                }
                if self.standby
                else None
            ),
            "warnings": self.warnings,
        }


def stack_config_of(result: PlanResult) -> StackConfig:
    return parse_stack_config(result.config, result.stack)


def build(result: PlanResult, standby: PlanResult | None = None) -> PlanReport:
    """The report of one successful offline plan; ``standby``: the plan of its warm standby
    (``standby_plan``): its failover in the recovery scenarios, its cost beside this one's."""
    cfg = stack_config_of(result)
    graph = result.graph
    cost = estimate(graph, cfg.region, cfg.cost)
    deploy = timing.analyse(graph)
    failover, standby_cost = None, None
    if standby is not None:
        standby_cfg = stack_config_of(standby)
        failover = recovery.standby_failover(standby.graph, standby.stack)
        standby_cost = StandbyCost(
            standby.stack,
            standby_cfg.region,
            estimate(standby.graph, standby_cfg.region, standby_cfg.cost).total_usd,
        )
    rec = recovery.analyse(
        graph,
        rpo_target_minutes=_target(cfg, "rpo_minutes"),
        rto_target_minutes=_target(cfg, "rto_minutes"),
        rebuild_minutes=deploy.total_seconds / 60,
        region_rpo_target_minutes=cfg.backups.region_loss_rpo_minutes,
        region_rto_target_minutes=cfg.backups.region_loss_rto_minutes,
        cache_rpo_target_minutes=cfg.cache.rpo_minutes,
        cache_rto_target_minutes=cfg.cache.rto_minutes,
        cache_region_rpo_target_minutes=cfg.cache.region_loss_rpo_minutes,
        cache_region_rto_target_minutes=cfg.cache.region_loss_rto_minutes,
        standby=failover,
    )
    facts = collect_facts(graph, result.outputs, result.stack)
    facts["monthly cost (USD)"] = f"{cost.total_usd:,.0f}" + (" +unknown" if cost.unknown else "")
    if standby_cost is not None:
        facts["standby monthly cost (USD)"] = f"{standby_cost.total_usd:,.0f}"
    facts["first `pulumi up` (modelled)"] = f"{deploy.total_seconds / 60:.0f} min"
    for s in rec.scenarios:
        facts[f"RPO / RTO: {s.name}"] = f"{fmt(s.rpo_minutes)} / {fmt(s.rto_minutes)}"
    return PlanReport(result.stack, len(graph), cost, deploy, rec, facts, standby_cost)


def standby_plan(primary: str) -> PlanResult | None:
    """The offline plan of the committed stack standing by for ``primary`` (None: none).
    A standby that does not plan is an error: a report without its failover would warn
    about region loss for the wrong reason."""
    for stack in standby_stacks(primary):
        result = run_program(REPO_ROOT / f"Pulumi.{stack}.yaml", stack=stack)
        if result.error is not None:
            raise StandbyError(f"standby {stack} of {primary} does not plan: {result.error}")
        return result
    return None


class StandbyError(Exception):
    """A committed standby whose offline plan fails."""


def _target(cfg: StackConfig, name: str) -> float | None:
    value = getattr(cfg.backups, name, None)
    return float(value) if value is not None else None


def _values(release: Resource) -> dict[str, Any]:
    values = release.inputs.get("values")
    return values if isinstance(values, dict) else {}


def _dig(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _num(value: Any) -> str:
    """``2.0`` -> ``2`` (config numbers arrive as JSON floats)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "-" if value is None else str(value)


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def _role(name: str, stack: str, component: str) -> str:
    """A resource's role in its environment: ``staging-eks-general-az1`` -> ``general-az1``,
    so the same node group, database or cache of two stacks share a row."""
    for prefix in (f"{stack}-{component}-" if component else "", f"{stack}-"):
        if not prefix:
            continue
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


def collect_facts(graph: ResourceGraph, outputs: dict[str, Any], stack: str = "") -> dict[str, str]:
    """Comparable facts about capacity, HA, retention and protection (strings, for tables),
    keyed by each resource's role in the environment, not its name."""
    facts: dict[str, str] = {}
    azs = outputs.get("availabilityZones")
    if isinstance(azs, list):
        facts["availability zones"] = str(len(azs))
    facts["NAT gateways"] = str(len(graph.of_type("aws:ec2/natGateway:NatGateway")))
    for cluster in graph.of_type("eks:index:Cluster") + graph.of_type("aws:eks/cluster:Cluster"):
        facts["Kubernetes version"] = str(cluster.inputs.get("version"))
        facts["EKS support tier"] = str(_dig(cluster.inputs, "upgradePolicy", "supportType"))
        facts["API endpoint public"] = _yes(
            cluster.inputs.get("endpointPublicAccess")
            or _dig(cluster.inputs, "vpcConfig", "endpointPublicAccess")
        )
    groups = graph.of_type("aws:eks/nodeGroup:NodeGroup") + graph.of_type(
        "eks:index:ManagedNodeGroup"
    )
    for group in sorted(groups, key=lambda g: g.name):
        scaling = group.inputs.get("scalingConfig") or {}
        facts[f"nodes {_role(group.name, stack, 'eks')} (min/desired/max)"] = (
            f"{group.inputs.get('capacityType', 'ON_DEMAND')} "
            f"{','.join(group.inputs.get('instanceTypes') or [])} "
            f"{_num(scaling.get('minSize'))}/{_num(scaling.get('desiredSize'))}/"
            f"{_num(scaling.get('maxSize'))}"
        )
    for db in graph.of_type("aws:rds/instance:Instance"):
        i = db.inputs
        facts[f"database {_role(db.name, stack, '')}"] = (
            f"{i.get('instanceClass')}, multi-AZ {_yes(i.get('multiAz'))}, "
            f"backups {_num(i.get('backupRetentionPeriod'))} d, "
            f"deletion protection {_yes(i.get('deletionProtection'))}"
        )
    for rg in graph.of_type("aws:elasticache/replicationGroup:ReplicationGroup"):
        i = rg.inputs
        shards = i.get("numNodeGroups")
        shape = (
            f"{_num(shards)} shards x {int(i.get('replicasPerNodeGroup') or 0) + 1}"
            if shards
            else f"{_num(i.get('numCacheClusters') or 1)} node(s)"
        )
        facts[f"cache {_role(rg.name, stack, '')}"] = (
            f"{i.get('nodeType')} {shape}, failover {_yes(i.get('automaticFailoverEnabled'))}, "
            f"snapshots {_num(i.get('snapshotRetentionLimit'))} d"
        )
    for hpa in graph.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler"):
        spec = hpa.inputs.get("spec") or {}
        name = _dig(hpa.inputs, "metadata", "name") or hpa.name
        facts[f"autoscaling {name}"] = (
            f"{_num(spec.get('minReplicas'))}-{_num(spec.get('maxReplicas'))}"
        )
    for release in graph.of_type("kubernetes:helm.sh/v3:Release"):
        if release.inputs.get("chart") == "kube-prometheus-stack":
            v = _values(release)
            facts["Prometheus retention"] = str(
                _dig(v, "prometheus", "prometheusSpec", "retention")
            )
            facts["Alertmanager replicas"] = _num(
                _dig(v, "alertmanager", "alertmanagerSpec", "replicas")
            )
    for job in graph.of_type("kubernetes:batch/v1:CronJob"):
        name = _dig(job.inputs, "metadata", "name") or job.name
        facts[f"schedule {name}"] = str(_dig(job.inputs, "spec", "schedule"))
    retentions = [
        int(r.inputs["retentionInDays"])
        for r in graph.of_type("aws:cloudwatch/logGroup:LogGroup")
        if r.inputs.get("retentionInDays")
    ]
    if retentions:
        facts["log retention (days)"] = f"{min(retentions)}-{max(retentions)}"
    facts["Pulumi-protected resources"] = str(sum(1 for r in graph if r.options.protect))
    facts["retained on delete"] = str(sum(1 for r in graph if r.options.retain_on_delete))
    facts["vault lock"] = _yes(
        graph.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    )
    facts["resources"] = str(len(graph))
    types = Counter(r.type for r in graph)
    facts["CloudWatch alarms"] = str(types["aws:cloudwatch/metricAlarm:MetricAlarm"])
    return facts


# --- rendering -------------------------------------------------------------------------------


def _money(value: float | None) -> str:
    return "unknown" if value is None else f"${value:,.2f}"


def render_text(report: PlanReport) -> list[str]:
    c = report.cost
    lines = [f"Monthly cost estimate ({c.region}, prices of {PRICES_CHECKED}):"]
    for component, total in c.by_component().items():
        lines.append(f"  {component:<32} {_money(total):>12}")
    lines.append(
        f"  {'total':<32} {_money(c.total_usd):>12}" + (" (lower bound)" if c.unknown else "")
    )
    for line in c.unknown:
        lines.append(f"  unknown price: {line.item} [{line.component}] {line.detail}")
    if report.standby is not None:
        b = report.standby
        lines.append(
            f"  {'standby ' + b.stack + ' (' + b.region + ')':<32} {_money(b.total_usd):>12}"
        )
        lines.append(f"  {'primary + standby':<32} {_money(c.total_usd + b.total_usd):>12}")
    if c.spot_savings_usd:
        lines.append(f"  spot capacity saves {_money(c.spot_savings_usd)}/month vs on-demand")
    if c.commitment_savings_usd:
        lines.append(
            f"  1-year savings plans/reserved instances would save "
            f"{_money(c.commitment_savings_usd)}/month"
        )
    d = report.deploy
    lines.append(f"First `pulumi up` critical path (modelled): {d.total_seconds / 60:.0f} min")
    for step in d.critical_path:
        if step.seconds >= 30:
            lines.append(
                f"  {step.finishes_at / 60:5.1f} min  {step.name} ({step.type}, {step.seconds}s)"
            )
    lines.append("Recovery (RPO / RTO):")
    for s in report.recovery.scenarios:
        lines.append(f"  {s.name}: {fmt(s.rpo_minutes)} / {fmt(s.rto_minutes)} — {s.how}")
        if len(s.paths) > 1 or s.why:
            lines.append(f"      path assumed: {s.why}")
    for warning in report.warnings:
        lines.append(f"warning: {warning}")
    return lines


def render_markdown(report: PlanReport) -> str:
    c = report.cost
    out = [f"### Plan report: `{report.stack}` ({report.resources} resources)", ""]
    out += ["| component | monthly (USD) |", "|---|---:|"]
    out += [f"| {k} | {_money(v)} |" for k, v in c.by_component().items()]
    out.append(f"| **total** | **{_money(c.total_usd)}**{' (lower bound)' if c.unknown else ''} |")
    if report.standby is not None:
        b = report.standby
        out.append(f"| standby `{b.stack}` ({b.region}) | {_money(b.total_usd)} |")
        out.append(f"| **primary + standby** | **{_money(c.total_usd + b.total_usd)}** |")
    out.append("")
    if c.spot_savings_usd:
        out.append(f"Spot capacity saves {_money(c.spot_savings_usd)}/month.")
    if c.commitment_savings_usd:
        out.append(
            f"1-year savings plans / reserved instances would save "
            f"{_money(c.commitment_savings_usd)}/month."
        )
    out += [
        "",
        f"**First `pulumi up`** (modelled critical path): "
        f"{report.deploy.total_seconds / 60:.0f} min",
        "",
    ]
    out += ["| finishes at | resource | type |", "|---:|---|---|"]
    out += [
        f"| {s.finishes_at / 60:.1f} min | {s.name} | `{s.type}` |"
        for s in report.deploy.critical_path
        if s.seconds >= 30
    ]
    out += ["", "| recovery scenario | RPO | RTO | how |", "|---|---|---|---|"]
    out += [
        f"| {s.name} | {fmt(s.rpo_minutes)} | {fmt(s.rto_minutes)} | {s.how}"
        + (f" ({s.why})" if s.why else "")
        + " |"
        for s in report.recovery.scenarios
    ]
    if report.warnings:
        out += ["", "**Warnings**", ""] + [f"- {w}" for w in report.warnings]
    return "\n".join(out) + "\n"


def diff(
    left: PlanReport, right: PlanReport, *, all_rows: bool = False
) -> list[tuple[str, str, str]]:
    """Rows (fact, left value, right value) where the stacks differ (or all rows)."""
    keys = list(dict.fromkeys([*left.facts, *right.facts]))
    rows = []
    for key in keys:
        a, b = left.facts.get(key, "-"), right.facts.get(key, "-")
        if all_rows or a != b:
            rows.append((key, a, b))
    return rows


def render_diff(
    left: PlanReport, right: PlanReport, *, markdown: bool, all_rows: bool = False
) -> str:
    rows = diff(left, right, all_rows=all_rows)
    header = ("", left.stack, right.stack)
    if markdown:
        lines = [f"| {' | '.join(header)} |", "|---|---|---|"]
        lines += [f"| {k} | {a} | {b} |" for k, a, b in rows]
        return "\n".join(lines) + "\n"
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = [
        "  ".join(col.ljust(w) for col, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
