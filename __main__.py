"""Pulumi entry point: everything lives in ``environment.compose``."""

from environment.compose import run

run()
