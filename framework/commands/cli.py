"""What every command shares: exit codes, one-line errors, SIGTERM treated as SIGINT, one-line warnings.

Exit codes: 0 completed; 1 failed or diverged; 2 usage, recipe or input error; 130 interrupted (SIGINT or
SIGTERM). A mistake in what the user gave (RecipeError, DataError, PluginError, UsageError) is one line on
stderr and exit 2, never a traceback.
"""
from __future__ import annotations

import functools
import os
import signal
import sys
import threading
import warnings
from pathlib import Path

from ..data import DataError
from ..recipe import RecipeError
from ..registry import PluginError

OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """A command-line or input mistake: printed as one line, exit 2."""


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    return f"warning: {message}\n"


def command(main):
    """Wrap a command's main(argv) -> exit code: the shared exit codes and messages (see the module)."""

    @functools.wraps(main)
    def wrapper(argv=None) -> int:
        warnings.formatwarning = _one_line_warning
        in_main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _interrupt) if in_main else None
        try:
            return main(argv)
        except KeyboardInterrupt:
            print("\ninterrupted", file=sys.stderr)
            return INTERRUPTED
        except (RecipeError, DataError, PluginError, UsageError) as e:
            print(f"error: {e}", file=sys.stderr)
            return USAGE
        except BrokenPipeError:  # output piped into head, say
            sys.stderr.close()
            return OK
        finally:
            if in_main:
                signal.signal(signal.SIGTERM, previous)

    return wrapper


def count(n: int, word: str) -> str:
    """'1 epoch', '3 epochs': what the commands print says one thing in the singular."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def run_name(name: str) -> str:
    """A run name must be one path component."""
    if not name or name in (".", "..") or "/" in name or os.sep in name or "\0" in name:
        raise UsageError(f"--name {name!r}: expected one folder name (no '/', not '.' or '..')")
    return name


def make_dir(path: Path, what: str) -> list[Path]:
    """Create `path` and any missing parents; return the folders created (to remove on a later error).
    An unusable path is a UsageError starting with `what` (the option and value the user gave) and the reason."""
    created = []
    for p in [*reversed(path.parents), path]:
        if p.is_dir():
            continue
        try:
            p.mkdir()
        except FileExistsError:
            if not p.is_dir():
                raise UsageError(f"{what}: {p} exists and is not a folder") from None
            continue
        except OSError as e:
            raise UsageError(f"{what}: cannot create {p} ({e.strerror or e})") from None
        created.append(p)
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"{what}: {path} is not writable")
    return created


def check_output(path: str | os.PathLike, what: str) -> Path:
    """An output file the command may write: its folder exists and is writable, and it is not a folder itself.
    Checked before any work, so a bad path costs nothing; a UsageError starting with `what` otherwise."""
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise UsageError(f"{what} {path}: is a folder; give a file name")
    if not folder.is_dir():
        raise UsageError(f"{what} {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{what} {path}: folder {folder} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{what} {path}: the file exists and is not writable")
    return path


def write_output(path: str | os.PathLike, data: bytes, what: str) -> None:
    """Write an output file atomically (nothing half-written is left); a failure is one UsageError line."""
    from ..files import atomic_write_bytes

    check_output(path, what)
    try:
        atomic_write_bytes(path, data)
    except OSError as e:
        raise UsageError(f"{what} {path}: cannot write ({e.strerror or e})") from None


def diverged_guard(run_dir: str | os.PathLike, checkpoint: str | None) -> str:
    """The checkpoint a command uses. Of a run whose summary says it diverged, only a checkpoint the user names
    (a UsageError otherwise, saying where it diverged and which epoch each checkpoint holds), with a warning line."""
    from .. import checkpoint as ckpt
    from ..runs import read_summary

    which = checkpoint or ckpt.DEFAULT
    summary = read_summary(run_dir)
    if summary.get("status") != "diverged":
        return which
    d = summary.get("diverged") or {}
    why = f"{run_dir} diverged at epoch {d.get('epoch', '?')} ({d.get('reason', 'non-finite values')})"
    try:
        held = f"the weights after epoch {ckpt.read(ckpt.checkpoint_dir(run_dir) / f'{which}.npz')[0]['epoch']}"
    except (ckpt.CheckpointError, KeyError):
        held = "no readable weights"
    if checkpoint is None:
        raise UsageError(f"{why}; checkpoints/{which}.npz holds {held}: give --checkpoint {which} to use them "
                         f"anyway")
    print(f"warning: {why}; using checkpoints/{which}.npz, {held}", file=sys.stderr)
    return which


def lock_run(run_dir: str | os.PathLike):
    """Hold the run folder for this process (an flock on `.lock` inside it, released by the system when the
    process ends, crash or not); a UsageError if another process holds it. Returns the open lock file: keep it."""
    from ..files import hold

    f = hold(Path(run_dir) / ".lock")
    if f is None:
        raise UsageError(f"{run_dir}: another process is training this run now; wait for it to finish")
    return f


def remove_dirs(created: list[Path]) -> None:
    """Remove folders this command created, deepest first, if they are still empty."""
    for p in reversed(created):
        try:
            p.rmdir()
        except OSError:
            break
