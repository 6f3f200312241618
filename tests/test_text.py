"""Text and sequence datasets (text, addition, mnist_rows), the per-position loss, and language models trained
end to end through the command line."""
import json

import numpy as np
import pytest

from framework import testing
from framework.data import DataError
from framework.losses import SequenceCrossEntropy
from framework.run import main as run_main
from plugins.datasets.text import ADDITION_VOCAB, addition, mnist_rows, text


def run(args, tmp_path, capsys):
    code = run_main([*args, "--logdir", str(tmp_path / "logs")])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


GPT = {"name": "sequential", "layers": [
    {"name": "embedding", "vocab": "outputs", "units": 16}, "positional_embedding",
    {"name": "transformer_block", "heads": 2}, "layer_norm", {"name": "dense", "units": "outputs"}]}


@pytest.fixture
def corpus(tmp_path):
    words = "to be or not that is the question whether tis nobler in mind".split()
    r = np.random.default_rng(0)
    path = tmp_path / "corpus.txt"
    path.write_text(" ".join(words[i] for i in r.integers(0, len(words), 3000)))
    return path


def test_text_windows_vocabulary_and_splits(corpus):
    d = text(str(corpus), block_size=8)
    content = corpus.read_text()
    vocab = "".join(d.class_names)
    assert vocab == "".join(sorted(set(content))) and d.tokens == d.n_classes == len(vocab)
    decode = lambda ids: "".join(vocab[i] for i in ids)
    n_train = int(len(content) * 0.9)
    assert decode(d.x_train[0]) == content[:8] and decode(d.y_train[0]) == content[1:9]
    assert decode(d.x_train[-1]) == content[n_train - 9:n_train - 1]  # every start in the training text
    assert len(d.x_train) == n_train - 8
    assert decode(d.x_val[1]) == content[n_train + 8:n_train + 16]  # held out: non-overlapping windows
    assert decode(d.x_test[0]) == content[int(len(content) * 0.95):][:8]
    assert d.input_shape == (8,) and d.steps_per_epoch == 500
    testing.check_dataset(text, path=str(corpus), block_size=8)


def test_text_nanogpt_split(corpus):
    d = text(str(corpus), block_size=8, split="nanogpt")
    content = corpus.read_text()
    vocab = "".join(d.class_names)
    assert len(d.x_test) == 0 and "".join(vocab[i] for i in d.x_val[0]) == content[int(len(content) * 0.9):][:8]


@pytest.mark.parametrize("params,error", [
    ({"path": "missing.txt"}, "no such file"), ({"path": "."}, "is a folder"),
    ({"block_size": 100_000}, "too few for block_size 100000"), ({"split": "start"}, "split: expected"),
    ({"block_size": 0}, "block_size: expected a positive integer"), ({"val_fraction": 0.7}, "val_fraction"),
    ({"encoding": "klingon"}, "unknown text encoding")])
def test_text_errors_name_the_problem(corpus, tmp_path, params, error):
    params = {"path": str(corpus), **params}
    if params["path"] == ".":
        params["path"] = str(tmp_path)
    elif params["path"] == "missing.txt":
        params["path"] = str(tmp_path / "missing.txt")
    with pytest.raises((ValueError, DataError), match=error):
        text(**params)


