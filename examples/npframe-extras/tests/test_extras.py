"""The example plugins pass npframe's conformance checks (what a plugin author runs in their own CI)."""
from framework import testing
from npframe_extras.jsonl_logger import JsonLinesLogger
from npframe_extras.lion import Lion
from npframe_extras.rms_norm import RMSNorm
from npframe_extras.rotate2d import Rotate2D
from npframe_extras.spirals import two_spirals


def test_lion():
    testing.check_optimizer(Lion, lr=1e-2)
    testing.check_optimizer(Lion, lr=1e-2, weight_decay=0.1)


def test_rotate2d():
    testing.check_augmentation(Rotate2D, n_features=2)


def test_two_spirals():
    testing.check_dataset(two_spirals, n=200)


def test_jsonl_logger():
    testing.check_callback(JsonLinesLogger)


def test_rms_norm():
    testing.check_layer(RMSNorm, (6,))
    testing.check_layer(RMSNorm, (5,), eps=1e-3)


def test_a_recipe_with_the_layer_trains_loads_and_exports(tmp_path, capsys):
    """End to end with no core change: train, resume, load, predict and export a model using rms_norm."""
    import json
    from pathlib import Path

    import numpy as np

    import framework
    from framework.run import main as run_main

    recipe = Path(__file__).resolve().parents[1] / "recipes" / "spirals_rms_norm.py"
    logs = tmp_path / "logs"
    sets = ["--set", "epochs=3", "--set", "loggers=[]", "--set", "dataset.n=400"]
    assert run_main([str(recipe), *sets, "--logdir", str(logs), "--name", "r"]) == 0
    assert "rms0 (RMSNorm)" in capsys.readouterr().out
    run_dir = logs / "spirals_rms_norm" / "r"
    assert run_main(["--resume", str(run_dir), "--epochs", "4"]) == 0
    predictor = framework.load(run_dir, "last")
    assert "rms1.gamma" in predictor.model.state_dict()
    x = np.random.default_rng(0).uniform(-1, 1, (50, 2))
    p = predictor.predict_proba(x)
    assert p.shape == (50, 2) and np.allclose(p.sum(axis=1), 1)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["epochs_completed"] == 4
    try:
        import onnxruntime as ort
    except ImportError:
        return
    from framework.export import main as export_main

    assert export_main([str(run_dir), "-o", str(tmp_path / "m.onnx"), "--checkpoint", "last"]) == 0
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x.astype(np.float32)})[0]
    assert np.max(np.abs(got - p)) <= 1e-5
