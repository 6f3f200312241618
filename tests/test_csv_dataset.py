"""The csv dataset: a table with a header and a named target, text columns one-hot, scaling fitted on the training
rows and kept with the run; predict reads a table's columns by name in any order and prints class names."""
import json

import numpy as np
import pytest
from sklearn.datasets import load_iris

from framework import DataError, registry, testing
from framework.predict import main as predict_main
from framework.run import main as run_main


def csv_dataset(*args, **kw):
    return registry.get("datasets", "csv")(*args, **kw)


def write_iris(path, rows=None, colour=True, header=True):
    d = load_iris()
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    lines = [",".join(names + (["colour"] if colour else []) + ["species"])] if header else []
    for i, (x, y) in enumerate(zip(d.data, d.target)):
        if rows is not None and i not in rows:
            continue
        extra = [["red", "green", "blue"][i % 3]] if colour else []
        lines.append(",".join([f"{v:g}" for v in x] + extra + [d.target_names[y]]))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_table_with_text_labels_and_a_text_feature(tmp_path, capsys):
    d = csv_dataset(str(write_iris(tmp_path / "iris.csv")), target="species")
    assert "target 'species' read as classification (text" in capsys.readouterr().err
    assert d.class_names == ("setosa", "versicolor", "virginica") and d.task == "multiclass"
    assert d.n_features == 4 + 3  # four numbers and the colour's three categories
    assert [c["kind"] for c in d.columns["features"]] == ["number"] * 4 + ["category"]
    assert abs(d.x_train[:, :4].mean()) < 1e-6 and np.allclose(d.x_train[:, :4].std(axis=0), 1, atol=1e-5)
    assert len(d.x_test) == 30 and sorted(np.bincount(d.y_test)) == [10, 10, 10]  # stratified
    testing.check_dataset(registry.get("datasets", "csv"), path=str(tmp_path / "iris.csv"), target="species")


@pytest.mark.parametrize("text, kw, message", [
    ("a,b\n1,2\n", {"target": "c"}, "no column 'c'; columns: a, b"),
    ("a,b\n1,2\n", {"target": "bb"}, "no column 'bb' (did you mean 'b'?)"),
    ("1,2\n3,4\n", {"target": "a"}, "line 1 ('1,2') is not a header row"),
    ("a,b\n1,x\n2,\n3,y\n", {"target": "b"}, "line 3, column 'b': the target is empty"),
    ("a,b\n1,x\n,y\n3,x\n", {"target": "b"}, "line 3, column 'a' is empty (missing: 'mean' fills it"),
    ("a,b\n1,x\n2\n", {"target": "b"}, "line 3 has 1 cells, the header 2"),
    ("a,b\n1,x\n2,x\n", {"target": "b"}, "holds one class ('x')"),
    ("a,b\n1,x\n2,y\n", {"target": "b", "task": "regression"}, "line 2, column 'b': 'x' is not a number"),
])
def test_table_mistakes_are_one_line_naming_line_and_column(tmp_path, text, kw, message):
    (tmp_path / "t.csv").write_text(text)
    with pytest.raises(DataError, match=__import__("re").escape(message)):
        csv_dataset(str(tmp_path / "t.csv"), **kw)


def test_missing_cells_can_be_filled_or_dropped_and_regression_is_inferred(tmp_path, capsys):
    r = np.random.default_rng(0)
    lines = ["x1,x2,kind,y"] + [f"{a:.3f},{'' if i % 7 == 0 else f'{b:.3f}'},{'ab'[i % 2]},{2 * a - b + 0.1 * i:.4f}"
                                 for i, (a, b) in enumerate(r.standard_normal((60, 2)))]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    d = csv_dataset(str(tmp_path / "t.csv"), target="y", missing="mean")
    assert d.task == "regression" and "read as regression (numbers" in capsys.readouterr().err
    assert len(d.x_train) + len(d.x_val) + len(d.x_test) == 60 and d.target_scale > 0
    d = csv_dataset(str(tmp_path / "t.csv"), target="y", missing="drop", task="regression")
    assert len(d.x_train) + len(d.x_val) + len(d.x_test) == 60 - 9


def test_train_then_predict_by_column_name_with_class_names(tmp_path, capsys, repo_root):
    path = write_iris(tmp_path / "iris.csv")
    code = run_main([str(repo_root / "recipes" / "iris_adam.py"), "--set",
                     f"dataset={{'name': 'csv', 'path': {str(path)!r}, 'target': 'species'}}", "--set", "epochs=60",
                     "--set", "loggers=[]", "--logdir", str(tmp_path / "logs"), "--name", "r"])
    assert code == 0, capsys.readouterr().err
    run_dir = tmp_path / "logs" / "iris_adam" / "r"
    assert json.loads((run_dir / "summary.json").read_text())["final"]["test_accuracy"] > 0.85
    # the same columns in another order, the target left in: read by name
    (tmp_path / "new.csv").write_text("species,colour,petal_width,petal_length,sepal_width,sepal_length\n"
                                      "?,red,0.2,1.4,3.5,5.1\n?,blue,2.3,5.9,3.0,6.8\n")
    capsys.readouterr()
    assert predict_main([str(run_dir), str(tmp_path / "new.csv")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "class,name,probability" and out[1].split(",")[1] == "setosa" and \
        out[2].split(",")[1] == "virginica"
    from framework.evaluate import main as evaluate_main

    assert evaluate_main([str(run_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("true \\ predicted"))
    assert lines[header].split()[-3:] == ["setosa", "versicolor", "virginica"]  # columns by name, as the rows
    assert [lines[header + k].split()[0] for k in (1, 2, 3)] == ["setosa", "versicolor", "virginica"]
    for text, message in (("colour,petal_width,petal_length,sepal_width\nred,1,1,1\n", "no column 'sepal_length'"),
                          ("colour,petal_width,petal_length,sepal_width,sepal_length\npink,1,1,1,1\n",
                           "line 2, column 'colour': category 'pink' was not in the training rows")):
        (tmp_path / "bad.csv").write_text(text)
        assert predict_main([str(run_dir), str(tmp_path / "bad.csv")]) == 2
        assert message in capsys.readouterr().err


def test_a_test_file_is_the_test_set(tmp_path):
    train = write_iris(tmp_path / "train.csv", rows=set(range(0, 150, 2)) | {1, 51, 101})
    test = write_iris(tmp_path / "test.csv", rows=set(range(3, 150, 2)))
    d = csv_dataset(str(train), target="species", test_path=str(test))
    assert len(d.x_test) == len(range(3, 150, 2)) and len(d.x_train) + len(d.x_val) == 78
