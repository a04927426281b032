"""``uv run plan <stack>``: the offline plan of a stack, with no cloud and no Pulumi CLI.

Runs the real program (``environment.compose.run``) under Pulumi mocks with the stack's config
file and prints the component tree, the stack outputs (secrets masked) and a summary line.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from policies.graph import Resource
from policies.offline import PolicyReport, evaluate, load_config
from tools.offline import changes
from tools.offline.harness import REPO_ROOT, PlanResult, run_program
from tools.report import report as plan_report

from .manifests import write_manifests
from .tree import render_outputs, render_tree, summary_line

EXIT_OK = 0
EXIT_CONFIG_ERROR = 2
EXIT_POLICY_VIOLATION = 3
EXIT_GUARDED_REPLACEMENT = 4


def stack_file_for(stack: str, config_file: str | None) -> Path:
    if config_file:
        return Path(config_file)
    return REPO_ROOT / f"Pulumi.{stack}.yaml"


def plan_json(result: PlanResult) -> dict[str, object]:
    """The full plan as JSON: resource graph (type, name, parent, dependencies, inputs,
    options) and outputs, secret outputs masked."""
    return {
        "stack": result.stack,
        "resources": [r.to_json() for r in result.graph],
        "outputs": {
            k: ("[secret]" if k in result.secret_outputs else v) for k, v in result.outputs.items()
        },
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plan", description="Offline plan of a stack (Pulumi mocks; no cloud needed)."
    )
    parser.add_argument("stack", help="stack name, e.g. staging or production")
    parser.add_argument("--config-file", help="stack file to plan (default Pulumi.<stack>.yaml)")
    parser.add_argument("--json", metavar="FILE", help="write the full resource graph as JSON")
    parser.add_argument(
        "--manifests", metavar="DIR", help="write every Kubernetes object as YAML under DIR"
    )
    parser.add_argument(
        "--format",
        choices=("text", "markdown"),
        default="text",
        help="markdown: print the plan report as Markdown (for a PR comment) instead of text",
    )
    parser.add_argument(
        "--program",
        metavar="MODULE:FUNCTION",
        help="plan another program than the project's (e.g. the insecure test fixture)",
    )
    parser.add_argument(
        "--policy-config",
        metavar="FILE",
        help="policy pack config (default policies/config/<stack>.json)",
    )
    parser.add_argument(
        "--policy-report-only",
        action="store_true",
        help="list policy violations but exit 0 even when a mandatory rule fails",
    )
    parser.add_argument(
        "--against",
        metavar="GIT_REF",
        help="what changing the stack from its file at GIT_REF to this one does: creates, "
        "updates, replacements and deletions, replacements first (exit 4 when a stateful or "
        "slow resource would be replaced or deleted)",
    )
    parser.add_argument(
        "--accept-replacements",
        action="store_true",
        help="with --against: exit 0 even when a stateful or slow resource is replaced",
    )
    return parser


def diff_main(argv: list[str]) -> int:
    """``plan diff <left> <right>``: what differs between two stacks."""
    parser = argparse.ArgumentParser(
        prog="plan diff", description="Compare two stacks' capacity, HA, retention and cost."
    )
    parser.add_argument("left")
    parser.add_argument("right")
    parser.add_argument("--format", choices=("text", "markdown"), default="text")
    parser.add_argument("--all", action="store_true", help="show equal rows too")
    args = parser.parse_args(argv)
    reports = []
    for stack in (args.left, args.right):
        path = stack_file_for(stack, None)
        result = run_program(path, stack=stack) if path.is_file() else None
        if result is None or result.error is not None:
            reason = result.error if result else f"no stack file {path}"
            print(f"plan diff: {stack}: {reason}", file=sys.stderr)
            return EXIT_CONFIG_ERROR
        reports.append(plan_report.build(result))
    print(
        plan_report.render_diff(
            reports[0], reports[1], markdown=args.format == "markdown", all_rows=args.all
        ),
        end="",
    )
    return EXIT_OK


class Progress:
    """In a terminal, one self-overwriting line: resources registered so far and the last
    one (a plan of a full stack takes seconds; silence looks like a hang). Elsewhere (CI logs,
    pipes) nothing, so logs stay clean."""

    def __init__(self, stream: TextIO, stack: str, interval: float = 0.1) -> None:
        self._stream = stream
        self._stack = stack
        self._interval = interval
        self._last = 0.0
        self._shown = False
        self.enabled = stream.isatty()

    def __call__(self, count: int, resource: Resource) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < self._interval:
            return
        self._last = now
        line = f"plan {self._stack}: {count} resources registered ({resource.type})"
        self._stream.write(f"\r\033[K{line[:120]}")
        self._stream.flush()
        self._shown = True

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: object) -> None:
        if self._shown:
            self._stream.write("\r\033[K")
            self._stream.flush()


def against_main(args: argparse.Namespace, after: PlanResult, program: Any) -> int:
    """``plan <stack> --against <ref>``: the stack file at ``ref`` versus now."""
    name = f"Pulumi.{args.stack}.yaml"
    shown = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "show", f"{args.against}:{name}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if shown.returncode != 0:
        print(f"plan {args.stack}: no {name} at {args.against}: {shown.stderr.strip()}",
              file=sys.stderr)  # fmt: skip
        return EXIT_CONFIG_ERROR
    with tempfile.TemporaryDirectory() as tmp:
        old_file = Path(tmp) / name
        old_file.write_text(shown.stdout)
        before = run_program(old_file, program=program, stack=args.stack)
    if before.error is not None:
        print(f"plan {args.stack} at {args.against}: {before.error}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    found = changes.compare(before.graph, after.graph)
    print(f"{args.stack}: {args.against} -> working tree (offline, under mocks)")
    print(changes.render(found, color=sys.stdout.isatty()), end="")
    guarded = [c for c in found if c.guarded]
    if guarded and not args.accept_replacements:
        print(
            f"{len(guarded)} stateful or slow resource(s) would be replaced or deleted; "
            "re-run with --accept-replacements if that is intended",
            file=sys.stderr,
        )
        return EXIT_GUARDED_REPLACEMENT
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["diff"]:
        return diff_main(argv[1:])
    args = build_parser().parse_args(argv)
    path = stack_file_for(args.stack, args.config_file)
    if not path.is_file():
        print(f"plan: no stack file {path}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    program = None
    if args.program:
        module, _, function = args.program.partition(":")
        program = getattr(importlib.import_module(module), function or "main")
    with Progress(sys.stderr, args.stack) as progress:
        result = run_program(path, program=program, stack=args.stack, progress=progress)
    if result.error is not None:
        print(f"plan {args.stack}: {path.name}: {result.error}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    if args.against:
        return against_main(args, result, program)

    # a primary's report models its warm standby's failover and shows its cost
    report = _report_with_standby(args, result)
    if report is None:
        return EXIT_CONFIG_ERROR
    policy_config = (
        json.loads(Path(args.policy_config).read_text())
        if args.policy_config
        else load_config(args.stack)
    )
    policies = evaluate(result.graph, policy_config)
    markdown = args.format == "markdown"
    # In Markdown mode stdout is the report alone (redirect it into a PR comment).
    info = sys.stderr if markdown else sys.stdout
    _print_report(args, path, result, report, policies)

    if args.json:
        document = plan_json(result)
        document["report"] = report.to_json()
        document["policies"] = policies.to_json()
        Path(args.json).write_text(json.dumps(document, indent=2, sort_keys=True))
        print(f"wrote {args.json}", file=info)
    if args.manifests:
        written = write_manifests(result.graph, Path(args.manifests))
        print(f"wrote {len(written)} manifests under {args.manifests}", file=info)
    print(summary_line(args.stack, result.graph), file=info)
    if policies.mandatory:
        verdict = "reported only" if args.policy_report_only else "plan fails"
        print(
            f"plan {args.stack}: {len(policies.mandatory)} mandatory policy violation(s): "
            f"{', '.join(sorted({v.policy for v in policies.mandatory}))} ({verdict})",
            file=sys.stderr,
        )
        if not args.policy_report_only:
            return EXIT_POLICY_VIOLATION
    return EXIT_OK


def _print_report(
    args: argparse.Namespace,
    path: Path,
    result: PlanResult,
    report: plan_report.PlanReport,
    policies: PolicyReport,
) -> None:
    """The report on stdout: Markdown alone (a PR comment), or the tree, outputs and text."""
    if args.format == "markdown":
        print(plan_report.render_markdown(report), end="")
        print(render_policies_markdown(policies), end="")
        return
    print(f"Resources of stack {args.stack} ({path.name}):")
    for line in render_tree(result.graph):
        print(f"  {line}")
    print("Outputs:")
    for line in render_outputs(result.outputs, result.secret_outputs):
        print(line)
    for line in plan_report.render_text(report):
        print(line)
    for line in policies.render_text():
        print(line)


def _report_with_standby(
    args: argparse.Namespace, result: PlanResult
) -> plan_report.PlanReport | None:
    """The plan report; a committed stack's with its standby's failover and cost (None, said
    on stderr: the standby does not plan)."""
    try:
        standby = plan_report.standby_plan(args.stack) if args.config_file is None else None
    except plan_report.StandbyError as exc:
        print(f"plan {args.stack}: {exc}", file=sys.stderr)
        return None
    return plan_report.build(result, standby)


def render_policies_markdown(policies: PolicyReport) -> str:
    lines = [
        "",
        f"**Policies**: {policies.policies} rules, {len(policies.mandatory)} mandatory and "
        f"{len(policies.advisory)} advisory violation(s)",
        "",
    ]
    for v in (*policies.mandatory, *policies.advisory):
        lines.append(f"- `{v.level}` **{v.policy}**: {v.message}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
