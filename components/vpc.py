"""Vpc: a three-tier VPC (public, private, database subnets) with NAT, flow logs and endpoints."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from ._util import plan_subnets, policy_document, service_trust_policy
from .modes import NatGateways

TYPE_PREFIX = "platform:components"


@dataclass(frozen=True, kw_only=True)
class VpcArgs:
    """Inputs of :class:`Vpc`. Defaults are the production-safe choice."""

    region: str
    """Region the VPC lives in (endpoint service names are regional)."""

    cidr: str
    """VPC CIDR; subnets are carved from it by :func:`components._util.plan_subnets`."""

    az_count: int
    """Availability zones to span (the first ``az_count`` available zones of the region)."""

    nat_gateways: NatGateways
    """``one_per_az``: each AZ's private subnet leaves through its own NAT (no cross-AZ
    dependency); ``single``: one shared NAT in the first AZ (cheaper, one point of failure)."""

    flow_log_retention_days: int
    """CloudWatch Logs retention of the VPC flow logs."""

    flow_log_traffic_type: Literal["ALL", "ACCEPT", "REJECT"]
    """Traffic recorded by the flow logs."""

    dynamodb_endpoint: bool
    """Also add a DynamoDB gateway endpoint (S3's is always there: it is free)."""

    interface_endpoints: Sequence[str]
    """Interface endpoints in the private subnets, reachable on 443 from inside the VPC."""

    private_subnet_tags: Mapping[str, str] = field(default_factory=dict)
    """Extra tags for private subnets (e.g. ``karpenter.sh/discovery``)."""


class Vpc(pulumi.ComponentResource):
    """A VPC with public, private and database subnets in ``az_count`` AZs.

    Public subnets route to an internet gateway and hold the NAT gateways and internet-facing
    load balancers (``kubernetes.io/role/elb``). Private subnets hold nodes and pods, leave
    through NAT and carry ``kubernetes.io/role/internal-elb``. Database subnets have no route
    to the internet at all. The default security group is emptied, flow logs are always on.
    """

    vpc_id: pulumi.Output[str]
    cidr_block: pulumi.Output[str]
    availability_zones: pulumi.Output[list[str]]
    private_subnet_ids_by_zone: list[pulumi.Output[str]]
    """One private subnet id per zone, in zone order (per-zone node groups)."""
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    database_subnet_ids: pulumi.Output[list[str]]
    nat_public_ips: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: VpcArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TYPE_PREFIX}:Vpc", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        plan = plan_subnets(ipaddress.IPv4Network(args.cidr), args.az_count)

        az_names = self._zones(args)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": name},
            opts=child,
        )
        # CIS AWS 5.4: the default security group allows nothing.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=vpc.id, tags={"Name": f"{name}-default"}, opts=child
        )
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={"Name": name}, opts=child)

        def zone(index: int) -> pulumi.Output[str]:
            return az_names.apply(lambda azs: azs[index])

        def subnets(
            tier: str, cidrs: Sequence[ipaddress.IPv4Network], tags: Mapping[str, str]
        ) -> list[aws.ec2.Subnet]:
            return [
                aws.ec2.Subnet(
                    f"{name}-{tier}-{i}",
                    vpc_id=vpc.id,
                    cidr_block=str(cidr),
                    availability_zone=zone(i),
                    map_public_ip_on_launch=False,
                    tags={**tags, "Name": f"{name}-{tier}-{i}", "tier": tier},
                    opts=child,
                )
                for i, cidr in enumerate(cidrs)
            ]

        public = subnets("public", plan.public, {"kubernetes.io/role/elb": "1"})
        private = subnets(
            "private",
            plan.private,
            {"kubernetes.io/role/internal-elb": "1", **args.private_subnet_tags},
        )
        database = subnets("database", plan.database, {})

        nats, private_rts, database_rt = self._routes(
            name, args, vpc, igw, (public, private, database), child
        )
        self._endpoints(name, args, vpc, private, [*private_rts, database_rt], child)

        self._flow_logs(name, args, vpc, child)

        self.vpc_id = vpc.id
        self.cidr_block = vpc.cidr_block
        self.availability_zones = az_names
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private])
        self.private_subnet_ids_by_zone = [s.id for s in private]
        self.database_subnet_ids = pulumi.Output.all(*[s.id for s in database])
        self.nat_public_ips = pulumi.Output.all(*[n.public_ip for n in nats])
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "cidr_block": self.cidr_block,
                "availability_zones": self.availability_zones,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "database_subnet_ids": self.database_subnet_ids,
                "nat_public_ips": self.nat_public_ips,
            }
        )

    def _zones(self, args: VpcArgs) -> pulumi.Output[list[str]]:
        """The first ``az_count`` zones of the region that need no opt-in."""
        # No state filter: a zone that is briefly "impaired" must not drop out of the list and
        # shift every later zone (that would replace subnets, node groups, subnet groups).
        zones = aws.get_availability_zones_output(
            filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        az_names = zones.names.apply(lambda names: _first_zones(names, args.az_count))
        return az_names

    def _routes(
        self,
        name: str,
        args: VpcArgs,
        vpc: aws.ec2.Vpc,
        igw: aws.ec2.InternetGateway,
        tiers: tuple[list[aws.ec2.Subnet], list[aws.ec2.Subnet], list[aws.ec2.Subnet]],
        child: pulumi.ResourceOptions,
    ) -> tuple[list[aws.ec2.NatGateway], list[aws.ec2.RouteTable], aws.ec2.RouteTable]:
        """Public tier to the internet gateway, private tier through NAT, database tier local."""
        public, private, database = tiers
        # Public tier: one route table, default route to the internet gateway.
        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=vpc.id, tags={"Name": f"{name}-public"}, opts=child
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        for i, subnet in enumerate(public):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i}", subnet_id=subnet.id, route_table_id=public_rt.id, opts=child
            )

        # NAT: one per AZ, or one shared in the first AZ.
        nat_count = args.az_count if args.nat_gateways == "one_per_az" else 1
        nats = []
        for i in range(nat_count):
            eip = aws.ec2.Eip(
                f"{name}-nat-{i}", domain="vpc", tags={"Name": f"{name}-nat-{i}"}, opts=child
            )
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    allocation_id=eip.allocation_id,
                    subnet_id=public[i].id,
                    connectivity_type="public",
                    tags={"Name": f"{name}-nat-{i}"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )

        # Private tier: a route table per AZ so each can use its own NAT.
        private_rts = []
        for i, subnet in enumerate(private):
            rt = aws.ec2.RouteTable(
                f"{name}-private-rt-{i}",
                vpc_id=vpc.id,
                tags={"Name": f"{name}-private-{i}"},
                opts=child,
            )
            aws.ec2.Route(
                f"{name}-private-default-{i}",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nats[i % nat_count].id,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{i}", subnet_id=subnet.id, route_table_id=rt.id, opts=child
            )
            private_rts.append(rt)

        # Database tier: local routes only (plus the S3 gateway endpoint for dumps/exports).
        database_rt = aws.ec2.RouteTable(
            f"{name}-database-rt", vpc_id=vpc.id, tags={"Name": f"{name}-database"}, opts=child
        )
        for i, subnet in enumerate(database):
            aws.ec2.RouteTableAssociation(
                f"{name}-database-{i}",
                subnet_id=subnet.id,
                route_table_id=database_rt.id,
                opts=child,
            )

        return nats, private_rts, database_rt

    def _endpoints(
        self,
        name: str,
        args: VpcArgs,
        vpc: aws.ec2.Vpc,
        private: list[aws.ec2.Subnet],
        route_tables: list[aws.ec2.RouteTable],
        child: pulumi.ResourceOptions,
    ) -> None:
        """Gateway endpoints on every private and database route table; interface endpoints
        in the private subnets when configured."""
        # Gateway endpoints are free and keep S3 (image layers, backups) off the NAT bill.
        gateway_rt_ids = [rt.id for rt in route_tables]
        gateway_services = ["s3"] + (["dynamodb"] if args.dynamodb_endpoint else [])
        for service in gateway_services:
            aws.ec2.VpcEndpoint(
                f"{name}-{service}",
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=gateway_rt_ids,
                tags={"Name": f"{name}-{service}"},
                opts=child,
            )

        if args.interface_endpoints:
            endpoint_sg = aws.ec2.SecurityGroup(
                f"{name}-endpoints",
                vpc_id=vpc.id,
                description="HTTPS from inside the VPC to interface endpoints",
                ingress=[
                    {
                        "protocol": "tcp",
                        "from_port": 443,
                        "to_port": 443,
                        "cidr_blocks": [args.cidr],
                        "description": "HTTPS from the VPC",
                    }
                ],
                tags={"Name": f"{name}-endpoints"},
                opts=child,
            )
            for service in args.interface_endpoints:
                aws.ec2.VpcEndpoint(
                    f"{name}-{service.replace('.', '-')}",
                    vpc_id=vpc.id,
                    service_name=f"com.amazonaws.{args.region}.{service}",
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=[s.id for s in private],
                    security_group_ids=[endpoint_sg.id],
                    tags={"Name": f"{name}-{service}"},
                    opts=child,
                )

    def _flow_logs(
        self, name: str, args: VpcArgs, vpc: aws.ec2.Vpc, child: pulumi.ResourceOptions
    ) -> None:
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/vpc/{name}/flow-logs",
            retention_in_days=args.flow_log_retention_days,
            opts=child,
        )
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        role = aws.iam.Role(
            f"{name}-flow-logs",
            assume_role_policy=account.account_id.apply(
                lambda acct: service_trust_policy("vpc-flow-logs.amazonaws.com", acct)
            ),
            description=f"VPC flow logs of {name} to CloudWatch Logs",
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=log_group.arn.apply(
                lambda arn: policy_document(
                    {
                        "Effect": "Allow",
                        "Action": [
                            "logs:CreateLogStream",
                            "logs:PutLogEvents",
                            "logs:DescribeLogStreams",
                        ],
                        "Resource": [arn, f"{arn}:*"],
                    }
                )
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=vpc.id,
            traffic_type=args.flow_log_traffic_type,
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{name}-flow-logs"},
            opts=child,
        )


def _first_zones(names: Sequence[str], count: int) -> list[str]:
    zones = sorted(names)
    if len(zones) < count:
        raise ValueError(f"region offers {len(zones)} availability zones, {count} requested")
    return zones[:count]
