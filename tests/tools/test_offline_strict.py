"""Strict mode: a component reading an output the mocks never produce fails, instead of
planning a resource whose input silently vanished."""

from __future__ import annotations

from pathlib import Path

import pulumi_aws as aws
import pytest

from tests.conftest import EXAMPLES, REPO
from tools.offline.harness import read_stack_file, run_with_config, stack_name_of


def _reads_an_unmocked_output() -> None:
    bucket = aws.s3.Bucket("b", bucket="x")
    aws.ssm.Parameter("p", type="String", value="v", description=bucket.hosted_zone_id)


def test_strict_mode_names_the_input_built_from_an_unmocked_output() -> None:
    lax = run_with_config({"aws:region": "us-east-1"}, "t", _reads_an_unmocked_output)
    assert lax.error is None  # the input just vanished
    strict = run_with_config(
        {"aws:region": "us-east-1"}, "t", _reads_an_unmocked_output, strict=True
    )
    assert strict.error is not None
    assert "p.description" in strict.error


@pytest.mark.parametrize(
    "path",
    [REPO / "Pulumi.staging.yaml", REPO / "Pulumi.production.yaml", *EXAMPLES],
    ids=lambda p: p.name,
)
def test_every_stack_reads_only_what_the_mocks_produce(path: Path) -> None:
    config, secret_keys = read_stack_file(path)
    result = run_with_config(config, stack_name_of(path), None, secret_keys, strict=True)
    assert result.error is None, result.error
