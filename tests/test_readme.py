"""README's shell blocks run as pasted: each parses, and the tour runs in order in a fresh folder (set-up lines
skipped, training lines shortened with one `--set epochs=1 --set dataset.limit=500`), every command exiting 0."""
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETUP = ("python3 -m venv", "pip install", "apt-get", "tensorboard ")  # CI does these; a server never ends
QUICK = " --set epochs=1 --set dataset.limit=500"


def bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


@pytest.mark.parametrize("block", bash_blocks(), ids=lambda b: b.splitlines()[0][:40])
def test_every_block_parses_and_names_files_that_exist(block):
    check = subprocess.run(["bash", "-n"], input=block, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        for w in words:
            if re.match(r"(recipes|docs|examples)/", w):
                assert (ROOT / w).exists(), f"README names {w}, which is not there"
        if words[:2] == ["python", "-m"]:
            assert words[2].split(".")[0] == "framework" and (ROOT / "framework" / f"{words[2][10:]}.py").is_file()


def tour_lines() -> list[str]:
    lines = []
    for block in bash_blocks():
        for line in block.splitlines():
            if not line.strip() or line.lstrip().startswith("#") or line.startswith(SETUP):
                continue
            if line.startswith("python -m framework.run recipes/"):
                code = line.partition("  #")[0]
                line = code.rstrip() + QUICK
            lines.append(line)
    return lines


def test_the_tour_runs_in_order(tmp_path):
    for name in ("recipes", "docs", "examples"):
        (tmp_path / name).symlink_to(ROOT / name)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    lines = tour_lines()
    assert any(line.startswith("python -m framework.compare") for line in lines)
    assert any(line.startswith("python -m framework.predict") for line in lines)
    for line in lines:
        cmd = line.replace("python ", f"{shlex.quote(sys.executable)} ", 1) if line.startswith("python ") else line
        r = subprocess.run(cmd, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"{line}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    assert (tmp_path / "mnist.onnx").is_file() and (tmp_path / "logs" / "mnist_adam" / "first").is_dir()
    for block in python_blocks():  # README's Python that uses the tour's run, pasted as it is
        r = subprocess.run([sys.executable, "-W", "error", "-c", block], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, f"{block}\n{r.stderr[-2000:]}"
        assert r.stdout.strip() == "[7]", r.stdout


def python_blocks() -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    found = [b for b in blocks if "framework.load(" in b]
    assert found
    return found


@pytest.mark.parametrize("command", ["run", "compare", "evaluate", "predict", "export", "plugins"])
def test_every_commands_help_is_whole(command):
    r = subprocess.run([sys.executable, "-m", f"framework.{command}", "--help"], capture_output=True, text=True,
                       cwd=ROOT)
    assert r.returncode == 0 and r.stderr == ""
    description = r.stdout.split("\n\n")[1].strip()  # after the usage paragraph
    assert description.endswith((".", ")")) and not description.endswith(": each"), description
    assert "exit codes" in r.stdout.lower(), "say what the exit codes mean"


def test_the_plugin_example_passes_the_conformance_checks():
    from framework.testing import check_layer

    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "plugins.md").read_text(), flags=re.S)
    source = next(b for b in blocks if "class Scale(Layer)" in b)
    namespace: dict = {}
    exec(source, namespace)  # the guide's own text
    check_layer(namespace["Scale"], (6,))
