import importlib
import signal
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from framework.testing import numerical_grad  # noqa: F401  (the tests' finite differences)

# A shell's background job (`pytest &`) starts with Ctrl-C ignored, which every child would inherit through exec, so
# the tests that interrupt a child could not; a handler here is reset to the default in each child instead.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def grad_close(analytic, numeric, rtol=1e-5, atol=1e-8):
    """np.allclose's rule: |a - n| <= atol + rtol |n| for every element (atol covers gradients near zero)."""
    return np.allclose(analytic, numeric, rtol=rtol, atol=atol)


def resumed_and_straight(recipe: str | Path, sets: list[str], tmp_path: Path, epochs: int) -> tuple[dict, dict]:
    """The model state of `recipe` (with these --set values) trained epochs - 1 epochs then continued by --resume to
    `epochs`, and of the same trained `epochs` straight; a test asserts they are equal."""
    import framework
    from framework.run import main as run_main

    recipe, sets, out = Path(recipe), [x for s in sets for x in ("--set", s)], ["--logdir", str(tmp_path), "--name"]
    assert run_main([str(recipe), *sets, "--set", f"epochs={epochs - 1}", *out, "a"]) == 0
    assert run_main(["--resume", str(tmp_path / recipe.stem / "a"), "--epochs", str(epochs)]) == 0
    assert run_main([str(recipe), *sets, "--set", f"epochs={epochs}", *out, "b"]) == 0
    return tuple(framework.load(tmp_path / recipe.stem / n).model.state_dict() for n in "ab")


@pytest.fixture
def make_dist(tmp_path, monkeypatch):
    """Create an installed-looking distribution (dist-info with entry_points.txt) on sys.path."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    def make(name, entry_points: dict[str, dict[str, str]], modules: dict[str, str] | None = None):
        info = site / f"{name.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        lines = []
        for group, eps in entry_points.items():
            lines.append(f"[{group}]")
            lines += [f"{k} = {v}" for k, v in eps.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        for mod, src in (modules or {}).items():
            (site / f"{mod}.py").write_text(textwrap.dedent(src))
        importlib.invalidate_caches()
        return site

    yield make
    for mod in [m for m in sys.modules if m.startswith("tmpplug_")]:
        del sys.modules[mod]


@pytest.fixture(scope="session")
def repo_root():
    return Path(__file__).resolve().parents[1]
