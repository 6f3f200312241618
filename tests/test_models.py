"""Models as plugins: a recipe's `model` spec end to end (train, resume, evaluate, load, predict, export), its
mistakes as one line naming the key, and one network per run whatever the plugins do to it."""
import json

import numpy as np
import pytest

import framework
from framework import build_model
from framework.build import build
from framework.evaluate import main as evaluate_main
from framework.recipe import resolve
from framework.run import main as run_main

SEQ = {"name": "sequential", "layers": [
    "flatten", {"name": "dense", "units": 32}, "gelu", {"name": "dropout", "rate": 0.1},
    {"name": "residual", "layers": [{"name": "dense", "units": 32}, "batch_norm", "silu"]},
    {"name": "dense", "units": "outputs"}]}
QUICK = ["--set", "loggers=[]", "--set", "callbacks=['checkpoint']", "--set", "dataset.limit=400"]


def run(args, tmp_path, capsys):
    code = run_main([*args, "--logdir", str(tmp_path / "logs")])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_a_sequential_model_trains_resumes_evaluates_loads_and_exports(repo_root, tmp_path, capsys):
    recipe = str(repo_root / "recipes" / "digits_adam.py")
    code, out, _ = run([recipe, *QUICK, "--set", f"model={SEQ!r}", "--set", "epochs=2", "--name", "s"], tmp_path,
                       capsys)
    assert code == 0
    assert "residual0 (Residual)" in out and "  dense0 (Dense)" in out and "(None, 1, 8, 8)" in out
    run_dir = tmp_path / "logs" / "digits_adam" / "s"
    assert json.loads((run_dir / "recipe.json").read_text())["model"] == SEQ
    code, out, _ = run(["--resume", str(run_dir), "--epochs", "3"], tmp_path, capsys)
    assert code == 0 and json.loads((run_dir / "summary.json").read_text())["epochs_completed"] == 3
    assert evaluate_main([str(run_dir)]) == 0
    assert "test_accuracy" in capsys.readouterr().out

    trainer = build(resolve(str(run_dir / "recipe.json"), []))  # the network as training builds it
    from framework.checkpoint import load as load_ckpt

    load_ckpt(trainer, run_dir / "checkpoints" / "last.npz", weights_only=True)
    predictor = framework.load(run_dir, "last")
    assert repr(predictor.model) == repr(trainer.model)
    x_raw = trainer.data.x_test * 16.0  # digits are stored as pixel / 16
    assert np.allclose(predictor.decision(x_raw), trainer.predict(trainer.data.x_test), atol=1e-5)

    ort = pytest.importorskip("onnxruntime")
    from framework.export import main as export_main

    assert export_main([str(run_dir), "-o", str(tmp_path / "m.onnx"), "--checkpoint", "last"]) == 0
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x_raw.reshape(-1, 1, 8, 8).astype(np.float32)})[0]
    assert np.max(np.abs(got - predictor.predict_proba(x_raw))) <= 1e-5


