"""The commands: `python -m framework.run`, `.evaluate`, `.predict`, `.export`, `.plugins`, and their shared
helpers (`cli`: exit codes, one-line errors, output paths)."""
