"""`python -m framework.run`: the command lives in framework/commands/run.py."""
import sys

from .commands.run import *  # noqa: F403 (its public names, for `from framework.run import main`)
from .commands.run import main

if __name__ == "__main__":
    sys.exit(main())
