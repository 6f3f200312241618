"""`python -m framework.plugins [--check]`: every plugin by group, with the distribution that provides it.

Listing reads metadata only; `--check` also imports each plugin and warns about the ones that fail.
"""
from __future__ import annotations

import argparse
import sys
import warnings

from .. import registry
from . import cli


@cli.command
def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m framework.plugins", description="Every installed plugin "
                                "by group, with the distribution that provides it.",
                                epilog="Exit codes: 0 listed (with --check: every plugin imports); 1 a plugin failed "
                                       "to import (--check; a warning line each); 2 two packages register one name.")
    p.add_argument("--check", action="store_true", help="import every plugin and report the broken ones")
    args = p.parse_args(argv)
    broken = 0
    for group in registry.GROUPS:
        try:
            plugins = registry.available(group)
        except registry.PluginError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"{registry.PREFIX}{group}")
        if not plugins:
            print("  (none)")
        width = max([16, *map(len, plugins)])
        for name, pi in plugins.items():
            status = ""
            if args.check:
                try:
                    pi.load()
                    status = "  ok"
                except registry.PluginError as e:
                    warnings.warn(str(e), RuntimeWarning, stacklevel=1)
                    status, broken = "  BROKEN", broken + 1
            print(f"  {name:<{width}} {pi.dist} {pi.version:<8} {pi.target}{status}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
