"""Tables with a header row: reading them, and the encoding of their columns into features that a run records
(`Dataset.columns`) so that `predict` reads a table's columns by name, in any order, exactly as training did."""
from __future__ import annotations

import csv
import math
from collections import Counter
from pathlib import Path

import numpy as np

from .data import DataError


def number(text: str) -> float | None:
    """The cell as a finite number, or None."""
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def read_table(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """(header, rows, line number of each row) of a CSV file; DataError naming the file and line for a missing
    file, a first line that is data rather than column names, a repeated column name or a row of another length."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            lines = [(i, r) for i, r in enumerate(csv.reader(f), 1) if r and any(c.strip() for c in r)]
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"{path}: cannot read ({e})") from None
    if not lines:
        raise DataError(f"{path}: empty")
    header = [c.strip() for c in lines[0][1]]
    if any(number(c) is not None for c in header) or not all(header):
        raise DataError(f"{path}: line 1 ({','.join(lines[0][1])[:60]!r}) is not a header row: the first line names "
                        f"the columns, every one, and a name is not a number")
    twice = next((c for c in header if header.count(c) > 1), None)
    if twice is not None:
        raise DataError(f"{path}: line 1 names column {twice!r} twice")
    rows, numbers = [], []
    for n, r in lines[1:]:
        if len(r) != len(header):
            raise DataError(f"{path}: line {n} has {len(r)} cells, the header {len(header)}")
        rows.append(r)
        numbers.append(n)
    if not rows:
        raise DataError(f"{path}: a header and no rows")
    return header, rows, numbers


def encode(table: list[list[str]], names: list[str], train: np.ndarray, where: str) -> tuple[list[dict], np.ndarray]:
    """Columns of raw cells as features: a column whose cells are all numbers is one feature, any other a one-hot
    block over the categories of the training rows (sorted; a category seen only outside them is an error naming
    it). An empty cell takes the training rows' mean (numbers) or most frequent value (text). Returns the
    encoding (one dict a column: name, kind, categories or fill) and the (rows, features) float64 matrix."""
    columns = []
    for j, name in enumerate(names):
        cells = [r[j].strip() for r in table]
        train_cells = [cells[i] for i in train if cells[i]]
        if all(number(c) is not None for c in cells if c):
            fill = float(np.mean([float(c) for c in train_cells])) if train_cells else 0.0
            columns.append({"name": name, "kind": "number", "fill": fill})
        else:
            counts = Counter(train_cells)
            columns.append({"name": name, "kind": "category", "categories": sorted(counts),
                            "fill": counts.most_common(1)[0][0] if counts else ""})
    return columns, apply(columns, table, where)


def apply(columns: list[dict], table: list[list[str]], where: str, lines: list | None = None) -> np.ndarray:
    """Rows of raw cells, one a column of `columns` in its order, as the features the encoding makes."""
    width = sum(len(c["categories"]) if c["kind"] == "category" else 1 for c in columns)
    x = np.zeros((len(table), width))
    at = 0
    for j, col in enumerate(columns):
        for i, row in enumerate(table):
            cell = row[j].strip() or str(col["fill"])
            line = f"line {lines[i]}, " if lines else f"row {i + 1}, "
            if col["kind"] == "number":
                v = number(cell)
                if v is None:
                    raise DataError(f"{where}: {line}column {col['name']!r}: {cell!r} is not a number")
                x[i, at] = v
            else:
                if cell not in col["categories"]:
                    raise DataError(f"{where}: {line}column {col['name']!r}: category {cell!r} was not in the "
                                    f"training rows ({', '.join(col['categories'])})")
                x[i, at + col["categories"].index(cell)] = 1.0
        at += len(col["categories"]) if col["kind"] == "category" else 1
    return x


def read_features(path: Path, columns: dict) -> np.ndarray:
    """A table's feature columns, found by name in any order (the target column, if there, is left out), encoded
    as the run's training table was: raw inputs for its model."""
    header, rows, lines = read_table(path)
    feats = columns["features"]
    absent = next((c["name"] for c in feats if c["name"] not in header), None)
    if absent is not None:
        raise DataError(f"{path}: no column {absent!r}; the model reads {', '.join(c['name'] for c in feats)}")
    order = [header.index(c["name"]) for c in feats]
    return apply(feats, [[r[i] for i in order] for r in rows], str(path), lines)
