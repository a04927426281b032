"""The pure subnet planner: tiers never overlap and always lie inside the VPC."""

from __future__ import annotations

import ipaddress
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components._util import MAX_AZS, plan_subnets

PRIVATE_RANGES = [
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
]


@st.composite
def vpc_cidrs(draw: st.DrawFn) -> ipaddress.IPv4Network:
    space = draw(st.sampled_from(PRIVATE_RANGES))
    prefix = draw(st.integers(min_value=max(16, space.prefixlen), max_value=20))
    count = 2 ** (prefix - space.prefixlen)
    index = draw(st.integers(min_value=0, max_value=count - 1))
    return ipaddress.IPv4Network((int(space.network_address) + index * 2 ** (32 - prefix), prefix))


@given(cidr=vpc_cidrs(), az_count=st.integers(min_value=1, max_value=MAX_AZS))
def test_subnets_are_disjoint_inside_the_vpc_one_per_az_and_tier(
    cidr: ipaddress.IPv4Network, az_count: int
) -> None:
    plan = plan_subnets(cidr, az_count)
    assert len(plan.public) == len(plan.private) == len(plan.database) == az_count
    subnets = plan.all()
    assert all(s.subnet_of(cidr) for s in subnets)
    for a, b in itertools.combinations(subnets, 2):
        assert not a.overlaps(b), f"{a} overlaps {b}"
    # AWS needs at least /28; private subnets are the big ones (pods take VPC IPs).
    assert all(s.prefixlen <= 28 for s in subnets)
    assert plan.private[0].num_addresses == 8 * plan.public[0].num_addresses


@given(cidr=vpc_cidrs(), az_count=st.integers(min_value=1, max_value=MAX_AZS - 1))
def test_adding_an_az_keeps_existing_subnets(cidr: ipaddress.IPv4Network, az_count: int) -> None:
    before, after = plan_subnets(cidr, az_count), plan_subnets(cidr, az_count + 1)
    assert after.public[:az_count] == before.public
    assert after.private[:az_count] == before.private
    assert after.database[:az_count] == before.database


def test_a_slash_16_gives_19_private_and_22_public_and_database() -> None:
    plan = plan_subnets(ipaddress.IPv4Network("10.0.0.0/16"), 3)
    assert [str(s) for s in plan.private] == ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"]
    assert [str(s) for s in plan.public] == ["10.0.192.0/22", "10.0.196.0/22", "10.0.200.0/22"]
    assert [str(s) for s in plan.database] == ["10.0.224.0/22", "10.0.228.0/22", "10.0.232.0/22"]


@pytest.mark.parametrize("az_count", [0, MAX_AZS + 1])
def test_az_count_out_of_range_is_refused(az_count: int) -> None:
    with pytest.raises(ValueError, match="az_count"):
        plan_subnets(ipaddress.IPv4Network("10.0.0.0/16"), az_count)
