"""Restore check for the logical database dumps (see check.py)."""
