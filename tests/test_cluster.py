"""Comparisons on a Dask cluster: same table as the local pool, a worker killed mid-run, missing Dask."""
import csv
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from framework.experiments import cluster as cl

distributed = pytest.importorskip("distributed") if not os.environ.get("CI") else __import__("distributed")

METRICS = ("variant", "runs", "failed", "metric", "val_mean", "val_sd", "test_mean", "test_sd", "test_loss",
           "delta_vs_baseline", "delta_ci_low", "delta_ci_high", "best_by_validation")


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


def slow_comparison(tmp_path, repo_root, epochs: int, variants: int = 2) -> None:
    """tmp_path/slow.py: digits variants (a, b, ...) long enough to be caught running."""
    lrs = {chr(ord("a") + i): 1e-3 * (1 + i) for i in range(variants)}
    (tmp_path / "slow.py").write_text(f"""
comparison = {{
    "base": {str(repo_root / "recipes" / "digits_adam.py")!r},
    "set": {{"epochs": {epochs}, "loggers": [], "callbacks": []}},
    "variants": {{name: {{"optimizer.lr": lr}} for name, lr in {lrs!r}.items()}},
}}
""")


def kill_worker_when(cluster, pick, settle: float, within: float = 60) -> bool:
    """SIGKILL the worker process whose address `pick(client)` returns, once it returns one; False if none came."""
    with distributed.Client(cluster.scheduler_address) as client:
        deadline = time.time() + within
        while time.time() < deadline:
            addr = pick(client)
            nanny = next((n for n in cluster.workers.values() if addr and n.worker_address == addr and n.process
                          and n.process.process), None)
            if nanny is not None:
                time.sleep(settle)
                os.kill(nanny.process.process.pid, signal.SIGKILL)
                return True
            time.sleep(0.02)
    return False


def executing(client) -> int:
    """Tasks the workers' threads are computing now (the scheduler forgets cancelled ones; the workers do not)."""
    return sum(client.run(lambda dask_worker: len(dask_worker.state.executing)).values())


