"""`python -m framework.generate`: the command lives in framework/commands/generate.py."""
import sys

from .commands.generate import *  # noqa: F403 (its public names, for `from framework.generate import main`)
from .commands.generate import main

if __name__ == "__main__":
    sys.exit(main())
