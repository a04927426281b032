"""Monthly cost estimate of a planned stack, from its resource graph and the price table.

Every priced line names what it is and how it was computed; a resource whose price is not in
the table produces an "unknown price" line (never a silent zero) and the total says it is a
lower bound. Usage-based items (NAT data, log ingestion, storage) come from the stack's
``cost`` config section, so the assumptions are reviewable next to the capacity they price.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from kubernetes.utils.quantity import parse_quantity

from components.keda import CHART_COMPONENTS as KEDA_CHART_COMPONENTS
from components.monitoring.delivery import HEARTBEAT_TOPIC_SUFFIX
from environment.config.apps import QUANTITY
from environment.config.cost import CostConfig
from environment.config.schedules import runs_per_day
from policies.graph import Resource, ResourceGraph

from . import prices as p

PLATFORM = "(usage assumptions)"


@dataclass(frozen=True)
class CostLine:
    """One priced (or unpriceable) item."""

    component: str
    item: str
    monthly_usd: float | None
    detail: str

    @property
    def unknown(self) -> bool:
        return self.monthly_usd is None


@dataclass(frozen=True)
class CostReport:
    region: str
    lines: tuple[CostLine, ...]
    spot_savings_usd: float
    """What SPOT capacity saves against the same nodes on demand."""
    commitment_savings_usd: float
    """What 1-year savings plans / reserved instances would save on the on-demand capacity."""
    budget_usd: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def total_usd(self) -> float:
        return round(sum(line.monthly_usd or 0.0 for line in self.lines), 2)

    @property
    def unknown(self) -> list[CostLine]:
        return [line for line in self.lines if line.unknown]

    def by_component(self) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        for line in self.lines:
            totals[line.component] += line.monthly_usd or 0.0
        return {k: round(v, 2) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}

    @property
    def over_budget(self) -> bool:
        return self.budget_usd is not None and self.total_usd > self.budget_usd

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "currency": "USD",
            "priceTable": {"source": p.SOURCE, "checked": p.CHECKED},
            "totalMonthly": self.total_usd,
            "totalIsLowerBound": bool(self.unknown),
            "byComponent": self.by_component(),
            "lines": [asdict(line) for line in self.lines],
            "spotSavingsMonthly": round(self.spot_savings_usd, 2),
            "commitmentSavingsMonthly": round(self.commitment_savings_usd, 2),
            "budgetMonthly": self.budget_usd,
            "notes": list(self.notes),
        }


def monthly(hourly: float, count: float = 1) -> float:
    return round(hourly * p.HOURS_PER_MONTH * count, 2)


def quantity_gib(value: object) -> float | None:
    """A Kubernetes storage quantity (``"50Gi"``) in GiB; None if it does not parse."""
    text = str(value).strip()
    if not QUANTITY.match(text):
        return None
    gib = float(parse_quantity(text)) / 2**30
    return gib if gib >= 0 else None


def component_of(resource: Resource, by_urn: dict[str, Resource]) -> str:
    """The name of the top-level component a resource belongs to (``(stack)`` if none)."""
    current = resource
    top: Resource | None = None
    while current.parent and current.parent in by_urn:
        current = by_urn[current.parent]
        if not current.custom:
            top = current
    if top is None:
        return resource.name if not resource.custom else "(stack)"
    return top.name


def _node_volume_gib(group: Resource, graph: ResourceGraph) -> float:
    template_ref = group.inputs.get("launchTemplate") or {}
    template_id = template_ref.get("id")
    template_name = template_ref.get("name")
    for lt in graph.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        if lt.outputs.get("id") == template_id or (
            template_name and lt.inputs.get("name") == template_name
        ):
            for mapping in lt.inputs.get("blockDeviceMappings") or []:
                size = (mapping.get("ebs") or {}).get("volumeSize")
                if size:
                    return float(size)
    return float(group.inputs.get("diskSize") or 20)


def _node_groups(graph: ResourceGraph, region: str) -> Iterator[tuple[Resource, CostLine, float]]:
    """(node group, line, on-demand equivalent $/month) per managed node group."""
    for group in graph.of_type("aws:eks/nodeGroup:NodeGroup") + graph.of_type(
        "eks:index:ManagedNodeGroup"
    ):
        scaling = group.inputs.get("scalingConfig") or {}
        desired = int(scaling.get("desiredSize") or scaling.get("minSize") or 0)
        types = list(group.inputs.get("instanceTypes") or [])
        capacity = group.inputs.get("capacityType") or "ON_DEMAND"
        if not types:
            yield group, CostLine("", group.name, None, "node group without instanceTypes"), 0.0
            continue
        # SPOT uses price-capacity-optimized over all types (average); ON_DEMAND the first type.
        chosen = types if capacity == "SPOT" else types[:1]
        table = p.EC2_SPOT_HOURLY if capacity == "SPOT" else p.EC2_ON_DEMAND_HOURLY
        looked = [p.lookup(table, t, region) for t in chosen]
        od = [p.lookup(p.EC2_ON_DEMAND_HOURLY, t, region) for t in chosen]
        missing = [price.note for price in looked if price.hourly is None]
        if missing:
            yield group, CostLine("", group.name, None, "; ".join(missing)), 0.0
            continue
        hourly = sum(price.hourly or 0.0 for price in looked) / len(looked)
        od_hourly = sum(price.hourly or 0.0 for price in od) / len(od)
        detail = (
            f"{desired} x {capacity} {'/'.join(chosen)} @ ${hourly:.4f}/h"
            f" (scales {scaling.get('minSize')}-{scaling.get('maxSize')})"
        )
        yield (
            group,
            CostLine("", f"nodes {group.name}", monthly(hourly, desired), detail),
            (monthly(od_hourly, desired)),
        )


def _alb_groups(graph: ResourceGraph) -> dict[str, Resource]:
    """Load balancers the AWS LB controller will create: one per ingress group or Ingress."""
    albs: dict[str, Resource] = {}
    for ingress in graph.of_type("kubernetes:networking.k8s.io/v1:Ingress"):
        annotations = (ingress.inputs.get("metadata") or {}).get("annotations") or {}
        spec = ingress.inputs.get("spec") or {}
        if spec.get("ingressClassName") != "alb" and (
            annotations.get("kubernetes.io/ingress.class") != "alb"
        ):
            continue
        key = (
            annotations.get("alb.ingress.kubernetes.io/group.name")
            or annotations.get("alb.ingress.kubernetes.io/load-balancer-name")
            or ingress.urn
        )
        albs.setdefault(key, ingress)
    return albs


def _helm_volume_gib(values: object, replicas: int = 1) -> float:
    """GiB of persistent volumes a chart's values ask for: every ``volumeClaimTemplate`` times
    the nearest enclosing ``replicas`` (e.g. ``prometheusSpec.replicas``)."""
    total = 0.0
    if isinstance(values, dict):
        count = values.get("replicas")
        # values cross the engine as JSON numbers: 2 may arrive as 2.0 (bool is not a count)
        if isinstance(count, int | float) and not isinstance(count, bool) and count >= 0:
            replicas = int(count)
        template = values.get("volumeClaimTemplate")
        if isinstance(template, dict):
            requests = ((template.get("spec") or {}).get("resources") or {}).get("requests") or {}
            size = quantity_gib(requests.get("storage", ""))
            if size:
                total += size * replicas
        for key, value in values.items():
            if key != "volumeClaimTemplate":
                total += _helm_volume_gib(value, replicas)
    elif isinstance(values, list):
        total += sum(_helm_volume_gib(v, replicas) for v in values)
    return total


def _ephemeral_volume_gib(cronjob: dict[str, Any]) -> float:
    """GiB of generic ephemeral volumes a CronJob's pod claims."""
    spec = (cronjob.get("spec") or {}).get("jobTemplate", {}).get("spec", {})
    volumes = spec.get("template", {}).get("spec", {}).get("volumes") or []
    total = 0.0
    for volume in volumes:
        claim = (volume.get("ephemeral") or {}).get("volumeClaimTemplate", {}).get("spec", {})
        total += quantity_gib(claim.get("resources", {}).get("requests", {}).get("storage", 0)) or 0
    return total