def test_text_that_is_not_utf8(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9 ".encode("latin-1") * 100)
    with pytest.raises(DataError, match=r"latin1.txt: not utf-8 text \(byte 3\)"):
        text(str(bad), block_size=4)
    assert text(str(bad), block_size=4, encoding="latin-1").class_names == tuple(sorted(set("café ")))


def test_addition_sums_are_right_and_distinct():
    d = addition(n=2000, digits=3)
    testing.check_dataset(addition, n=2000, digits=3)
    decode = lambda ids: "".join(ADDITION_VOCAB[i] for i in ids)
    questions = [decode(x) for x in np.concatenate([d.x_train, d.x_val, d.x_test])]
    answers = [decode(y) for y in np.concatenate([d.y_train, d.y_val, d.y_test])]
    assert len(set(questions)) == 2000 and all(len(q) == 7 for q in questions)
    for q, a in zip(questions, answers):
        x, y = q.split("+")
        assert int(x) + int(y) == int(a)
    back = addition(n=50, digits=2, reverse=True)
    assert decode(back.x_train[0])[::-1].strip().count("+") == 1
    with pytest.raises(ValueError, match="too many"):
        addition(n=10_000, digits=1)


def test_mnist_rows():
    d = mnist_rows(val_size=1000)
    assert d.input_shape == (28, 28) and d.image_shape is None and d.x_train.shape[1] == 784


def test_sequence_loss_gradient_and_metrics():
    r = np.random.default_rng(0)
    z, y = r.standard_normal((3, 4, 5)), r.integers(0, 5, (3, 4))
    for eps in (0.0, 0.1):
        loss = SequenceCrossEntropy(label_smoothing=eps)
        loss.forward(z, y)
        g = loss.backward()
        num = testing.numerical_grad(lambda e=eps: SequenceCrossEntropy(label_smoothing=e).forward(z, y), z)
        assert g.shape == z.shape and np.allclose(g, num, rtol=1e-6, atol=1e-9)
    p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    ce = -np.log(p[np.arange(3)[:, None], np.arange(4), y]).mean()
    assert np.isclose(SequenceCrossEntropy().forward(z, y), ce)
    assert np.isclose(SequenceCrossEntropy(label_smoothing=0.1).forward(z, y), 0.9 * ce - 0.1 * np.log(p).mean())
    m = SequenceCrossEntropy(label_smoothing=0.1).metrics(z, y)  # of the plain cross-entropy
    assert np.isclose(m["bits_per_char"], ce / np.log(2)) and np.isclose(m["perplexity"], np.exp(ce))
    right = z.argmax(-1) == y
    assert m["accuracy"] == right.mean() and m["sequence_accuracy"] == right.all(axis=1).mean()


def test_a_language_model_trains_from_the_command_line(corpus, tmp_path, capsys, repo_root):
    recipe = {"dataset": {"name": "text", "path": str(corpus), "block_size": 16, "steps_per_epoch": 30},
              "model": GPT, "optimizer": {"name": "adamw", "lr": 3e-3}, "scheduler": "cosine", "loggers": [],
              "callbacks": ["checkpoint"], "epochs": 2, "batch_size": 16}
    path = tmp_path / "lm.py"
    path.write_text(f"recipe = {recipe!r}")
    code, _, err = run([str(path), "--name", "r"], tmp_path, capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "logs" / "lm" / "r" / "summary.json").read_text())
    history = summary["history"]
    assert len(history) == 2 and history[1]["val_loss"] < history[0]["val_loss"] < np.log(len(set(
        corpus.read_text())))  # learns: below the loss of a uniform guess
    assert {"val_bits_per_char", "val_perplexity"} <= set(history[0])


@pytest.fixture(scope="module")
def lm_run(tmp_path_factory):
    """A small causal transformer (with a GRU layer too, so both caches are used) trained on a corpus."""
    tmp = tmp_path_factory.mktemp("lm")
    words = "to be or not that is the question whether tis nobler in mind".split()
    r = np.random.default_rng(0)
    (tmp / "corpus.txt").write_text(" ".join(words[i] for i in r.integers(0, len(words), 3000)))
    model = {"name": "sequential", "layers": [
        {"name": "embedding", "vocab": "outputs", "units": 16}, "positional_embedding",
        {"name": "transformer_block", "heads": 2}, {"name": "gru", "units": 16, "return_sequences": True},
        "layer_norm", {"name": "dense", "units": "outputs"}]}
    recipe = {"dataset": {"name": "text", "path": str(tmp / "corpus.txt"), "block_size": 16, "steps_per_epoch": 40},
              "model": model, "optimizer": {"name": "adamw", "lr": 3e-3}, "loggers": [], "callbacks": ["checkpoint"],
              "epochs": 2, "batch_size": 16, "dtype": "float64"}
    (tmp / "lm.py").write_text(f"recipe = {recipe!r}")
    assert run_main([str(tmp / "lm.py"), "--name", "r", "--logdir", str(tmp / "logs")]) == 0
    return tmp / "logs" / "lm" / "r"


def test_generation_repeats_and_the_cache_changes_nothing(lm_run):
    from framework import load

    model = load(lm_run)
    a = model.generate("to be", length=60, temperature=0.8, top_k=5, seed=3)
    assert len(a) == 60 and set(a) <= set(model.classes)
    assert model.generate("to be", length=60, temperature=0.8, top_k=5, seed=3) == a  # same seed, same text
    assert model.generate("to be", length=60, temperature=0.8, top_k=5, seed=4) != a
    # past the block size (16) the context restarts from its last half, with and without the cache alike
    assert model.generate("to be", length=60, temperature=0.8, top_k=5, seed=3, cache=False) == a
    greedy = model.generate("whether", length=30, temperature=0)
    assert greedy == model.generate("whether", length=30, temperature=0, seed=9)


