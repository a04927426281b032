"""State-backend bootstrap (see cli.py)."""