@pytest.mark.parametrize("model, message", [
    ({"name": "sequential", "layers": ["flatten", {"name": "dense", "units": 16}, "gelux"]},
     "key 'model.layers[2]': unknown layers plugin 'gelux'; did you mean 'gelu'"),
    ({"name": "sequential", "layers": ["flatten", {"name": "dense", "units": 16}, "relu", {"name": "dense",
                                                                                          "units": "ten"}]},
     "key 'model.layers[3].units': expected int, got 'ten' (str)"),
    ({"name": "sequential", "layers": ["flatten", {"name": "dense", "units": -3}]},
     "key 'model.layers[1].units': expected a positive integer, got -3"),
    ({"name": "sequential", "layers": ["flatten", {"name": "dense", "units": 8, "unit": 3}]},
     "key 'model.layers[1].unit': layer 'dense': unknown parameter 'unit' (did you mean 'units'?)"),
    ({"name": "sequential", "layers": ["flatten", {"name": "residual", "layers": [{"name": "dense", "units": 8},
                                                                                 {"name": "dropout", "rate": 2}]}]},
     "key 'model.layers[1].layers[1].rate': expected a value in [0, 1), got 2"),
    ({"name": "sequential", "layers": [{"name": "dense", "units": 10}]},
     "key 'model': layer dense0 (Dense) given (8, 8, 1): expects (features,) inputs or (T, features) sequences, got "
     "(8, 8, 1): put a 'flatten' layer before it"),
    ({"name": "sequential", "layers": ["flatten", {"name": "residual", "layers": [{"name": "dense", "units": 8}]}]},
     "a residual block must keep the shape"),
    ({"name": "sequential", "layers": []}, "key 'model.layers': expected a non-empty list of layer specs"),
    ({"name": "sequential", "layers": "dense"}, "key 'model.layers': expected list, got 'dense' (str)"),
    ({"name": "sequentail", "layers": []},
     "key 'model': unknown models plugin 'sequentail'; did you mean 'sequential'"),
    ({"name": "mlp", "hidden": [8], "depth": 3}, "key 'model': model 'mlp': unknown parameter 'depth'"),
    ({"hidden": [8], "activation": "gelu", "activation_params": {"approximate": "erf"}},
     "key 'model.activation_params.approximate': expected 'none' or 'tanh', got 'erf'"),
])
def test_model_mistakes_are_one_line_naming_the_key(repo_root, tmp_path, capsys, model, message):
    recipe = str(repo_root / "recipes" / "digits_adam.py")
    code, _, err = run([recipe, *QUICK, "--set", f"model={model!r}"], tmp_path, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    if "..." in message:
        head, tail = message.split(" ... ")
        assert head in err and tail in err, err
    else:
        assert message in err, err
    assert not (tmp_path / "logs").exists() or not any((tmp_path / "logs").rglob("recipe.json"))


def test_set_reaches_into_a_layer_list(repo_root):
    recipe = resolve(str(repo_root / "recipes" / "digits_adam.py"),
                     [f"model={SEQ!r}", "model.layers.1.units=64", "model.layers.2.approximate='tanh'"])
    assert recipe["model"]["layers"][1] == {"name": "dense", "units": 64}
    assert recipe["model"]["layers"][2] == {"name": "gelu", "approximate": "tanh"}


def test_load_state_dict_names_a_missing_extra_or_misshapen_array():
    info = {"input_shape": [4], "n_outputs": 2}
    recipe = {"model": {"hidden": [3], "activation": "relu"}, "dtype": "float64", "regularizers": [], "callbacks": []}
    model = build_model(recipe, info)
    state = {k: v.copy() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match=r"model state dense1.b: missing"):
        model.load_state_dict({k: v for k, v in state.items() if k != "dense1.b"})
    with pytest.raises(ValueError, match=r"model state scale0.s: not an array of this model"):
        model.load_state_dict({**state, "scale0.s": np.ones(3)})
    with pytest.raises(ValueError, match=r"model state dense0.W: expected shape \(4, 3\), got \(4, 5\)"):
        model.load_state_dict({**state, "dense0.W": np.ones((4, 5))})
    model.load_state_dict(state)


SCALE_PLUGINS = {
    "tmpplug_scale": """
        import numpy as np
        from framework import Callback, Layer, Param

        class Scale(Layer):
            '''y = x * s, s learned per feature.'''
            def build(self, input_shape, rng, dtype):
                self.s = Param(f"{self.name}.s", np.full(input_shape, 1.5, dtype), decay=False)
                self.params = [self.s]
                return input_shape
            def forward(self, x):
                self.x = x
                return x * self.s.value
            def backward(self, grad, need_input_grad=True):
                np.sum(grad * self.x, axis=0, out=self.s.grad)
                return grad * self.s.value
            def to_onnx(self, graph, x):
                return graph.node("Mul", [x, graph.const(self.s.value, f"{self.name}.s")])

        class InsertScale(Callback):
            '''Inserts a learned scale before the output layer, the sanctioned way: replayed by every command.'''
            def transform_model(self, model):
                model.layers.insert(len(model.layers) - 1, Scale())

        class InsertInSetup(Callback):
            '''The same change made in setup(): the network would differ between training and later commands.'''
            def setup(self, trainer):
                trainer.model.layers.insert(len(trainer.model.layers) - 1, Scale())
    """}


def test_a_callback_that_inserts_a_layer_gives_one_network_for_the_run(make_dist, repo_root, tmp_path, capsys):
    make_dist("tmpplug-scale", {"framework.callbacks": {"insert_scale": "tmpplug_scale:InsertScale",
                                                        "insert_in_setup": "tmpplug_scale:InsertInSetup"}},
              SCALE_PLUGINS)
    recipe = str(repo_root / "recipes" / "digits_adam.py")
    sets = ["--set", "loggers=[]", "--set", "callbacks=['insert_scale', 'checkpoint']", "--set", "epochs=2"]
    code, out, _ = run([recipe, *sets, "--name", "s"], tmp_path, capsys)
    assert code == 0 and "scale0 (Scale)" in out
    run_dir = tmp_path / "logs" / "digits_adam" / "s"
    predictor = framework.load(run_dir, "last")
    assert [type(layer).__name__ for layer in predictor.model.layers][-2:] == ["Scale", "Dense"]
    s = predictor.model.state_dict()["scale0.s"]
    assert s.shape == (64,) and not np.allclose(s, 1.5)  # the optimizer trained the inserted parameter
    trainer = build(resolve(str(run_dir / "recipe.json"), []))
    from framework.checkpoint import load as load_ckpt

    load_ckpt(trainer, run_dir / "checkpoints" / "last.npz", weights_only=True)
    x = trainer.data.x_test
    assert np.allclose(predictor.decision(x * 16.0), trainer.predict(x), atol=1e-5)
    summary = json.loads((run_dir / "summary.json").read_text())
    acc = (predictor.predict(x * 16.0) == trainer.data.y_test).mean()
    assert acc == pytest.approx(summary["final"]["test_accuracy"])

    code, _, err = run([recipe, "--set", "loggers=[]", "--set", "callbacks=['insert_in_setup']"], tmp_path, capsys)
    assert code == 2 and "InsertInSetup.setup() changed the model's layers or parameters" in err
    assert "transform_model" in err


def test_setup_may_not_swap_parameters_either(repo_root):
    from framework import Callback

    class Swap(Callback):
        def setup(self, trainer):
            trainer.model.layers[2].params[0] = framework.Param("x", np.zeros(1))  # channels_last, flatten, dense

    recipe = resolve(str(repo_root / "recipes" / "digits_adam.py"), ["loggers=[]"])
    trainer = build(recipe)
    with pytest.raises(ValueError, match=r"Swap.setup\(\) changed the model"):
        trainer.add_callbacks(Swap())


def test_every_published_recipe_json_builds_its_network(repo_root):
    """Recorded runs (docs/results) keep working: their recipe.json validates and builds, names unchanged."""
    from framework.recipe import validate
    from framework.runs import read_description

    files = sorted((repo_root / "docs" / "results").rglob("recipe.json"))
    assert len(files) > 200
    seen = set()
    for f in files:
        recipe = validate(json.loads(f.read_text()), str(f))
        key = json.dumps([recipe["model"], recipe["regularizers"], recipe["dataset"]], sort_keys=True)
        if key in seen:  # every file validates; each distinct network is built once
            continue
        seen.add(key)
        model = build_model(recipe, read_description(f.parent, recipe), str(f))  # as every command rebuilds it
        if "name" not in recipe["model"]:
            hidden = recipe["model"]["hidden"]
            assert [p.name for p in model.params if p.name.endswith(".W")] == \
                [f"dense{i}.W" for i in range(len(hidden) + 1)]


def _quick_run(repo_root, tmp_path, capsys, *sets, name="r"):
    recipe = str(repo_root / "recipes" / "digits_adam.py")
    args = [recipe, "--set", "loggers=[]", "--set", "callbacks=['checkpoint']", "--set", "epochs=2", *sets]
    code, _, err = run([*args, "--name", name], tmp_path, capsys)
    assert code == 0, err
    return tmp_path / "logs" / "digits_adam" / name


def test_resume_refuses_an_edited_recipe_json_naming_the_key(repo_root, tmp_path, capsys):
    run_dir = _quick_run(repo_root, tmp_path, capsys)
    original = (run_dir / "recipe.json").read_text()
    for key, value in (("optimizer", {"name": "adam", "lr": 0.01}), ("model", {"hidden": [64], "activation": "tanh"})):
        edited = json.loads(original)
        edited[key] = value
        (run_dir / "recipe.json").write_text(json.dumps(edited))
        code, _, err = run(["--resume", str(run_dir), "--epochs", "3"], tmp_path, capsys)
        where = "optimizer.lr" if key == "optimizer" else "model.activation"
        assert code == 2 and f"key '{where}' says" in err and "was trained with" in err, err
    (run_dir / "recipe.json").write_text(original)


def test_extending_a_run_keeps_its_recipe_and_is_never_reused_as_a_fresh_run(repo_root, tmp_path, capsys):
    from framework.experiments.compare import _finished

    run_dir = _quick_run(repo_root, tmp_path, capsys)
    before = (run_dir / "recipe.json").read_text()
    code, _, _ = run(["--resume", str(run_dir), "--epochs", "4"], tmp_path, capsys)
    assert code == 0 and (run_dir / "recipe.json").read_text() == before  # the recipe as first run
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["extensions"] == [{"after_epoch": 2, "epochs": 4}] and summary["epochs_completed"] == 4
    fresh4 = dict(json.loads(before), epochs=4)
    assert _finished(run_dir, fresh4) is None and _finished(run_dir, json.loads(before)) is None
    code, _, _ = run(["--resume", str(run_dir), "--epochs", "5"], tmp_path, capsys)  # the extension continues
    assert code == 0 and json.loads((run_dir / "summary.json").read_text())["epochs_completed"] == 5


def test_a_run_early_stopping_completed_is_not_trained_on_by_a_plain_resume(repo_root, tmp_path, capsys):
    run_dir = _quick_run(repo_root, tmp_path, capsys, "--set", "epochs=30", "--set",
                         "regularizers=[{'name': 'early_stopping', 'monitor': 'train_loss', 'patience': 1, "
                         "'min_delta': 10.0}]")
    done = json.loads((run_dir / "summary.json").read_text())["epochs_completed"]
    assert done < 30
    code, _, err = run(["--resume", str(run_dir)], tmp_path, capsys)
    assert code == 2 and f"completed after {done} of 30 epochs" in err


def test_a_run_being_trained_cannot_be_resumed_a_second_time(repo_root, tmp_path, capsys):
    import fcntl

    run_dir = _quick_run(repo_root, tmp_path, capsys)
    with open(run_dir / ".lock", "a+") as held:  # as a training process holds it
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, _, err = run(["--resume", str(run_dir), "--epochs", "3"], tmp_path, capsys)
    assert code == 2 and "another process is training this run now" in err
    code, _, _ = run(["--resume", str(run_dir), "--epochs", "3"], tmp_path, capsys)
    assert code == 0  # released (also when a process dies: the system drops its locks)