def test_incremental_steps_equal_the_whole_forward(lm_run):
    from framework import load

    predictor = load(lm_run)
    model = predictor.model
    ids = np.random.default_rng(1).integers(0, len(predictor.classes), (3, 16))
    whole = model.forward(ids)
    model.start(3)
    parts = [model.step(ids[:, :5])] + [model.step(ids[:, t:t + 1]) for t in range(5, 16)]
    assert np.allclose(np.concatenate(parts, axis=1), whole, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("args,error", [(["--prompt", "zzz"], "the character 'z' is not in the run's vocabulary"),
                                        (["--prompt", ""], "prompt: empty"),
                                        (["--top-k", "0"], "top_k: expected a positive integer"),
                                        (["--temperature", "-1"], "temperature: expected a number >= 0")])
def test_generate_command_errors(lm_run, capsys, args, error):
    from framework.generate import main

    assert main([str(lm_run), *args]) == 2
    err = capsys.readouterr().err
    assert error in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_generate_command_writes_the_prompt_and_its_continuation(lm_run, capsys):
    from framework.generate import main

    assert main([str(lm_run), "--prompt", "to be", "--length", "40", "--seed", "2"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("to be") and len(out) == len("to be") + 40 + 1 and "40 characters in" in err


def test_generate_refuses_a_model_that_is_not_of_text(repo_root, tmp_path, capsys):
    from framework.generate import main

    recipe = str(repo_root / "recipes" / "iris_adam.py")
    assert run_main([recipe, "--set", "loggers=[]", "--set", "epochs=1", "--name", "i", "--logdir",
                     str(tmp_path)]) == 0
    capsys.readouterr()
    assert main([str(tmp_path / "iris_adam" / "i")]) == 2
    assert "generate needs a model of text" in capsys.readouterr().err


def test_clip_grad_norm_scales_every_gradient_to_the_norm():
    from types import SimpleNamespace

    from framework import Param
    from framework.layers import flatten
    from plugins.callbacks import ClipGradNorm

    params = [Param("a", np.zeros(3)), Param("b", np.zeros((2, 2)))]
    flatten(params)
    params[0].grad[...] = [3.0, 0.0, 0.0]
    params[1].grad[...] = [[0.0, 4.0], [0.0, 0.0]]  # global norm 5
    clip = ClipGradNorm(max_norm=1.0)
    trainer = SimpleNamespace(model=SimpleNamespace(params=params))
    clip.on_backward_end(trainer, None)
    assert clip.norm == 5.0 and np.allclose(params[0].grad, [0.6, 0, 0], atol=1e-6)
    assert np.isclose(np.sqrt(sum((p.grad ** 2).sum() for p in params)), 1.0, atol=1e-6)
    ClipGradNorm(max_norm=10.0).on_backward_end(trainer, None)  # under the limit: unchanged
    assert np.allclose(params[1].grad, [[0, 0.8], [0, 0]], atol=1e-6)
    with pytest.raises(ValueError, match="max_norm"):
        ClipGradNorm(max_norm=0)


def test_a_text_model_exports_to_onnx(lm_run, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    from framework import load
    from framework.export import main

    out = tmp_path / "lm.onnx"
    assert main([str(lm_run), "-o", str(out)]) == 0, capsys.readouterr().err
    predictor = load(lm_run)
    ids = np.random.default_rng(0).integers(0, len(predictor.classes), (2, 16))
    z = predictor.model.forward(ids)
    p = np.exp(z - z.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": ids.astype(np.int64)})[0]
    assert got.shape == (2, 16, len(predictor.classes)) and np.allclose(got, p, atol=1e-5)


def test_evaluate_and_predict_on_a_text_run(lm_run, capsys):
    from framework.evaluate import main as evaluate
    from framework.predict import main as predict

    assert evaluate([str(lm_run), "--split", "val"]) == 0
    out = capsys.readouterr().out
    assert "val_bits_per_char" in out and "confusion" not in out
    assert predict([str(lm_run), str(lm_run / "recipe.json")]) == 2
    assert "is a model of text: python -m framework.generate" in capsys.readouterr().err
