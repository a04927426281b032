"""The CrossGuard pack: ``pulumi preview --policy-pack policies``.

Only builds the pack (the constructor serves gRPC and blocks); rules live in importable
modules under ``policies/rules`` so tests and the offline plan use them directly.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root

from pulumi_policy import PolicyPack

from policies.registry import ALL_POLICIES

PolicyPack(name="platform-policies", policies=list(ALL_POLICIES))
