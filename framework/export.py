"""`python -m framework.export`: the command lives in framework/commands/export.py."""
import sys

from .commands.export import *  # noqa: F403 (its public names, for `from framework.export import main`)
from .commands.export import main

if __name__ == "__main__":
    sys.exit(main())
