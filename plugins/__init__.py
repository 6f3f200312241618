"""Built-in plugins. Each registers through this project's pyproject.toml entry points, exactly as a
third-party package would; the core never imports them by name."""