@dataclass(frozen=True)
class _Line:
    resource: Resource
    item: str
    amount: float
    detail: str


def _lifecycle(graph: ResourceGraph, bucket: str) -> tuple[float, float]:
    """(expiration days, noncurrent-version days) of a bucket's lifecycle."""
    for config in graph.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"):
        if config.inputs.get("bucket") != bucket:
            continue
        for rule in config.inputs.get("rules") or []:
            expiration = float((rule.get("expiration") or {}).get("days") or 0)
            noncurrent = float(
                (rule.get("noncurrentVersionExpiration") or {}).get("noncurrentDays") or 0
            )
            return expiration, noncurrent
    return 0.0, 0.0


def _cronjob_env(job: Resource) -> dict[str, Any]:
    """The plain environment variables of a CronJob's containers (``BUCKET``: a dump's)."""
    spec = job.inputs.get("spec") or {}
    template = spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})
    return {
        e.get("name"): e.get("value")
        for c in template.get("containers") or []
        for e in c.get("env") or []
    }


MULTIPART_CHUNK_GIB = 8 / 1024
"""``aws s3 cp`` uploads in 8 MiB parts: one PUT per part (plus create and complete)."""
STANDARD_IA_MINIMUM_DAYS = 30


def dump_lines(graph: ResourceGraph, dump_gib: float) -> list[_Line]:
    """The logical dumps from their drivers: one object per CronJob run (its schedule), kept
    for the bucket's expiration plus its noncurrent days (a versioned bucket's expiration
    leaves a noncurrent version), PUT requests, and when replicated the copy in the DR bucket
    (in its storage class) and the cross-region transfer of every dump."""
    lines: list[_Line] = []
    for cronjob in graph.of_type("kubernetes:batch/v1:CronJob"):
        spec = cronjob.inputs.get("spec") or {}
        bucket = _cronjob_env(cronjob).get("BUCKET")
        if not bucket or "schedule" not in spec:
            continue
        per_day = runs_per_day(str(spec["schedule"]))
        expiration, noncurrent = _lifecycle(graph, bucket)
        if not expiration:
            lines.append(_Line(cronjob, "database dumps (S3)", float("nan"),
                               "unknown price: the dump bucket has no expiration"))  # fmt: skip
            continue
        kept = per_day * (expiration + noncurrent)
        per_month = per_day * 30.4
        detail = (
            f"{kept:.0f} dumps x {dump_gib:g} GiB ({per_day:g}/day, kept "
            f"{expiration:g}+{noncurrent:g} days; cost.dumpSizeGib)"
        )
        storage_cost = kept * dump_gib * p.S3_STANDARD_GIB_MONTH
        lines.append(_Line(cronjob, "database dumps (S3)", storage_cost, detail))
        puts = per_month * (math.ceil(dump_gib / MULTIPART_CHUNK_GIB) + 2)
        lines.append(_Line(cronjob, "dump PUT requests", puts / 1000 * p.S3_PUT_PER_1000,
                           f"{puts:.0f}/month (multipart, 8 MiB parts)"))  # fmt: skip
        for replication in graph.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
            if replication.inputs.get("bucket") != bucket:
                continue
            for rule in replication.inputs.get("rules") or []:
                destination = rule.get("destination") or {}
                replica = str(destination.get("bucket", "")).rsplit(":", 1)[-1]
                storage = str(destination.get("storageClass") or "STANDARD")
                price = (
                    p.S3_STANDARD_IA_GIB_MONTH
                    if storage == "STANDARD_IA"
                    else p.S3_STANDARD_GIB_MONTH
                )
                r_exp, r_noncurrent = _lifecycle(graph, replica)
                r_days = r_exp + r_noncurrent
                if storage == "STANDARD_IA":  # billed for at least 30 days per object
                    r_days = max(r_days, STANDARD_IA_MINIMUM_DAYS)
                r_kept = per_day * r_days
                lines.append(_Line(replication, "dump replica (DR region)",
                                   r_kept * dump_gib * price,
                                   f"{r_kept:.0f} dumps x {dump_gib:g} GiB {storage}"))  # fmt: skip
                transfer = per_month * dump_gib
                lines.append(
                    _Line(
                        replication,
                        "dump replication transfer",
                        transfer * p.S3_REPLICATION_TRANSFER_PER_GIB,
                        f"{transfer:.0f} GiB/month cross-region",
                    )
                )
    return lines


