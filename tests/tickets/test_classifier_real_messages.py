"""The category classifier on real citizen messages it was never trained or tuned on: the held-out
part of the hand-labelled teddy2020 replies (bench/classify_data.py; bench/classify_eval.py prints
every figure). The measurement needs ../shared/data and skips without it; the label file and the
split are checked everywhere."""

import csv
from collections import Counter

import pytest

from bench.classify_data import (
    CODE_MAP,
    HELD_OUT,
    LABELS_FILE,
    LEVEL1_MAP,
    TARGETS,
    TUNE,
    TargetPredictor,
    accuracy,
    replies_set,
    shared_dir,
    split,
    split_of,
)
from tickets.category_catalog import CategoryCatalog
from tickets.classifier import TextClassifier, load_training_examples

CATALOG = CategoryCatalog.load()
# measured with the gateway's settings, text features only (bench/classify_eval.py --no-dense)
REPLIES_HELD_OUT_FLOOR = 0.845  # 84.58 % (181/214) measured


def test_label_file_holds_ids_and_the_7_labels_only():
    with LABELS_FILE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    assert list(rows[0]) == ["id", "label"]
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) >= 500 and all(i.isdigit() for i in ids)
    assert set(Counter(r["label"] for r in rows)) == set(TARGETS)


def test_split_is_fixed_by_the_id_and_about_60_40():
    ids = [str(n) for n in range(10_000, 14_000)]
    parts = [split_of(i) for i in ids]
    assert parts == [split_of(i) for i in ids] and split_of(" 4769 ") == split_of("4769")
    assert 0.57 < parts.count(TUNE) / len(parts) < 0.63
    assert set(parts) == {TUNE, HELD_OUT}


def test_the_map_covers_the_catalog():
    assert set(CODE_MAP) <= set(CATALOG.by_code)
    assert {c.path[0] for c in CATALOG} == set(LEVEL1_MAP)
    assert set(LEVEL1_MAP.values()) | {t for t in CODE_MAP.values() if t} == set(TARGETS)


@pytest.mark.skipif(shared_dir() is None, reason="shared/data/gov_messages (teddy2020 files) is absent on this machine")
def test_held_out_replies_reach_the_measured_accuracy():
    held_out = split(replies_set(shared_dir()))[HELD_OUT]
    assert len(held_out) > 150
    classifier = TextClassifier.train(load_training_examples(), CATALOG)
    assert accuracy(TargetPredictor(classifier), held_out) >= REPLIES_HELD_OUT_FLOOR
