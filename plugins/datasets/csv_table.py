"""`csv`: a table with a header row, one example a row, a named target column. Number columns are standardised
and text columns one-hot encoded, both fitted on the training rows only; the encoding travels with the run
(`Dataset.columns`), so `framework.predict RUN table.csv` reads feature columns by name, in any order."""
from __future__ import annotations

import difflib
import sys
from pathlib import Path

import numpy as np

from framework import DataError, Dataset
from framework.data import check_fractions, split_rule
from framework.tables import encode, number, read_table

TASKS = ("classification", "regression")
MISSING = ("error", "mean", "drop")


def csv(path: str, target: str, features: list | None = None, task: str | None = None, test_path: str | None = None,
        test_fraction: float = 0.2, val_fraction: float = 0.1, missing: str = "error", split_seed: int = 0) -> Dataset:
    """The table at `path` (see the module). `features`: the columns to learn from (default: every other column);
    `task`: "classification" or "regression", inferred from the target when not given (text, or at most 20
    distinct whole numbers: classification) and said on stderr; the test rows are `test_path`'s, else a
    stratified `test_fraction` drawn with `split_seed`; `missing`: an empty cell is an "error" (naming its line and
    column), filled with the training rows' "mean" (a text column: its most frequent value), or its row is
    dropped ("drop")."""
    if not isinstance(target, str) or not target:
        raise ValueError(f"target: expected a column name, got {target!r}")
    if task not in (None, *TASKS):
        raise ValueError(f"task: expected 'classification' or 'regression', got {task!r}")
    if missing not in MISSING:
        raise ValueError(f"missing: expected one of {', '.join(map(repr, MISSING))}, got {missing!r}")
    check_fractions(val_fraction=val_fraction, test_fraction=test_fraction)
    header, rows, lines = read_table(Path(path))
    if target not in header:
        close = difflib.get_close_matches(target, header, n=1)
        raise DataError(f"{path}: no column {target!r}{f' (did you mean {close[0]!r}?)' if close else ''}; "
                        f"columns: {', '.join(header)}")
    if features is None:
        features = [c for c in header if c != target]
    bad = next((c for c in features if c not in header or c == target), None)
    if bad is not None:
        raise ValueError(f"features: {bad!r} is {'the target' if bad == target else 'not a column of ' + path}")
    is_test = np.zeros(len(rows), bool)
    if test_path is not None:
        test_header, test_rows, test_lines = read_table(Path(test_path))
        absent = next((c for c in [*features, target] if c not in test_header), None)
        if absent is not None:
            raise DataError(f"{test_path}: no column {absent!r} (the training table {path} has it)")
        order = [test_header.index(c) for c in header if c in test_header]
        rows += [[r[i] for i in order] for r in test_rows]
        lines += [f"{test_path}:{n}" for n in test_lines]
        is_test = np.concatenate([is_test, np.ones(len(test_rows), bool)])
    t = header.index(target)
    empty = [i for i, r in enumerate(rows) if not r[t].strip()]
    if empty:
        raise DataError(f"{path}: line {lines[empty[0]]}, column {target!r}: the target is empty")
    labels = [r[t].strip() for r in rows]
    numeric = all(number(v) is not None for v in labels)
    if task is None:
        whole = numeric and all(float(v).is_integer() for v in labels)
        task = "classification" if not numeric or (whole and len(set(labels)) <= 20) else "regression"
        why = ("text" if not numeric else f"{len(set(labels))} distinct whole numbers") if task == "classification" \
            else "numbers"
        print(f"note: csv {Path(path).name}: target {target!r} read as {task} ({why}; set task to choose)",
              file=sys.stderr)
    if task == "regression" and not numeric:
        bad_row = next(i for i, v in enumerate(labels) if number(v) is None)
        raise DataError(f"{path}: line {lines[bad_row]}, column {target!r}: {labels[bad_row]!r} is not a number "
                        f"(task 'regression')")
    if task == "classification":
        classes = sorted(set(labels), key=lambda v: (float(v), v) if numeric else (0, v))
        if len(classes) < 2:
            raise DataError(f"{path}: column {target!r} holds one class ({classes[0]!r}); a classifier needs two")
        y = np.array([classes.index(v) for v in labels], np.int64)
    else:
        y = np.array([float(v) for v in labels])
    keep = np.ones(len(rows), bool)
    cols = [header.index(c) for c in features]
    if missing == "drop":
        keep = np.array([all(r[i].strip() for i in cols) for r in rows])
        if not keep.any():
            raise DataError(f"{path}: every row has an empty cell (missing: 'drop')")
    elif missing == "error":
        for i, r in enumerate(rows):
            j = next((j for j in cols if not r[j].strip()), None)
            if j is not None:
                raise DataError(f"{path}: line {lines[i]}, column {header[j]!r} is empty (missing: 'mean' fills it, "
                                f"'drop' drops its row)")
    rows = [r for r, k in zip(rows, keep) if k]
    y, is_test = y[keep], is_test[keep]
    strat = y if task == "classification" else np.zeros(len(y), np.int64)
    idx = split_rule(strat, is_test if test_path is not None else None, val_fraction, test_fraction, split_seed)
    table = [[r[j] for j in cols] for r in rows]
    columns, x_raw = encode(table, features, idx["train"], where=str(path))
    x_train = x_raw[idx["train"]]
    center, scale = x_train.mean(axis=0), x_train.std(axis=0)
    onehot = np.array([c for col in columns for c in ([col["kind"] == "category"] * max(len(col.get("categories",
                                                                                                     [])), 1))])
    center[onehot], scale[onehot] = 0.0, 1.0
    scale[scale == 0] = 1.0
    x = ((x_raw - center) / scale).astype(np.float32)
    out = {"columns": {"features": columns, "target": target}, "input_center": center, "input_scale": scale}
    if task == "classification":
        n = len(classes)
        kind = "binary" if n == 2 else "multiclass"
        out.update(task=kind, n_classes=n if kind == "multiclass" else None, class_names=tuple(classes))
    else:
        mu, sd = float(y[idx["train"]].mean()), float(y[idx["train"]].std()) or 1.0
        y = ((y - mu) / sd).astype(np.float32)
        out.update(task="regression", target_center=mu, target_scale=sd)
    return Dataset(Path(path).stem, x[idx["train"]], y[idx["train"]], x[idx["val"]], y[idx["val"]], x[idx["test"]],
                   y[idx["test"]], **out)

