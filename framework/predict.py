"""`python -m framework.predict`: the command lives in framework/commands/predict.py."""
import sys

from .commands.predict import *  # noqa: F403 (its public names, for `from framework.predict import main`)
from .commands.predict import main

if __name__ == "__main__":
    sys.exit(main())
