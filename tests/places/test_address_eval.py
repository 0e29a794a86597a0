"""Accuracy on the project's own phrasings (places/eval/): the held-out set was written before the
landmark data and is never adjusted; the same scoring as bench/address_eval.py."""

import pytest

from places.evaluation import HELDOUT, TUNE, load_cases, score
from places.gazetteer import BUILTIN, Gazetteer

GAZETTEER = Gazetteer.builtin()


def test_heldout_accuracy(report_figure):
    cases = load_cases(HELDOUT)
    new, old = score(GAZETTEER, cases), score(Gazetteer.from_yaml(BUILTIN), cases)
    report_figure(
        f"address held-out ({new.total}): district {new.district_accuracy:.1%}, street {new.street_accuracy:.1%}"
        f" (without landmarks.yml {old.district_accuracy:.1%} / {old.street_accuracy:.1%})"
    )
    assert new.district_accuracy >= 0.95
    assert new.street_accuracy >= 0.90


@pytest.mark.parametrize("path", [TUNE, HELDOUT], ids=["tune", "heldout"])
def test_eval_sets_are_well_formed(path):
    cases = load_cases(path)
    assert len(cases) >= 120
    streets = set(GAZETTEER.streets())
    for case in cases:
        assert case.district is None or case.district in GAZETTEER.districts, case
        assert case.street is None or (case.district, case.street) in streets, case


def test_the_sets_do_not_share_phrases():
    assert not {c.text for c in load_cases(TUNE)} & {c.text for c in load_cases(HELDOUT)}
