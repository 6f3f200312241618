"""`python -m framework.evaluate`: the command lives in framework/commands/evaluate.py."""
import sys

from .commands.evaluate import *  # noqa: F403 (its public names, for `from framework.evaluate import main`)
from .commands.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
