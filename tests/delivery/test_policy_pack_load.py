"""The policy pack starts the way the Pulumi CLI starts it, from its own environment.

The CLI (>= 3.169) boots a Python pack through the language host's ``RunPlugin``: with the uv
toolchain it syncs the pack's ``pyproject.toml`` into ``policies/.venv``, then runs
``python -u -m pulumi.policy <engine address> <pack directory>`` in the pack directory with
``PULUMI_PROJECT``/``PULUMI_STACK``/``PULUMI_DRY_RUN``/``PULUMI_CONFIG`` set; the pack serves
gRPC and prints its port (pulumi sdk/python/cmd/pulumi-language-python/main.go RunPlugin;
pulumi-policy policy.py). This test does exactly that, so a pack that cannot import or build
fails here instead of on the first pull request.
"""

from __future__ import annotations

import os
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policies"


def _pins(lock: Path) -> dict[str, str]:
    packages = tomllib.loads(lock.read_text())["package"]
    return {p["name"]: p["version"] for p in packages if p["name"] in ("pulumi", "pulumi-policy")}


def test_pack_declares_the_uv_toolchain_and_the_projects_versions() -> None:
    runtime = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())["runtime"]
    assert runtime == {"name": "python", "options": {"toolchain": "uv"}}
    assert not (PACK / "requirements.txt").exists()
    # the pack and the program agree on the SDK the engine talks to
    assert _pins(PACK / "uv.lock") == _pins(ROOT / "uv.lock")


def test_pack_boots_as_the_cli_boots_it() -> None:
    subprocess.run(
        ["uv", "sync", "--frozen", "--quiet", "--project", str(PACK)], check=True, cwd=ROOT
    )
    env = {
        **os.environ,
        "PULUMI_PROJECT": "platform",
        "PULUMI_STACK": "staging",
        "PULUMI_DRY_RUN": "true",
        "PULUMI_CONFIG": "{}",
    }
    env.pop("VIRTUAL_ENV", None)
    process = subprocess.Popen(
        [str(PACK / ".venv" / "bin" / "python"), "-u", "-m", "pulumi.policy",
         "127.0.0.1:1", str(PACK)],
        cwd=PACK, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()  # blocks until the port or an exit
        if not first.isdigit():
            process.kill()
            raise AssertionError(f"pack did not start: {first!r}\n{process.stderr.read()}")
    finally:
        process.kill()
        process.wait(timeout=10)
