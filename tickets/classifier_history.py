"""Retraining the category classifier from a hotline centre's own history: a CSV of past work
orders with a text column (or several) and a label column (a catalog code, a level-1/2/3 name, or
a path "一级/二级/三级"). `hotline classifier train --csv` uses it."""

from __future__ import annotations

import csv
import logging
import re
from collections import Counter
from pathlib import Path

from tickets.category_catalog import CategoryCatalog
from tickets.classifier import (
    CATEGORY_CODE,
    TextClassifier,
    category_path,
    load_training_examples,
)

log = logging.getLogger(__name__)


def resolve_label(catalog: CategoryCatalog, label: str) -> str | None:
    """A catalog code for a CSV label: a code of 2/4/6 digits, a level-3 name, a level-2 name, a
    level-1 name, or a path written as "一级/二级/三级" (also with > or - between names)."""
    label = (label or "").strip()
    if not label:
        return None
    if CATEGORY_CODE.match(label):
        try:
            category_path(catalog, label)
            return label
        except KeyError:
            return None
    names = [n.strip() for n in re.split(r"\s*[/>＞|]\s*|\s+-\s+", label) if n.strip()]
    for category in catalog:
        depth = len(names)
        if depth > 1 and tuple(category.path[:depth]) == tuple(names):
            return category.code[: 2 * depth]
    name = names[-1]
    for depth in (3, 2, 1):
        for category in catalog:
            if category.path[depth - 1] == name:
                return category.code[: 2 * depth]
    return None


def read_labelled_csv(
    csv_path: str | Path, text_column: str | list[str], label_column: str, catalog: CategoryCatalog
) -> tuple[list[tuple[str, str]], Counter]:
    """(text, code) pairs from a CSV; `text_column` may name several columns to join. Also the
    labels that could not be resolved, with their counts."""
    columns = [text_column] if isinstance(text_column, str) else list(text_column)
    examples: list[tuple[str, str]] = []
    unknown: Counter = Counter()
    with open(csv_path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in [*columns, label_column] if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{csv_path}: no column {', '.join(missing)} (has {reader.fieldnames})")
        for row in reader:
            text = "。".join((row.get(c) or "").strip() for c in columns if (row.get(c) or "").strip())
            label = row.get(label_column) or ""
            code = resolve_label(catalog, label)
            if code is None:
                unknown[label] += 1
            elif text:
                examples.append((text, code))
    return examples, unknown


def train_from_csv(
    csv_path: str | Path,
    text_column: str | list[str],
    label_column: str,
    catalog: CategoryCatalog | None = None,
    *,
    include_project_examples: bool = False,
    **train_options,
) -> TextClassifier:
    """Retrain from historical work orders: a CSV with a text column (or several, joined) and a
    label column holding a level-3 code or a level-1/2/3 name (or a path "一级/二级/三级").
    Rows whose label is not in the catalog are skipped (and logged). With coarse labels the
    model predicts coarse codes (e.g. "03" for 环境保护). `include_project_examples` adds the
    project's own examples (only sensible when the CSV labels are level-3)."""
    catalog = catalog or CategoryCatalog.load()
    examples, unknown = read_labelled_csv(csv_path, text_column, label_column, catalog)
    if unknown:
        log.warning(
            "%s: %d rows skipped, unknown labels: %s",
            csv_path,
            sum(unknown.values()),
            ", ".join(f"{k!r}×{n}" for k, n in unknown.most_common(10)),
        )
    if include_project_examples:
        examples += load_training_examples()
    return TextClassifier.train(examples, catalog, **train_options)
