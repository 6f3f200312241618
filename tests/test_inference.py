"""Using a trained model: framework.load and Predictor on raw inputs, and python -m framework.predict."""
import json
import re

import numpy as np
import pytest

import framework
from framework.build import build
from framework.predict import main as predict_main
from framework.recipe import resolve
from framework.run import main as run_main

QUICK = ["--set", "loggers=[]", "--set", "callbacks=['checkpoint']", "--set", "epochs=3", "--set", "model.hidden=[16]"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, repo_root):
    """Trained runs of three tasks: digits (8x8 images, 10 classes), breast cancer (binary), diabetes (regression)."""
    logs = tmp_path_factory.mktemp("logs")
    out = {}
    for name, recipe in (("digits", "digits_adam.py"), ("breast_cancer", "breast_cancer_sigmoid.py"),
                         ("diabetes", "diabetes_mse.py")):
        assert run_main([str(repo_root / "recipes" / recipe), *QUICK, "--logdir", str(logs), "--name", name]) == 0
        out[name] = next(logs.glob(f"*/{name}"))
    return out


def raw_test_split(run_dir):
    """The run's test split as raw inputs (undoing the dataset's scaling), and the trainer's own outputs on it."""
    recipe = json.loads((run_dir / "recipe.json").read_text())
    trainer = build(resolve(str(run_dir / "recipe.json"), []))
    from framework.checkpoint import load as load_ckpt

    load_ckpt(trainer, run_dir / "checkpoints" / "last.npz", weights_only=True)
    d = trainer.data
    center = 0.0 if d.input_center is None else d.input_center
    scale = 1.0 if d.input_scale is None else d.input_scale
    assert recipe["seed"] == 0
    return d.x_test.astype(np.float64) * scale + center, trainer.predict(d.x_test), d


