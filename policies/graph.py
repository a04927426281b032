"""The resource graph an offline plan produces.

One :class:`Resource` per resource the program registered under mocks: its type, name, parent,
dependencies, the inputs as the provider would receive them (camelCase wire names, exactly what
a CrossGuard policy sees as ``props``), the mocked outputs and the resource options that
``Mocks.new_resource`` cannot see (captured by the harness's monitor).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ResourceOptions:
    """The resource options that reach the engine (and matter for safety)."""

    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    ignore_changes: tuple[str, ...] = ()
    replace_on_changes: tuple[str, ...] = ()
    additional_secret_outputs: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    deleted_with: str | None = None


@dataclass(frozen=True)
class Resource:
    """One registered resource (custom or component)."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    options: ResourceOptions = field(default_factory=ResourceOptions)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Resource:
        opts = data.get("options") or {}
        return cls(
            urn=data["urn"],
            type=data["type"],
            name=data["name"],
            custom=data.get("custom", True),
            parent=data.get("parent"),
            provider=data.get("provider"),
            dependencies=tuple(data.get("dependencies", ())),
            property_dependencies={
                k: tuple(v) for k, v in (data.get("property_dependencies") or {}).items()
            },
            inputs=data.get("inputs") or {},
            outputs=data.get("outputs") or {},
            options=ResourceOptions(
                **{k: tuple(v) if isinstance(v, list) else v for k, v in opts.items()}  # type: ignore[arg-type]
            ),
        )


@dataclass(frozen=True)
class ResourceGraph:
    """All resources of one program run, in registration order."""

    resources: tuple[Resource, ...]

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str, type_: str | None = None) -> Resource:
        """The one resource with this logical name (and type, when names are shared)."""
        matches = [
            r for r in self.resources if r.name == name and (type_ is None or r.type == type_)
        ]
        if len(matches) != 1:
            raise KeyError(f"expected exactly one resource named {name!r}, found {len(matches)}")
        return matches[0]

    def children(self, urn: str) -> list[Resource]:
        return [r for r in self.resources if r.parent == urn]

    def descendants(self, urn: str) -> Iterable[Resource]:
        for child in self.children(urn):
            yield child
            yield from self.descendants(child.urn)

    def edges(self) -> list[tuple[str, str]]:
        """(dependent, dependency) pairs: explicit depends_on plus property dependencies."""
        out: set[tuple[str, str]] = set()
        for r in self.resources:
            for dep in r.dependencies:
                out.add((r.urn, dep))
            for deps in r.property_dependencies.values():
                out.update((r.urn, d) for d in deps)
        return sorted(out)
