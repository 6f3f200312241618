"""Comparisons on a Dask cluster: same table as the local pool, a worker killed mid-run, missing Dask."""
import csv
import os
import signal
import subprocess
import sys
import time

import pytest

from framework import cluster as cl

distributed = pytest.importorskip("distributed") if not os.environ.get("CI") else __import__("distributed")

METRICS = ("variant", "runs", "failed", "metric", "metric_mean", "metric_sd", "test_loss", "delta_vs_baseline")


def compare(*args, cwd, **kw):
    return subprocess.run([sys.executable, "-m", "framework.compare", *args], cwd=cwd, capture_output=True,
                          text=True, **kw)


def table(path):
    return [{k: r[k] for k in METRICS} for r in csv.DictReader(path.open())]


@pytest.fixture
def local_cluster():
    env = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, worker_dashboard_address=None, env=env)
    yield cluster
    cluster.close()


def test_cluster_table_equals_local_pool(tmp_path, repo_root, local_cluster):
    comp = str(repo_root / "recipes" / "compare" / "digits_quick.py")
    local = compare(comp, "--logdir", str(tmp_path / "local"), "--workers", "2", cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    dask_run = compare(comp, "--logdir", str(tmp_path / "dask"), "--cluster", local_cluster.scheduler_address,
                       cwd=tmp_path)
    assert dask_run.returncode == 0, dask_run.stderr
    assert "Dask cluster tcp://127.0.0.1:" in dask_run.stdout
    assert table(tmp_path / "dask" / "digits_quick" / "results.csv") == table(
        tmp_path / "local" / "digits_quick" / "results.csv")

    def layout(root):  # the same folders and files, so TensorBoard shows the same runs
        return sorted(str(p.relative_to(root)).split("events.out")[0] for p in root.rglob("*") if p.is_file()
                      and not p.name.startswith("results."))

    assert layout(tmp_path / "dask" / "digits_quick") == layout(tmp_path / "local" / "digits_quick")
    again = compare(comp, "--logdir", str(tmp_path / "dask"), "--cluster", local_cluster.scheduler_address,
                    cwd=tmp_path)
    assert "6 finished earlier, 0 to run" in again.stdout  # re-running resumes from what finished


def test_worker_killed_mid_run_is_retried(tmp_path, repo_root, local_cluster):
    (tmp_path / "slow.py").write_text(f"""
comparison = {{
    "base": {str(repo_root / "recipes" / "digits_adam.py")!r},
    "set": {{"epochs": 120, "loggers": [], "callbacks": []}},
    "variants": {{"a": {{}}, "b": {{"optimizer.lr": 3e-3}}}},
}}
""")
    proc = subprocess.Popen([sys.executable, "-m", "framework.compare", str(tmp_path / "slow.py"),
                             "--logdir", str(tmp_path / "logs"), "--cluster", local_cluster.scheduler_address],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = False
    with distributed.Client(local_cluster.scheduler_address) as client:
        deadline = time.time() + 60
        while time.time() < deadline and not killed:
            busy = [addr for addr, keys in client.processing().items() if keys]
            for nanny in local_cluster.workers.values():
                if busy and nanny.worker_address == busy[0] and nanny.process and nanny.process.process:
                    time.sleep(0.2)  # let the run get going
                    os.kill(nanny.process.process.pid, signal.SIGKILL)
                    killed = True
                    break
            time.sleep(0.02)
    out, err = proc.communicate(timeout=240)
    assert killed, "no run was seen in progress"
    assert proc.returncode == 0, out + err
    rows = {r["variant"]: r for r in csv.DictReader((tmp_path / "logs" / "slow" / "results.csv").open())}
    assert rows["a"]["runs"] == "1" and rows["b"]["runs"] == "1"
    assert rows["a"]["failed"] == "0" and rows["b"]["failed"] == "0"


def test_missing_dask_gives_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(cl.ClusterError, match=r'pip install "npframe\[cluster\]"'):
        cl.run_dask([("a", 0, {}, None)], print, "local:1")


def test_cluster_spec_and_safe_writes(tmp_path):
    assert cl.parse_spec("local:3") == ("local", 3)
    assert cl.parse_spec("tcp://10.0.0.1:8786") == ("address", "tcp://10.0.0.1:8786")
    with pytest.raises(cl.ClusterError, match="local:N"):
        cl.parse_spec("local:x")
    with pytest.raises(cl.ClusterError, match="scheduler address"):
        cl.parse_spec("myhost:8786")
    with pytest.raises(cl.ClusterError, match="outside the run directory"):
        cl.write_run(tmp_path / "run", {"../evil": b"x"})
    cl.write_run(tmp_path / "run", {"summary.json": b"{}", "checkpoints/last.npz": b"z"})
    assert (tmp_path / "run" / "checkpoints" / "last.npz").read_bytes() == b"z"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary folders left
