"""`python -m framework.generate RUN_DIR [--prompt TEXT] [--length N] [--temperature T] [--top-k K] [--seed S]`:
text written by a trained character-level model (a run of the `text` dataset), after the prompt."""
from __future__ import annotations

import argparse
import sys
import time

from ..inference import InputError, load
from . import cli


@cli.command
def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m framework.generate",
                                description="Text a trained character-level model writes after a prompt.",
                                epilog="Exit codes: 0 done, 2 a bad run, prompt or option (one line on stderr).")
    p.add_argument("run_dir", help="a run directory of a text model, e.g. logs/shakespeare_gpt/2026-12-07_10-00-00")
    p.add_argument("--prompt", default="\n", help="the text to continue (default: a new line)")
    p.add_argument("--length", type=int, default=500, help="characters to write (default 500)")
    p.add_argument("--temperature", type=float, default=0.8, help="softmax temperature; 0 picks the likeliest "
                                                                    "(default 0.8)")
    p.add_argument("--top-k", type=int, default=None, help="draw among the k likeliest characters only")
    p.add_argument("--seed", type=int, default=0, help="the sampling seed: the same text for the same seed")
    p.add_argument("--checkpoint", choices=("last", "best"), default=None, help="which weights (default: last)")
    p.add_argument("--no-cache", action="store_true", help="recompute the whole context for every character "
                                                           "(slower; the same text)")
    args = p.parse_args(argv)
    predictor = load(args.run_dir, cli.diverged_guard(args.run_dir, args.checkpoint))
    t0 = time.perf_counter()
    try:
        text = predictor.generate(args.prompt, args.length, args.temperature, args.top_k, args.seed,
                                  cache=not args.no_cache)
    except InputError as e:
        raise cli.UsageError(str(e)) from None
    seconds = time.perf_counter() - t0
    print(args.prompt + text)
    print(f"{args.length} characters in {seconds:.2f} s ({args.length / max(seconds, 1e-9):,.0f} per second"
          f"{', no cache' if args.no_cache else ''})", file=sys.stderr)
    return cli.OK
