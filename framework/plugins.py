"""`python -m framework.plugins`: the command lives in framework/commands/plugins.py."""
import sys

from .commands.plugins import *  # noqa: F403 (its public names, for `from framework.plugins import main`)
from .commands.plugins import main

if __name__ == "__main__":
    sys.exit(main())
