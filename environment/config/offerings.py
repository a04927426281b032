"""Which instance types a region offers, from the vendored ``offerings.json``.

Rebuilt by ``tools/vendor/offerings.py`` (source and date inside the file). A type missing
from a region's list would fail at create time on a real account, after the network and the
cluster exist; the config check stops it before any resource.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Literal

OFFERINGS = Path(__file__).with_name("offerings.json")

Service = Literal["ec2", "rds-postgres", "elasticache"]


@cache
def _offerings() -> dict[str, dict[str, frozenset[str]]]:
    data = json.loads(OFFERINGS.read_text())
    return {
        region: {service: frozenset(types) for service, types in services.items()}
        for region, services in data["regions"].items()
    }


def offered(region: str, service: Service) -> frozenset[str] | None:
    """Types ``service`` offers in ``region``; ``None`` when the region is not in the list."""
    services = _offerings().get(region)
    return services[service] if services else None


def source() -> str:
    data = json.loads(OFFERINGS.read_text())
    return f"{data['source']}, fetched {data['fetched']}"
