"""Vpc under mocks, for both committed stacks."""

from __future__ import annotations

import ipaddress
import json

from tools.offline.harness import PlanResult

NAT = "aws:ec2/natGateway:NatGateway"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"


def _subnets(plan: PlanResult, tier: str) -> list[dict]:
    return [r.inputs for r in plan.graph.of_type(SUBNET) if r.inputs["tags"]["tier"] == tier]


def test_staging_shares_one_nat_and_production_has_one_per_az(
    staging: PlanResult, production: PlanResult
) -> None:
    assert len(staging.graph.of_type(NAT)) == 1
    assert len(production.graph.of_type(NAT)) == 3
    assert len(staging.outputs["natPublicIps"]) == 1
    assert len(production.outputs["natPublicIps"]) == 3


def test_production_private_routes_use_the_nat_of_their_own_az(production: PlanResult) -> None:
    nats = {r.urn: r for r in production.graph.of_type(NAT)}
    private_routes = [r for r in production.graph.of_type(ROUTE) if "private" in r.name]
    assert len(private_routes) == 3
    used = set()
    for route in private_routes:
        (nat_urn,) = route.property_dependencies["natGatewayId"]
        az_index = route.name.rsplit("-", 1)[1]
        assert nats[nat_urn].name.endswith(f"-nat-{az_index}")
        used.add(nat_urn)
    assert len(used) == 3


def test_subnets_lie_in_the_vpc_cidr_and_spread_over_three_azs(plan: PlanResult) -> None:
    (vpc,) = plan.graph.of_type("aws:ec2/vpc:Vpc")
    cidr = ipaddress.IPv4Network(vpc.inputs["cidrBlock"])
    subnets = plan.graph.of_type(SUBNET)
    assert len(subnets) == 9
    nets = [ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in subnets]
    assert all(n.subnet_of(cidr) for n in nets)
    assert len(set(nets)) == 9
    for tier in ("public", "private", "database"):
        zones = [s["availabilityZone"] for s in _subnets(plan, tier)]
        assert sorted(zones) == plan.outputs["availabilityZones"]


def test_load_balancer_subnet_tags(plan: PlanResult) -> None:
    assert all(s["tags"]["kubernetes.io/role/elb"] == "1" for s in _subnets(plan, "public"))
    assert all(
        s["tags"]["kubernetes.io/role/internal-elb"] == "1" for s in _subnets(plan, "private")
    )
    assert not any("kubernetes.io/role/elb" in s["tags"] for s in _subnets(plan, "private"))
    assert all(
        s["mapPublicIpOnLaunch"] is False for s in plan.graph.of_type(SUBNET) for s in [s.inputs]
    )


def test_database_subnets_have_no_route_to_the_internet(plan: PlanResult) -> None:
    routes = plan.graph.of_type(ROUTE)
    assert not [r for r in routes if "database" in r.name]
    assert all(r.inputs["destinationCidrBlock"] == "0.0.0.0/0" for r in routes)


def test_flow_logs_capture_all_traffic_with_a_least_privilege_role(plan: PlanResult) -> None:
    (flow,) = plan.graph.of_type("aws:ec2/flowLog:FlowLog")
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs"
    group = next(
        g
        for g in plan.graph.of_type("aws:cloudwatch/logGroup:LogGroup")
        if g.outputs["arn"] == flow.inputs["logDestination"]
    )
    assert flow.inputs["logDestination"] == group.outputs["arn"]
    expected_retention = 30 if plan.stack == "staging" else 365
    assert group.inputs["retentionInDays"] == expected_retention

    role = next(r for r in plan.graph.of_type("aws:iam/role:Role") if "flow-logs" in r.name)
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    policy = next(
        r for r in plan.graph.of_type("aws:iam/rolePolicy:RolePolicy") if "flow" in r.name
    )
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert "*" not in json.dumps(statement["Action"])
    assert statement["Resource"] == [group.outputs["arn"], group.outputs["arn"] + ":*"]


def test_s3_gateway_endpoint_serves_private_and_database_route_tables(plan: PlanResult) -> None:
    endpoints = plan.graph.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    (s3,) = [e for e in endpoints if e.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"]
    assert s3.inputs["vpcEndpointType"] == "Gateway"
    assert len(s3.inputs["routeTableIds"]) == 4  # 3 private + 1 database


def test_interface_endpoints_only_where_configured(
    staging: PlanResult, production: PlanResult
) -> None:
    def interface(plan: PlanResult) -> set[str]:
        return {
            e.inputs["serviceName"].removeprefix("com.amazonaws.us-east-1.")
            for e in plan.graph.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
            if e.inputs["vpcEndpointType"] == "Interface"
        }

    assert interface(staging) == set()
    assert interface(production) == {"ecr.api", "ecr.dkr", "sts", "secretsmanager", "logs"}
    for e in production.graph.of_type("aws:ec2/vpcEndpoint:VpcEndpoint"):
        if e.inputs["vpcEndpointType"] == "Interface":
            assert e.inputs["privateDnsEnabled"] is True


def test_default_security_group_is_emptied(plan: PlanResult) -> None:
    (sg,) = plan.graph.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert not sg.inputs.get("ingress")
    assert not sg.inputs.get("egress")


def test_every_vpc_child_is_parented_to_the_component(plan: PlanResult) -> None:
    (component,) = plan.graph.of_type("platform:components:Vpc")
    children = [r for r in plan.graph if r.type.startswith("aws:") and r.parent == component.urn]
    assert len(children) == sum(
        1 for r in plan.graph if r.urn.split("::")[2].startswith("platform:components:Vpc$")
    )
    assert len(children) >= 30


def test_zone_lookup_is_stable_when_a_zone_is_impaired(plan: PlanResult) -> None:
    """Filtering on state "available" would drop a briefly impaired zone from the list and
    shift the others: subnets, node groups and subnet groups would be replaced."""
    lookups = [a for t, a in plan.calls if t.endswith("getAvailabilityZones")]
    assert lookups
    for args in lookups:
        assert "state" not in args
        assert args["filters"] == [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
