"""Example plugins for npframe, registered through entry points (see pyproject.toml)."""
