"""The modes a component accepts, as types: the config models and the components' args use
the same ``Literal``s, so a value the config would refuse cannot reach a component either
(mypy checks the composition)."""

from __future__ import annotations

from typing import Literal

WorkloadKind = Literal["http", "worker", "scheduler", "migration"]
Exposure = Literal["public", "internal", "none"]
Probe = Literal["http", "exec", "none"]
S3Access = Literal["none", "read", "read-write"]
ZoneSpread = Literal["required", "preferred"]
CapacityType = Literal["ON_DEMAND", "SPOT"]
NatGateways = Literal["one_per_az", "single"]
RunnerCompute = Literal["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"]
