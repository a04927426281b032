"""Every policy of the pack, collected from ``policies/rules`` (each module's ``POLICY``, or
``POLICIES`` for a family of rules such as the Pod Security Standards controls)."""

from __future__ import annotations

import importlib
import pkgutil

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from . import rules

Policy = ResourceValidationPolicy | StackValidationPolicy


def _collect() -> list[Policy]:
    found: list[Policy] = []
    for info in pkgutil.walk_packages(rules.__path__, prefix=f"{rules.__name__}."):
        module = importlib.import_module(info.name)
        policy = getattr(module, "POLICY", None)
        if policy is not None:
            found.append(policy)
        found.extend(getattr(module, "POLICIES", []))
    names = [p.name for p in found]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate policy names: {sorted(duplicates)}")
    return sorted(found, key=lambda p: p.name)


ALL_POLICIES: list[Policy] = _collect()