def test_cluster_table_equals_local_pool(tmp_path, repo_root, local_cluster):
    comp = str(repo_root / "recipes" / "compare" / "digits_quick.py")
    local = compare(comp, "--logdir", str(tmp_path / "local"), "--workers", "2", cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    scheduler_file = tmp_path / "scheduler.json"  # as dask scheduler --scheduler-file, dask-jobqueue, dask-mpi write
    scheduler_file.write_text(json.dumps({"type": "Scheduler", "address": local_cluster.scheduler_address}))
    dask_run = compare(comp, "--logdir", str(tmp_path / "dask"), "--cluster", str(scheduler_file), cwd=tmp_path)
    assert dask_run.returncode == 0, dask_run.stderr
    assert f"dask scheduler {local_cluster.scheduler_address}, 2 workers" in dask_run.stdout
    assert "[1/6] " in dask_run.stdout and "[6/6] " in dask_run.stdout  # progress
    assert table(tmp_path / "dask" / "digits_quick" / "results.csv") == table(
        tmp_path / "local" / "digits_quick" / "results.csv")

    def layout(root):  # the same folders and files, so TensorBoard shows the same runs
        return sorted(str(p.relative_to(root)).split("events.out")[0] for p in root.rglob("*") if p.is_file()
                      and not p.name.startswith(("results.", ".")))  # .<run>.lock: a local worker's hold

    assert layout(tmp_path / "dask" / "digits_quick") == layout(tmp_path / "local" / "digits_quick")
    again = compare(comp, "--logdir", str(tmp_path / "dask"), "--cluster", local_cluster.scheduler_address,
                    cwd=tmp_path)
    assert "6 finished earlier, 0 to run" in again.stdout  # re-running resumes from what finished


def test_worker_killed_mid_run_is_retried(tmp_path, repo_root, local_cluster):
    slow_comparison(tmp_path, repo_root, 120)
    proc = subprocess.Popen([sys.executable, "-m", "framework.compare", str(tmp_path / "slow.py"),
                             "--logdir", str(tmp_path / "logs"), "--cluster", local_cluster.scheduler_address],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    def busy(client):
        return next((addr for addr, keys in client.processing().items() if keys), None)

    killed = kill_worker_when(local_cluster, busy, settle=0.2)  # let the run get going
    out, err = proc.communicate(timeout=240)
    assert killed, "no run was seen in progress"
    assert proc.returncode == 0, out + err
    assert "a worker was lost while running" in out and "starts again on another worker (restart 1 of at most 2)" in out
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


def digits_recipe(repo_root, **changes):
    from framework.recipe import resolve

    sets = ["loggers=[]", "callbacks=[]", "model.hidden=[8]", *(f"{k}={v!r}" for k, v in changes.items())]
    return resolve(str(repo_root / "recipes" / "digits_adam.py"), sets)


def test_an_http_port_does_not_hang(tmp_path, repo_root):
    """A Client pointed at an HTTP server (the dashboard's port, an easy slip) waits forever; the command does not.
    In a child process: the abandoned connection attempt would block Dask's shared event loop for later tests."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        start = time.time()
        out = compare(str(repo_root / "recipes" / "compare" / "digits_quick.py"), "--logdir", str(tmp_path),
                      "--cluster", f"tcp://127.0.0.1:{server.server_port}", "--cluster-timeout", "2", cwd=tmp_path,
                      timeout=60)
        assert time.time() - start < 30
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert out.stderr.startswith(f"error: --cluster tcp://127.0.0.1:{server.server_port}: no Dask scheduler "
                                     f"answered within 2 s")
        assert list(tmp_path.iterdir()) == []  # no empty comparison folder left behind
        bad = compare(str(repo_root / "recipes" / "compare" / "digits_quick.py"), "--logdir", str(tmp_path / "l"),
                      "--cluster", "scheduler:8786", cwd=tmp_path, timeout=60)
        assert bad.returncode == 2 and "expected a scheduler address" in bad.stderr and not (tmp_path / "l").exists()
    finally:
        server.shutdown()
    with pytest.raises(cl.ClusterError, match="8787 is usually the dashboard"):
        cl.connect(None, "address", "tcp://127.0.0.1:8787", 0.1)  # the hint, whatever the failure


def test_a_scheduler_without_workers_gives_up_clearly(tmp_path):
    cluster = distributed.LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=None)
    lines = []
    try:
        with pytest.raises(cl.ClusterError, match=r"no worker joined within 2 s; start some with: dask worker tcp://"):
            cl.run_dask([("a", 0, {"seed": 0}, tmp_path / "a")], print, cluster.scheduler_address, log=lines.append,
                        timeout=2)
    finally:
        cluster.close()
    assert any("waiting for Dask workers" in line for line in lines)


def test_two_clients_with_one_pid_get_their_own_runs(tmp_path, repo_root, local_cluster):
    """Task keys are unique per submission: the same variant and seed from one process never mix."""
    out = {}

    def submit(tag, epochs):
        recipe = digits_recipe(repo_root, epochs=epochs)
        out[tag] = cl.run_dask([("v", 0, recipe, tmp_path / tag / "v")], lambda *a: None,
                               local_cluster.scheduler_address, log=lambda s: None)

    threads = [threading.Thread(target=submit, args=(tag, n)) for tag, n in (("one", 1), ("three", 3))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert out["one"]["v", 0]["epochs_completed"] == 1 and out["three"]["v", 0]["epochs_completed"] == 3
    assert json.loads((tmp_path / "three" / "v" / "recipe.json").read_text())["epochs"] == 3


def test_returned_runs_are_checked_against_the_recipe_sent():
    sent = {"seed": 0, "epochs": 2}
    cl.check_returned(sent, {"recipe": dict(sent), "files": {"recipe.json": json.dumps(sent).encode()}})
    with pytest.raises(cl.ClusterError, match="returned a run of another recipe"):
        cl.check_returned(sent, {"recipe": {"seed": 0, "epochs": 3}, "files": {}})
    with pytest.raises(cl.ClusterError, match=r"recipe\.json is not the recipe sent"):
        cl.check_returned(sent, {"recipe": dict(sent), "files": {"recipe.json": b'{"seed": 1}'}})


def test_finished_runs_are_released_from_the_cluster(tmp_path, repo_root, local_cluster):
    held = []

    def on_scheduler(dask_scheduler):
        return [k for k in dask_scheduler.tasks if str(k).startswith("npframe-")]

    with distributed.Client(local_cluster.scheduler_address) as watcher:
        def report(name, seed, summary):
            deadline = time.time() + 5
            while time.time() < deadline:  # release is asynchronous: give the scheduler a moment
                keys = watcher.run_on_scheduler(on_scheduler)
                if not any(f"npframe-{name}-" in k for k in keys):
                    break
                time.sleep(0.05)
            held.append((name, [k for k in keys if f"npframe-{name}-" in k]))

        tasks = [("fast", 0, digits_recipe(repo_root, epochs=1), tmp_path / "fast"),
                 ("slow", 0, digits_recipe(repo_root, epochs=40), tmp_path / "slow")]
        cl.run_dask(tasks, report, local_cluster.scheduler_address, log=lambda s: None)
    assert dict(held) == {"fast": [], "slow": []}  # each result left the cluster as soon as it was on disk


def test_workers_with_another_version_are_refused():
    class FakeClient:
        class scheduler:
            address = "tcp://s:8786"

        def scheduler_info(self):
            return {"workers": {"tcp://w1:1": {}, "tcp://w2:1": {}}}

        def run(self, func):
            return {"tcp://w1:1": "0.0.9", "tcp://w2:1": __import__("framework").__version__}

    with pytest.raises(cl.ClusterError, match=r"another npframe version than this client's .*tcp://w1:1 has 0.0.9"):
        cl.check_workers(FakeClient(), "tcp://s:8786", 1, print)


def test_stale_run_folders_of_dead_workers_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f"npframe-run-{dead.pid}-abc").mkdir()
    (tmp_path / f"npframe-run-{os.getppid()}-def").mkdir()  # a live process's folder stays
    (tmp_path / "npframe-run-x-y").mkdir()
    assert cl.clean_stale_folders(str(tmp_path)) == [str(tmp_path / f"npframe-run-{dead.pid}-abc")]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"npframe-run-{os.getppid()}-def", "npframe-run-x-y"])


def test_files_and_folders_get_the_umask_modes(tmp_path):
    from framework.files import atomic_write_json, default_mode

    old = os.umask(0o022)
    try:
        atomic_write_json(tmp_path / "s.json", {"a": 1})
        cl.write_run(tmp_path / "run", {"summary.json": b"{}"})
        assert (tmp_path / "s.json").stat().st_mode & 0o777 == 0o644 == default_mode()
        assert (tmp_path / "run").stat().st_mode & 0o777 == 0o755
    finally:
        os.umask(old)


def test_ctrl_c_cancels_the_runs_on_the_cluster(tmp_path, repo_root, local_cluster):
    slow_comparison(tmp_path, repo_root, 20000)  # minutes: orphans would still compute
    proc = subprocess.Popen([sys.executable, "-m", "framework.compare", str(tmp_path / "slow.py"), "--logdir",
                             str(tmp_path / "logs"), "--cluster", local_cluster.scheduler_address], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with distributed.Client(local_cluster.scheduler_address) as client:
        deadline = time.time() + 60
        while time.time() < deadline and not any(client.processing().values()):
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130 and "Traceback" not in err, err
        assert err.strip().startswith("interrupted after 0 of 2 runs; the runs in progress were stopped")
        deadline = time.time() + 30  # the runs look for a stop request every 0.5 s and end at their next batch
        while time.time() < deadline and (any(client.processing().values()) or executing(client)):
            time.sleep(0.1)
        assert not any(client.processing().values())
        assert executing(client) == 0  # the runs stopped on the workers too, not only in the scheduler's books


def test_a_run_queued_on_a_lost_worker_is_not_charged_a_restart(tmp_path, repo_root, local_cluster):
    slow_comparison(tmp_path, repo_root, 60, variants=4)
    proc = subprocess.Popen([sys.executable, "-m", "framework.compare", str(tmp_path / "slow.py"),
                             "--logdir", str(tmp_path / "logs"), "--cluster", local_cluster.scheduler_address],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    def one_running_one_queued(client):
        two = [addr for addr, keys in client.processing().items() if len(keys) == 2]
        running = client.run(lambda dask_worker: len(dask_worker.state.executing)) if two else {}
        return two[0] if two and running.get(two[0]) == 1 else None

    killed = kill_worker_when(local_cluster, one_running_one_queued, settle=0.5)
    out, err = proc.communicate(timeout=300)
    assert killed, "no worker was seen with a run queued"
    assert proc.returncode == 0, out + err
    assert out.count("a worker was lost while running") == 1, out  # the run computing there, not the queued one
    assert "restart 1 of at most 2" in out and "restart 2" not in out
    rows = list(csv.DictReader((tmp_path / "logs" / "slow" / "results.csv").open()))
    assert len(rows) == 4 and all(r["runs"] == "1" and r["failed"] == "0" for r in rows)


def test_ctrl_c_stops_the_local_pool(tmp_path, repo_root):
    slow_comparison(tmp_path, repo_root, 400)
    proc = subprocess.Popen([sys.executable, "-m", "framework.compare", str(tmp_path / "slow.py"), "--logdir",
                             str(tmp_path / "logs"), "--workers", "2"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not list((tmp_path / "logs").rglob("recipe.json")):
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Traceback" not in err and err.count("\n") == 2, err  # a blank line, then one
    assert not list((tmp_path / "logs").rglob("summary.json"))