@pytest.mark.parametrize("name", ["digits", "breast_cancer"])
def test_every_command_uses_the_weights_of_the_summarys_test_figure(runs, name, tmp_path, capsys):
    import shutil

    from framework.evaluate import main as evaluate_main

    run_dir = tmp_path / "run"
    shutil.copytree(runs[name], run_dir)
    (run_dir / "checkpoints" / "best.npz").unlink()  # what the default is not: it must not be needed
    summary = json.loads((run_dir / "summary.json").read_text())["final"]
    x_raw, _, data = raw_test_split(run_dir)
    accuracy = float(np.mean(framework.load(run_dir).predict(x_raw) == data.y_test))
    assert accuracy == pytest.approx(summary["test_accuracy"], abs=1e-12)
    capsys.readouterr()
    assert evaluate_main([str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert f"test_accuracy    {summary['test_accuracy']:.4f}" in out
    assert f"checkpoints/last.npz: the weights the run finished with, those of its summary's test figure (epoch " \
           f"{summary['weights_epoch']})" in out
    np.save(tmp_path / "x.npy", x_raw[:3])
    assert predict_main([str(run_dir), str(tmp_path / "x.npy")]) == 0
    assert "note: checkpoints/last.npz: the weights the run finished with" in capsys.readouterr().err
    import shutil as sh

    sh.rmtree(run_dir / "checkpoints")
    assert evaluate_main([str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert "no such checkpoint, so the run has no weights to use" in err and "resume" not in err


@pytest.mark.parametrize("name", ["digits", "breast_cancer", "diabetes"])
def test_a_loaded_model_predicts_as_the_trainer_did(runs, name):
    x_raw, z, data = raw_test_split(runs[name])
    model = framework.load(runs[name])  # no dataset loaded: preprocessing.json
    assert np.allclose(model.decision(x_raw), z, atol=1e-5)
    if name == "diabetes":
        assert np.allclose(model.predict(x_raw), z[:, 0].astype(np.float64) * data.target_scale + data.target_center,
                           rtol=1e-5)
        assert model.predict(x_raw).mean() > 50  # in the target's units (disease progression), not standardised
        with pytest.raises(ValueError, match="predict_proba is for classification"):
            model.predict_proba(x_raw)
    else:
        p = model.predict_proba(x_raw)
        assert p.shape == (len(x_raw), data.n_classes) and np.allclose(p.sum(axis=1), 1)
        assert np.array_equal(model.predict(x_raw), p.argmax(axis=1))
    if name == "breast_cancer":
        assert model.classes == ["malignant", "benign"]


def test_loading_needs_no_dataset_and_checks_inputs(runs, monkeypatch):
    import framework.build

    monkeypatch.setattr(framework.build, "load_dataset", lambda *a: pytest.fail("the dataset was loaded"))
    model = framework.load(runs["digits"], checkpoint="last")
    images = np.zeros((2, 8, 8))
    assert model.predict(images).shape == (2,) and model.predict(np.zeros(64)).shape == (1,)
    for bad, message in ((np.zeros((2, 7, 8)), r"images of shape \(7, 8\), expected \(8, 8\)"),
                         (np.zeros((2, 63)), r"inputs of shape \(2, 63\), expected \(N, 64\)"),
                         (np.full((2, 64), np.nan), "NaN or infinity")):
        with pytest.raises(ValueError, match=message):
            model.predict(bad)
    with pytest.raises(framework.RecipeError, match="not a run directory"):
        framework.load(runs["digits"].parent)


def test_images_already_scaled_to_0_1_get_one_warning(runs):
    """README's `model.predict(images)` with the arrays at hand (a dataset's x_test, divided by its raw range)
    scored 8.9 % on MNIST without a word."""
    import warnings

    x_raw, _, data = raw_test_split(runs["digits"])
    model = framework.load(runs["digits"], checkpoint="last")
    with pytest.warns(UserWarning, match=r"every input lies in 0..1, but this model takes raw pixels 0..16, as its "
                                         r"dataset 'digits' stores them"):
        model.predict(data.x_test)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(data.x_test)  # said once per loaded model
        framework.load(runs["digits"], checkpoint="last").predict(x_raw)  # raw pixels: no warning
        framework.load(runs["breast_cancer"], checkpoint="last").predict(np.full((3, 30), 0.5))  # not images


def test_predict_command(runs, tmp_path, capsys):
    x_raw, z, _ = raw_test_split(runs["breast_cancer"])
    np.save(tmp_path / "x.npy", x_raw[:5])
    header = ",".join(f"f{i}" for i in range(x_raw.shape[1]))
    np.savetxt(tmp_path / "x.csv", x_raw[:5], delimiter=",", header=header, comments="")
    assert predict_main([str(runs["breast_cancer"]), str(tmp_path / "x.npy")]) == 0
    from_npy = capsys.readouterr().out
    assert from_npy.splitlines()[0] == "class,name,probability" and len(from_npy.splitlines()) == 6
    expected = (z[:5, 0] > 0).astype(int)
    assert [int(line.split(",")[0]) for line in from_npy.splitlines()[1:]] == expected.tolist()
    assert predict_main([str(runs["breast_cancer"]), str(tmp_path / "x.csv"), "--out", str(tmp_path / "p.csv")]) == 0
    assert (tmp_path / "p.csv").read_text() == from_npy
    capsys.readouterr()
    assert predict_main([str(runs["diabetes"]), str(tmp_path / "x.npy"), "--proba"]) == 2  # regression: no classes
    assert capsys.readouterr().err.startswith(f"error: --proba: {runs['diabetes']} is a regression run")
    assert predict_main([str(runs["breast_cancer"]), str(tmp_path / "x.csv"), "--proba"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "p_malignant,p_benign"
    assert predict_main([str(runs["diabetes"]), str(tmp_path / "x.npy")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'x.npy'}: inputs of shape (5, 30), expected (N, 10)"
    (tmp_path / "bad.csv").write_text("1,2\n3,oops\n")
    assert predict_main([str(runs["diabetes"]), str(tmp_path / "bad.csv")]) == 2
    assert "bad.csv: line 2 is not all numbers" in capsys.readouterr().err
    assert predict_main([str(runs["diabetes"]), str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv: no such file" in capsys.readouterr().err


def test_predict_reads_images(runs, tmp_path, capsys):
    Image = pytest.importorskip("PIL.Image")
    x_raw, z, _ = raw_test_split(runs["digits"])
    for i in range(3):  # digits' raw pixels are 0..16: as 8-bit greyscale files
        Image.fromarray(np.round(x_raw[i].reshape(8, 8) * 255 / 16).astype(np.uint8)).save(tmp_path / f"{i}.png")
    assert predict_main([str(runs["digits"]), *(str(tmp_path / f"{i}.png") for i in range(3))]) == 0
    got = [int(line.split(",")[0]) for line in capsys.readouterr().out.splitlines()[1:]]
    assert got == z[:3].argmax(axis=1).tolist()
    (tmp_path / "x.png").write_bytes(b"not a png")
    assert predict_main([str(runs["digits"]), str(tmp_path / "x.png")]) == 2
    assert "x.png: not a readable image" in capsys.readouterr().err


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory, repo_root):
    """An MNIST run with batch norm and dropout (their inference forms are what the export must get right)."""
    logs = tmp_path_factory.mktemp("mnist")
    args = [str(repo_root / "recipes" / "mnist_adam.py"), *QUICK, "--set", "dataset.limit=1500", "--set",
            "model.norm='batch'", "--set", "regularizers=[{'name': 'dropout', 'rate': 0.2}]", "--set", "epochs=2",
            "--logdir", str(logs), "--name", "m"]
    assert run_main(args) == 0
    return logs / "mnist_adam" / "m"


def onnx_input_dims(path):
    import onnx

    return onnx.load(str(path)).graph.input[0].type.tensor_type.shape.dim


@pytest.mark.parametrize("name", ["mnist", "breast_cancer", "diabetes"])
def test_onnx_export_matches_the_predictor(runs, mnist_run, tmp_path, name, capsys):
    ort = pytest.importorskip("onnxruntime")
    from framework.export import main as export_main

    run_dir = mnist_run if name == "mnist" else runs[name]
    assert export_main([str(run_dir), "-o", str(tmp_path / "m.onnx")]) == 0
    assert "opset 17" in capsys.readouterr().out
    x_raw, _, _ = raw_test_split(run_dir)
    model = framework.load(run_dir)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    assert [d.dim_value or d.dim_param for d in session.get_inputs()[0].shape and
            onnx_input_dims(tmp_path / "m.onnx")] == ["N", *model.input_shape]  # (N, 1, 28, 28) for MNIST
    got = session.run(None, {"input": x_raw.reshape(len(x_raw), *model.input_shape).astype(np.float32)})[0]
    expected = model.predict(x_raw)[:, None] if name == "diabetes" else model.predict_proba(x_raw)
    scale = np.abs(expected).max() if name == "diabetes" else 1.0  # regression values are in the hundreds
    assert got.shape == expected.shape and np.max(np.abs(got - expected)) <= 1e-5 * scale


def test_export_without_onnx_is_one_line(runs, tmp_path, monkeypatch, capsys):
    import sys

    from framework.export import main as export_main

    monkeypatch.setitem(sys.modules, "onnx", None)
    assert export_main([str(runs["diabetes"]), "-o", str(tmp_path / "m.onnx")]) == 2
    assert capsys.readouterr().err == 'error: export needs the onnx package: pip install "npframe[onnx]"\n'
    assert not (tmp_path / "m.onnx").exists()


def test_a_finished_run_continues_with_more_epochs(runs, capsys):
    run_dir = runs["digits"]
    assert run_main(["--resume", str(run_dir)]) == 2
    assert "has finished its 3 epochs; to train further give --epochs N with N > 3" in capsys.readouterr().err
    assert run_main(["--resume", str(run_dir), "--epochs", "2"]) == 2
    assert "--epochs 2: " in capsys.readouterr().err
    assert run_main(["--resume", str(run_dir), "--epochs", "5"]) == 0
    assert "resuming" in capsys.readouterr().out
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed" and [h["epoch"] for h in summary["history"]] == [1, 2, 3, 4, 5]
    assert json.loads((run_dir / "recipe.json").read_text())["epochs"] == 3  # the recipe as first run
    assert summary["extensions"] == [{"after_epoch": 3, "epochs": 5}]
    assert framework.load(run_dir, "last").predict(np.zeros((1, 64))).shape == (1,)


def test_the_docs_python_training_example_runs(repo_root, capsys):
    text = (repo_root / "docs" / "recipes.md").read_text()
    block = text.split("Training from Python objects, without a recipe file:", 1)[1].split("```python\n", 1)[1]
    exec(compile(block.split("```", 1)[0], "docs/recipes.md", "exec"), {})
    assert float(capsys.readouterr().out) > 0.9


def test_images_without_pillow_is_one_line(runs, tmp_path, monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "PIL", None)
    (tmp_path / "a.png").write_bytes(b"")
    assert predict_main([str(runs["digits"]), str(tmp_path / "a.png")]) == 2
    assert capsys.readouterr().err == 'error: reading images needs Pillow: pip install "npframe[images]"\n'


@pytest.mark.parametrize("command", ["predict", "export"])
@pytest.mark.parametrize("target", ["missing/out.file", "folder", "/proc/npframe.out"])
def test_every_output_path_error_is_one_line(runs, tmp_path, capsys, command, target):
    """--out and -o into a missing folder, onto a folder, or where nobody may write (/proc: not even root, as
    CI runs): one line naming the path, exit 2, nothing left behind."""
    from framework.export import main as export_main

    (tmp_path / "folder").mkdir()
    np.save(tmp_path / "x.npy", np.zeros((1, 64)))
    before = sorted(p.name for p in tmp_path.rglob("*"))
    out = target if target.startswith("/") else str(tmp_path / target)
    capsys.readouterr()
    if command == "predict":
        code = predict_main([str(runs["digits"]), str(tmp_path / "x.npy"), "--out", out])
    else:
        code = export_main([str(runs["digits"]), "-o", out])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and out in err and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize("command", ["predict", "export", "evaluate"])
def test_a_diverged_run_is_used_only_with_a_named_checkpoint_and_says_so(runs, tmp_path, capsys, command):
    import shutil

    from framework.evaluate import main as evaluate_main
    from framework.export import main as export_main

    run_dir = tmp_path / "run"
    shutil.copytree(runs["digits"], run_dir)
    from framework.checkpoint import read

    which = "last"
    held = read(run_dir / "checkpoints" / f"{which}.npz")[0]["epoch"]  # other tests may have extended the run
    summary = json.loads((run_dir / "summary.json").read_text())
    summary.update(status="diverged", diverged={"epoch": held + 1, "step": 40, "reason": "the training loss is nan"})
    (run_dir / "summary.json").write_text(json.dumps(summary))
    np.save(tmp_path / "x.npy", np.zeros((1, 64)))
    args = {"predict": lambda extra: predict_main([str(run_dir), str(tmp_path / "x.npy"), *extra]),
            "export": lambda extra: export_main([str(run_dir), "-o", str(tmp_path / "m.onnx"), *extra]),
            "evaluate": lambda extra: evaluate_main([str(run_dir), *extra])}[command]
    capsys.readouterr()
    assert args([]) == 2
    err = capsys.readouterr().err
    assert f"diverged at epoch {held + 1} (the training loss is nan)" in err and f"after epoch {held}" in err
    assert "--checkpoint" in err and not (tmp_path / "m.onnx").exists()
    if command == "export":
        pytest.importorskip("onnx")
    assert args(["--checkpoint", which]) == 0
    err = capsys.readouterr().err
    assert f"warning: {run_dir} diverged at epoch {held + 1}" in err
    assert f"using checkpoints/{which}.npz, the weights after epoch {held}" in err


@pytest.mark.parametrize("text, flags, rows, error", [
    ("\ufeffa,b,c\n1,2,3\n4,5,6\n", [], 2, None),  # a byte-order mark: the header is still a header
    ("1,2,3\n4,5,6\n", [], 2, None),
    ("0,1,2\n1,2,3\n4,5,6\n", [], None, "may be column names (as pandas writes them) or data: give --header"),
    ("0,1,2\n1,2,3\n4,5,6\n", ["--header"], 2, None),
    ("0,1,2\n1,2,3\n4,5,6\n", ["--no-header"], 3, None),
    (",2,3\n4,5,6\n", [], None, "line 1, column 1 is empty"),
    ("1,2,3\n4,,6\n", [], None, "line 2, column 2 is empty"),
    ("a,b,c\n1,2,3\n", ["--no-header"], None, "line 1 is not all numbers"),
    ("5.1,3.5,1.4,O.2\n", [], None, "line 1 is not all numbers: '5.1,3.5,1.4,O.2' (a header line? give --header)"),
    ("5.1,3.5,1.4,O.2\n6,3,4,1\n", [], None, "line 1 is not all numbers"),  # a typo in the first of several rows
    ("a,b,c\n", [], None, "no rows of numbers (its only line was read as a header: give --no-header"),
    ("a,b,c\n", ["--header"], None, "no rows of numbers (its only line was read as a header"),
])
def test_predict_reads_exactly_the_csv_rows_it_is_given(tmp_path, capsys, text, flags, rows, error):
    from framework.predict import read_table

    (tmp_path / "t.csv").write_text(text, encoding="utf-8")
    header = {"--header": True, "--no-header": False}.get(flags[0]) if flags else None
    if error:
        with pytest.raises(framework.commands.cli.UsageError, match=re.escape(error)):
            read_table(tmp_path / "t.csv", header)
    else:
        assert read_table(tmp_path / "t.csv", header).shape == (rows, 3)


def test_npy_suffix_case_and_non_numbers(tmp_path):
    from framework.predict import read_table

    np.save(tmp_path / "a.npy", np.ones((2, 3)))
    (tmp_path / "a.npy").rename(tmp_path / "A.NPY")
    assert read_table(tmp_path / "A.NPY").shape == (2, 3)
    np.save(tmp_path / "s.npy", np.array([["1", "2"]]))
    with pytest.raises(framework.commands.cli.UsageError, match=r"s.npy: holds <U1 values, expected numbers"):
        read_table(tmp_path / "s.npy")


def test_predict_reads_canvas_ink_16_bit_and_resizes_only_the_same_shape(runs, tmp_path, capsys):
    Image = pytest.importorskip("PIL.Image")
    x_raw, z, _ = raw_test_split(runs["digits"])
    digit = np.round(x_raw[0].reshape(8, 8) * 255 / 16).astype(np.uint8)
    capsys.readouterr()
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 3] = digit  # black ink, its shape only in the alpha channel (an HTML canvas's export)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "canvas.png")
    Image.fromarray(digit.astype(np.uint16) * 257).save(tmp_path / "deep.png")  # 16-bit
    Image.fromarray(np.kron(digit, np.ones((4, 4), np.uint8))).save(tmp_path / "big.png")  # 32x32
    Image.fromarray(np.zeros((8, 12), np.uint8)).save(tmp_path / "wide.png")
    expected = int(z[0].argmax())
    for name, note in (("canvas", "alpha channel"), ("deep", "16-bit values scaled"), ("big", "resized from 32x32")):
        assert predict_main([str(runs["digits"]), str(tmp_path / f"{name}.png")]) == 0
        out, err = capsys.readouterr()
        assert int(out.splitlines()[1].split(",")[0]) == expected or name == "big", (name, out)
        assert note in err, err
    assert predict_main([str(runs["digits"]), str(tmp_path / "wide.png")]) == 2
    assert "wide.png: 12x8 pixels, expected 8x8 or the same aspect ratio" in capsys.readouterr().err
