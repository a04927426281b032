"""Re-vendor a pinned Helm chart's reference files from a git checkout of its repository.

For ``components/versions.py`` pin ``<chart> <version>`` this writes, under
``tests/fixtures/upstream/charts/<chart>-<version>/``:

- ``values.yaml`` (and ``values.schema.json``, ``Chart.yaml`` where present), verbatim;
- ``template-values.txt``: every ``.Values.<path>`` the chart's templates read, one per line
  (a value may be read without appearing in ``values.yaml``, e.g. a commented example);
- ``subcharts/<name>-values.yaml`` for each dependency whose source is in the same repository.

Usage (the repository from the ``fetch`` tool or a clone)::

    uv run python -m tools.vendor.charts <git-dir> <tag> <chart-path> <out-dir> [dep=tag:path ...]

Write ``SOURCE.md`` by hand: repository, tag, commit, date fetched.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from pathlib import Path

VALUES_REF = re.compile(r"\.Values((?:\.[A-Za-z0-9_]+|\[\s*\"[^\"]+\"\s*\])+)")


def _git(git_dir: str, *args: str) -> str:
    return subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True, text=True
    ).stdout


def template_values(git_dir: str, tag: str, chart: str) -> list[str]:
    files = _git(git_dir, "ls-tree", "-r", "--name-only", tag, f"{chart}/templates").split()
    paths: set[str] = set()
    for name in files:
        for match in VALUES_REF.finditer(_git(git_dir, "show", f"{tag}:{name}")):
            raw = match.group(1)
            parts = re.findall(r"\.([A-Za-z0-9_]+)|\[\s*\"([^\"]+)\"\s*\]", raw)
            paths.add(".".join(a or b for a, b in parts))
    return sorted(paths)


def main() -> None:
    git_dir, tag, chart, out, *deps = sys.argv[1:]
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    for name in ("values.yaml", "values.schema.json", "Chart.yaml"):
        with contextlib.suppress(subprocess.CalledProcessError):
            (target / name).write_text(_git(git_dir, "show", f"{tag}:{chart}/{name}"))
    (target / "template-values.txt").write_text(
        "\n".join(template_values(git_dir, tag, chart)) + "\n"
    )
    for dep in deps:
        name, _, ref = dep.partition("=")
        dep_tag, _, dep_path = ref.partition(":")
        (target / "subcharts").mkdir(exist_ok=True)
        values = _git(git_dir, "show", f"{dep_tag}:{dep_path}/values.yaml")
        (target / "subcharts" / f"{name}-values.yaml").write_text(values)
    print(f"vendored {chart}@{tag} into {target}")


if __name__ == "__main__":
    main()