@dataclass
class _Pricer:
    """One estimate in progress: the graph, the region's prices, the usage assumptions and
    the lines priced so far. Each area of the platform is one method (``AREAS``)."""

    graph: ResourceGraph
    region: str
    usage: CostConfig
    by_urn: dict[str, Resource] = field(default_factory=dict)
    lines: list[CostLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    spot_savings: float = 0.0
    on_demand_by_kind: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @property
    def regional(self) -> bool:
        return self.region in p.PRICED_REGIONS

    def add(self, resource: Resource, item: str, amount: float | None, detail: str) -> None:
        self.lines.append(CostLine(component_of(resource, self.by_urn), item, amount, detail))

    def priced(
        self, resource: Resource, item: str, price: p.Price, count: float, detail: str
    ) -> None:
        if price.hourly is None:
            self.add(resource, item, None, f"unknown price: {price.note}")
        else:
            self.add(resource, item, monthly(price.hourly, count), detail)

    def fixed(self, resource: Resource, item: str, amount: float, detail: str) -> None:
        if self.regional:
            self.add(resource, item, round(amount, 2), detail)
        else:
            self.add(resource, item, None, f"unknown price: no prices for region {self.region}")

    def assumption(self, item: str, amount: float, detail: str) -> None:
        self.lines.append(
            CostLine(
                PLATFORM,
                item,
                round(amount, 2) if self.regional else None,
                detail if self.regional else f"unknown price: no prices for region {self.region}",
            )
        )

    def compute(self) -> None:
        for cluster in self.graph.of_type("eks:index:Cluster") + self.graph.of_type(
            "aws:eks/cluster:Cluster"
        ):
            support = ((cluster.inputs.get("upgradePolicy") or {}).get("supportType")) or "EXTENDED"
            # the same in every commercial region (https://aws.amazon.com/eks/pricing/)
            hourly = p.EKS_CONTROL_PLANE_HOURLY[support]
            detail = f"control plane, {support} support" + (
                " (EKS defaults to EXTENDED when unset)" if support == "EXTENDED" else ""
            )
            self.priced(
                cluster,
                "EKS control plane",
                p.Price(hourly, f"no prices for region {self.region}"),
                1,
                detail,
            )

        for group, line, od_monthly in _node_groups(self.graph, self.region):
            self.lines.append(
                CostLine(component_of(group, self.by_urn), line.item, line.monthly_usd, line.detail)
            )
            if line.monthly_usd is None:
                continue
            if (group.inputs.get("capacityType") or "ON_DEMAND") == "SPOT":
                self.spot_savings += od_monthly - line.monthly_usd
            else:
                self.on_demand_by_kind["ec2"] += line.monthly_usd
            desired = int((group.inputs.get("scalingConfig") or {}).get("desiredSize") or 0)
            gib = _node_volume_gib(group, self.graph) * desired
            gp3 = p.ebs_gp3_gib_month(self.region)
            if gp3 is None:
                self.add(
                    group,
                    f"node volumes {group.name}",
                    None,
                    f"unknown price: no gp3 price in {self.region}",
                )
            else:
                self.add(
                    group, f"node volumes {group.name}", round(gib * gp3, 2), f"{gib:.0f} GiB gp3"
                )

    def network(self) -> None:
        nats = self.graph.of_type("aws:ec2/natGateway:NatGateway")
        for nat in nats:
            self.priced(
                nat,
                "NAT gateway",
                p.Price(
                    p.NAT_GATEWAY_HOURLY if self.regional else None,
                    f"no prices for region {self.region}",
                ),
                1,
                "hourly charge",
            )
        if nats:
            gib = self.usage.nat_data_processed_gib_per_month
            self.fixed(
                nats[0],
                "NAT data processing",
                gib * p.NAT_GATEWAY_PER_GIB,
                f"{gib:g} GiB/month (cost.natDataProcessedGibPerMonth)",
            )
        for eip in self.graph.of_type("aws:ec2/eip:Eip"):
            self.fixed(eip, "public IPv4", monthly(p.PUBLIC_IPV4_HOURLY), "Elastic IP")
        for endpoint in self.graph.of_type("aws:ec2/vpcEndpoint:VpcEndpoint"):
            if endpoint.inputs.get("vpcEndpointType") == "Interface":
                azs = len(endpoint.inputs.get("subnetIds") or []) or 1
                endpoint_service = str(endpoint.inputs.get("serviceName", "")).rsplit(".", 1)[-1]
                self.fixed(
                    endpoint,
                    f"interface endpoint {endpoint_service}",
                    monthly(p.INTERFACE_ENDPOINT_HOURLY_PER_AZ, azs),
                    f"{azs} AZ(s)",
                )

    def databases(self) -> None:
        for db in self.graph.of_type("aws:rds/instance:Instance"):
            klass = str(db.inputs.get("instanceClass"))
            multi_az = bool(db.inputs.get("multiAz"))
            factor = 2 if multi_az else 1
            role = "read replica" if db.inputs.get("replicateSourceDb") else "primary"
            price = p.lookup(p.RDS_POSTGRES_SINGLE_AZ_HOURLY, klass, self.region)
            self.priced(
                db,
                f"RDS {role} {db.name}",
                price,
                factor,
                f"{klass}{' Multi-AZ' if multi_az else ''}",
            )
            if price.hourly is not None:
                self.on_demand_by_kind["rds"] += monthly(price.hourly, factor)
            gib = float(db.inputs.get("allocatedStorage") or 0)
            self.fixed(
                db,
                f"RDS storage {db.name}",
                gib * p.RDS_GP3_GIB_MONTH * factor,
                f"{gib:g} GiB gp3 x{factor}",
            )
            if db.inputs.get("manageMasterUserPassword"):
                self.fixed(
                    db,
                    "RDS-managed master secret",
                    p.SECRETS_MANAGER_SECRET_MONTH,
                    "Secrets Manager",
                )

    def caches(self) -> None:
        for group in self.graph.of_type("aws:elasticache/replicationGroup:ReplicationGroup"):
            node_type = str(group.inputs.get("nodeType"))
            shards = group.inputs.get("numNodeGroups")
            if shards:
                nodes = int(shards) * (int(group.inputs.get("replicasPerNodeGroup") or 0) + 1)
            else:
                nodes = int(group.inputs.get("numCacheClusters") or 1)
            price = p.lookup(p.ELASTICACHE_VALKEY_HOURLY, node_type, self.region)
            self.priced(group, f"ElastiCache {group.name}", price, nodes, f"{nodes} x {node_type}")
            if price.hourly is not None:
                self.on_demand_by_kind["elasticache"] += monthly(price.hourly, nodes)

    def load_balancers(self) -> None:
        for alb_key, ingress in _alb_groups(self.graph).items():
            lcu = self.usage.alb_lcu
            name = alb_key if not alb_key.startswith("urn:") else ingress.name
            self.fixed(
                ingress,
                f"ALB {name}",
                monthly(p.ALB_HOURLY) + monthly(p.ALB_PER_LCU_HOUR, lcu),
                f"hourly + {lcu:g} LCU (cost.albLcu)",
            )
        for service in self.graph.of_type("kubernetes:core/v1:Service"):
            if (service.inputs.get("spec") or {}).get("type") == "LoadBalancer":
                self.fixed(
                    service,
                    f"NLB {service.name}",
                    monthly(p.ALB_HOURLY),
                    "Service type LoadBalancer",
                )

    def volumes(self) -> None:
        pv_gib = 0.0
        for pvc in self.graph.of_type("kubernetes:core/v1:PersistentVolumeClaim"):
            requests = ((pvc.inputs.get("spec") or {}).get("resources") or {}).get("requests") or {}
            pv_gib += quantity_gib(requests.get("storage", 0)) or 0.0
        for release in self.graph.of_type("kubernetes:helm.sh/v3:Release"):
            gib = _helm_volume_gib(release.inputs.get("values") or {})
            if gib:
                gp3 = p.ebs_gp3_gib_month(self.region)
                self.add(
                    release,
                    f"volumes {release.name}",
                    None if gp3 is None else round(gib * gp3, 2),
                    f"{gib:g} GiB gp3 (chart values)"
                    if gp3
                    else f"unknown price: gp3 in {self.region}",
                )
        if pv_gib:
            gp3 = p.ebs_gp3_gib_month(self.region)
            self.lines.append(
                CostLine(
                    "(kubernetes)",
                    "persistent volumes",
                    None if gp3 is None else round(pv_gib * gp3, 2),
                    f"{pv_gib:g} GiB gp3" if gp3 else f"unknown price: gp3 in {self.region}",
                )
            )

    def keys_secrets_alarms(self) -> None:
        for kms_key in self.graph.of_type("aws:kms/key:Key"):
            self.fixed(kms_key, "KMS key", p.KMS_KEY_MONTH, kms_key.name)
        for secret in self.graph.of_type("aws:secretsmanager/secret:Secret"):
            self.fixed(secret, "secret", p.SECRETS_MANAGER_SECRET_MONTH, secret.name)
        alarms = self.graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if alarms:
            self.fixed(
                alarms[0],
                "CloudWatch alarms",
                p.CLOUDWATCH_ALARM_MONTH * len(alarms),
                f"{len(alarms)} alarms",
            )

    def usage_assumptions(self) -> None:
        if self.graph.of_type("aws:cloudwatch/logGroup:LogGroup"):
            gib = self.usage.log_ingest_gib_per_month
            self.assumption(
                "CloudWatch Logs ingestion",
                gib * p.CLOUDWATCH_LOGS_INGEST_PER_GIB,
                f"{gib:g} GiB/month (cost.logIngestGibPerMonth)",
            )
        if self.graph.of_type("aws:s3/bucket:Bucket") or self.graph.of_type(
            "aws:s3/bucketV2:BucketV2"
        ):
            gib = self.usage.s3_storage_gib
            self.assumption(
                "S3 storage",
                gib * p.S3_STANDARD_GIB_MONTH,
                f"{gib:g} GiB Standard (cost.s3StorageGib)",
            )
        if self.graph.of_type("aws:backup/vault:Vault") or self.graph.of_type(
            "aws:rds/instance:Instance"
        ):
            gib = self.usage.backup_storage_gib
            self.assumption(
                "backup storage",
                gib * p.BACKUP_WARM_GIB_MONTH,
                f"{gib:g} GiB (cost.backupStorageGib)",
            )
        copies = [
            rule
            for plan in self.graph.of_type("aws:backup/plan:Plan")
            for rule in plan.inputs.get("rules") or []
            if rule.get("copyActions")
        ]
        if copies:
            gib = self.usage.backup_storage_gib
            self.assumption(
                "backup copies (DR vault)",
                gib * p.BACKUP_WARM_GIB_MONTH,
                f"{gib:g} GiB copied by {len(copies)} rule(s) (cost.backupStorageGib)",
            )
            gib = self.usage.backup_copy_gib_per_month
            self.assumption(
                "backup copy transfer",
                gib * p.S3_REPLICATION_TRANSFER_PER_GIB,
                f"{gib:g} GiB/month cross-region (cost.backupCopyGibPerMonth)",
            )

    def runners_and_scratch(self) -> None:
        for project in self.graph.of_type("aws:codebuild/project:Project"):
            compute = str((project.inputs.get("environment") or {}).get("computeType"))
            per_minute = p.CODEBUILD_LINUX_PER_MINUTE.get(compute)
            minutes = self.usage.deploy_runner_minutes_per_month
            if per_minute is None or not self.regional:
                self.add(
                    project,
                    "CodeBuild deploy runner",
                    None,
                    f"unknown price: {compute} in {self.region}",
                )
            else:
                detail = (
                    f"{minutes:g} build min/month x {compute} (cost.deployRunnerMinutesPerMonth)"
                )
                self.add(project, "CodeBuild deploy runner", round(minutes * per_minute, 2), detail)
        for cronjob in self.graph.of_type("kubernetes:batch/v1:CronJob"):
            gib = _ephemeral_volume_gib(cronjob.inputs)
            gp3 = p.ebs_gp3_gib_month(self.region)
            if gib:
                # the pods of the newest finished Job (one kept) hold their volume until it goes
                self.add(cronjob, f"scratch volume {cronjob.name}",
                    None if gp3 is None else round(gib * gp3, 2),
                    f"{gib:g} GiB gp3 held by the last finished run (at least)" if gp3
                    else f"unknown price: gp3 in {self.region}")  # fmt: skip

    def dumps(self) -> None:
        for dump in dump_lines(self.graph, self.usage.dump_size_gib):
            known_amount = self.regional and not math.isnan(dump.amount)
            self.lines.append(
                CostLine(
                    component_of(dump.resource, self.by_urn),
                    dump.item,
                    round(dump.amount, 2) if known_amount else None,
                    dump.detail
                    if self.regional
                    else f"unknown price: no prices for region {self.region}",
                )
            )


HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
CONTAINER_LOG_GROUP = re.compile(r"^/[^/]+/containers/")
DAYS_PER_MONTH = 30.4


def _telemetry(pricer: _Pricer) -> None:
    """Container logs (ingestion, and storage for the groups' retention), traces recorded in
    X-Ray, the alerting heartbeat's SNS publishes; from the usage assumptions."""
    usage, graph = pricer.usage, pricer.graph
    groups = [
        g
        for g in graph.of_type("aws:cloudwatch/logGroup:LogGroup")
        if CONTAINER_LOG_GROUP.match(str(g.inputs.get("name", "")))
    ]
    if groups:
        daily = usage.container_log_gib_per_day
        retention = max(int(g.inputs.get("retentionInDays") or 0) for g in groups)
        pricer.assumption(
            "container logs ingestion",
            daily * DAYS_PER_MONTH * p.CLOUDWATCH_LOGS_INGEST_PER_GIB,
            f"{daily:g} GiB/day into {len(groups)} log groups (cost.containerLogGibPerDay)",
        )
        pricer.assumption(
            "container logs storage",
            daily * retention * p.CLOUDWATCH_LOGS_STORAGE_GIB_MONTH,
            f"{daily * retention:g} GiB kept {retention} days (stored as ingested: a bound)",
        )
    samplers = [r for r in graph.of_type(HELM_RELEASE) if r.inputs.get("name") == "otel-sampler"]
    if samplers:
        traces = usage.traces_per_month_millions * 1_000_000
        billed = max(traces - p.XRAY_FREE_TRACES_PER_MONTH, 0)
        pricer.assumption(
            "X-Ray traces recorded",
            billed / 1_000_000 * p.XRAY_PER_MILLION_TRACES_RECORDED,
            f"{usage.traces_per_month_millions:g} M traces/month after tail sampling, the first "
            f"{p.XRAY_FREE_TRACES_PER_MONTH:,} free (cost.tracesPerMonthMillions)",
        )
    topics = graph.of_type("aws:sns/topic:Topic")
    if any(str(t.inputs.get("name", "")).endswith(HEARTBEAT_TOPIC_SUFFIX) for t in topics):
        publishes = 60 * 24 * DAYS_PER_MONTH
        pricer.assumption(
            "alerting heartbeat",
            publishes / 1_000_000 * p.SNS_PER_MILLION_PUBLISHES,
            f"{publishes:,.0f} SNS publishes/month (Watchdog every minute)",
        )


WAF_LOG_RECORD_KIB = 1.2
"""A WAF log record (JSON, headers included) is about 1-1.5 KiB."""


def _firewalls(pricer: _Pricer) -> None:
    """Each web ACL: its monthly fee, one fee per rule, and the requests it inspects."""
    for acl in pricer.graph.of_type("aws:wafv2/webAcl:WebAcl"):
        rules = len(acl.inputs.get("rules") or [])
        pricer.fixed(
            acl,
            "WAF web ACL and rules",
            p.WAF_WEB_ACL_MONTH + rules * p.WAF_RULE_MONTH,
            f"1 web ACL, {rules} rules",
        )
        requests = pricer.usage.requests_per_month_millions
        pricer.fixed(
            acl,
            "WAF requests",
            requests * p.WAF_PER_MILLION_REQUESTS,
            f"{requests:g} M requests/month (cost.requestsPerMonthMillions)",
        )
        gib = requests * 1_000_000 * WAF_LOG_RECORD_KIB / 2**20
        pricer.fixed(
            acl,
            "WAF logs",
            gib * p.CLOUDWATCH_VENDED_LOGS_PER_GIB,
            f"~{gib:,.0f} GiB/month: one ~{WAF_LOG_RECORD_KIB:g} KiB record per request",
        )


def _queues(pricer: _Pricer) -> None:
    """SQS requests from the usage assumption, after the free tier (FIFO priced if any queue
    is FIFO)."""
    queues = pricer.graph.of_type("aws:sqs/queue:Queue")
    if not queues:
        return
    fifo = any(q.inputs.get("fifoQueue") for q in queues)
    price = p.SQS_PER_MILLION_FIFO_REQUESTS if fifo else p.SQS_PER_MILLION_REQUESTS
    requests = pricer.usage.queue_requests_per_month_millions * 1_000_000
    billed = max(requests - p.SQS_FREE_REQUESTS_PER_MONTH, 0)
    pricer.assumption(
        "SQS requests",
        billed / 1_000_000 * price,
        f"{requests / 1e6:g} M requests/month over {len(queues)} queues, the first million "
        "free (cost.queueRequestsPerMonthMillions)",
    )


def _app_data(pricer: _Pricer) -> None:
    """Buckets other than the dumps': a replica in the DR region (its storage and the
    cross-region transfer of what is written) and AWS Backup recovery points of buckets
    tagged ``backup=true`` (a second copy in the DR vault when the plan copies)."""
    usage, graph = pricer.usage, pricer.graph
    dump_buckets = {
        _cronjob_env(job).get("BUCKET") for job in graph.of_type("kubernetes:batch/v1:CronJob")
    }
    gib = usage.app_data_gib
    for replication in graph.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
        if replication.inputs.get("bucket") in dump_buckets:
            continue
        written = usage.app_data_written_gib_per_month
        pricer.fixed(
            replication,
            "bucket replica (DR region)",
            gib * p.S3_STANDARD_GIB_MONTH + written * p.S3_REPLICATION_TRANSFER_PER_GIB,
            f"{gib:g} GiB Standard + {written:g} GiB/month cross-region "
            "(cost.appDataGib, cost.appDataWrittenGibPerMonth)",
        )
    copies = any(
        rule.get("copyActions")
        for plan in graph.of_type("aws:backup/plan:Plan")
        for rule in plan.inputs.get("rules") or []
    )
    for bucket in graph.of_type("aws:s3/bucket:Bucket"):
        if (bucket.inputs.get("tags") or {}).get("backup") != "true":
            continue
        vaults = 2 if copies else 1
        pricer.fixed(
            bucket,
            "bucket recovery points (AWS Backup)",
            vaults * gib * p.BACKUP_S3_WARM_GIB_MONTH,
            f"{gib:g} GiB in {vaults} vault(s) (cost.appDataGib)",
        )


CDN_LOG_RECORD_KIB = 0.7
"""A CloudFront access log record (JSON, standard fields) is about 0.5-1 KiB."""


def _cdn(pricer: _Pricer) -> None:
    """Each distribution: transfer out and HTTPS requests after the free tier, and its access
    logs (vended into CloudWatch Logs); from the usage assumptions."""
    usage = pricer.usage
    for distribution in pricer.graph.of_type("aws:cloudfront/distribution:Distribution"):
        gib = usage.cdn_transfer_gib_per_month
        billed = max(gib - p.CLOUDFRONT_FREE_GIB, 0)
        pricer.fixed(
            distribution,
            "CloudFront transfer out",
            billed * p.CLOUDFRONT_OUT_PER_GIB,
            f"{gib:g} GiB/month, the first {p.CLOUDFRONT_FREE_GIB:,} free "
            "(cost.cdnTransferGibPerMonth)",
        )
        requests = usage.requests_per_month_millions * 1_000_000
        billed_requests = max(requests - p.CLOUDFRONT_FREE_REQUESTS, 0)
        pricer.fixed(
            distribution,
            "CloudFront requests",
            billed_requests / 10_000 * p.CLOUDFRONT_HTTPS_PER_10K,
            f"{requests / 1e6:g} M HTTPS requests/month, the first 10 M free "
            "(cost.requestsPerMonthMillions)",
        )
        logs = requests * CDN_LOG_RECORD_KIB / 2**20
        pricer.fixed(
            distribution,
            "CloudFront access logs",
            logs * p.CLOUDWATCH_VENDED_LOGS_PER_GIB,
            f"~{logs:,.0f} GiB/month: one ~{CDN_LOG_RECORD_KIB:g} KiB record per request",
        )


def _keda(pricer: _Pricer) -> None:
    """KEDA has no AWS charge: its pods reserve node capacity (their CPU requests, at a
    general-purpose node's price per vCPU)."""
    for release in pricer.graph.of_type(HELM_RELEASE):
        if release.inputs.get("chart") != "keda":
            continue
        values = release.inputs.get("values") or {}
        vcpu, pods = 0.0, 0
        for component, replicas_key in KEDA_CHART_COMPONENTS.items():
            replicas = int((values.get(replicas_key) or {}).get("replicaCount") or 1)
            request = (values.get("resources") or {}).get(component, {}).get("requests", {})
            vcpu += replicas * float(parse_quantity(str(request.get("cpu", "100m"))))
            pods += replicas
        pricer.fixed(
            release,
            "KEDA pods (node capacity)",
            vcpu * p.GENERAL_PURPOSE_VCPU_HOURLY * p.HOURS_PER_MONTH,
            f"{pods} pods requesting {vcpu:g} vCPU of the nodes",
        )


AREAS: tuple[Callable[[_Pricer], None], ...] = (
    _Pricer.compute,
    _Pricer.network,
    _Pricer.databases,
    _Pricer.caches,
    _Pricer.load_balancers,
    _Pricer.volumes,
    _Pricer.keys_secrets_alarms,
    _Pricer.usage_assumptions,
    _Pricer.runners_and_scratch,
    _Pricer.dumps,
    _telemetry,
    _firewalls,
    _queues,
    _app_data,
    _keda,
    _cdn,
)
"""The pricing table: each area prices the resources of its types, in this order."""


def estimate(graph: ResourceGraph, region: str, usage: CostConfig) -> CostReport:
    """The monthly cost of ``graph`` in ``region`` with the usage assumptions ``usage``."""
    pricer = _Pricer(graph, region, usage, graph.by_urn())
    for area in AREAS:
        area(pricer)
    lines, notes = pricer.lines, pricer.notes
    spot_savings, on_demand_by_kind = pricer.spot_savings, pricer.on_demand_by_kind
    commitment = sum(on_demand_by_kind[k] * d for k, d in p.COMMITMENT_DISCOUNTS.items())
    if any(line.unknown for line in lines):
        notes.append("total is a lower bound: some prices are unknown")
    return CostReport(
        region=region,
        # by component then item: the same plan prints the same lines in the same order
        # (resources register concurrently, so graph order can vary between runs)
        lines=tuple(sorted(lines, key=lambda line: (line.component, line.item))),
        spot_savings_usd=round(spot_savings, 2),
        commitment_savings_usd=round(commitment, 2),
        budget_usd=usage.monthly_budget_usd,
        notes=tuple(notes),
    )
