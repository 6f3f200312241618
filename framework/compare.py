"""`python -m framework.compare`: the command lives in framework/experiments/compare.py."""
import sys

from .experiments.compare import *  # noqa: F403 (its public names, for `from framework.compare import main`)
from .experiments.compare import main

if __name__ == "__main__":
    sys.exit(main())
