"""Images are pinned to a version tag or a digest."""

from policies.lib import MANDATORY, WORKLOAD_TYPES, Subject, containers, resource_rule


def pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    return ":" in last and not last.endswith(":latest")


def check(r: Subject) -> list[str]:
    return [
        f"{r.name}/{c.get('name')} runs unpinned image {c.get('image')!r}"
        for c in containers(r.props)
        if not pinned(str(c.get("image", "")))
    ]


POLICY = resource_rule(
    "kubernetes-no-latest-image",
    "Container images are pinned (a version tag or a digest; never :latest or untagged).",
    MANDATORY,
    WORKLOAD_TYPES,
    check,
    "pin the image to a release tag or @sha256 digest",
)
