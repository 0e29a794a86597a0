"""Address resolution: district and street accuracy on the project's own citizen phrasings.

Two sets written for this project (places/eval/): `tune.tsv`, looked at while the landmark data
was built, and `heldout.tsv`, written before any landmark data and never adjusted. Each is scored
with the built-in gazetteer (beijing.yml + landmarks.yml) and without the landmark file (the
units and their short forms only), so the landmarks' effect is visible.

    .venv/bin/python bench/address_eval.py
    .venv/bin/python bench/address_eval.py --no-landmarks   # only the gazetteer without landmarks.yml
    .venv/bin/python bench/address_eval.py --show-misses
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from places.evaluation import HELDOUT, TUNE, load_cases, score
from places.gazetteer import BUILTIN, Gazetteer

GOAL = 0.95


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-landmarks", action="store_true", help="score only the gazetteer without landmarks.yml")
    ap.add_argument("--show-misses", action="store_true", help="print every line resolved differently")
    args = ap.parse_args()
    gazetteers = {"no landmarks": Gazetteer.from_yaml(BUILTIN)}
    if not args.no_landmarks:
        gazetteers["with landmarks"] = Gazetteer.builtin()
    print(f"{'set':<9} {'lines':>5}  {'gazetteer':<15} {'district':>9} {'street':>9}")
    for label, path in (("tune", TUNE), ("held-out", HELDOUT)):
        cases = load_cases(path)
        for name, gazetteer in gazetteers.items():
            result = score(gazetteer, cases)
            figures = f"{result.district_accuracy:>9.1%} {result.street_accuracy:>9.1%}"
            print(f"{label:<9} {result.total:>5}  {name:<15} {figures}")
            if args.show_misses and name == list(gazetteers)[-1]:
                for case, place in result.misses:
                    got = f"{place.district}/{place.street}" if place else "None"
                    print(f"    {case.text}  expected {case.district}/{case.street}  got {got}")
    print(f"goal: held-out district accuracy >= {GOAL:.0%}")


if __name__ == "__main__":
    main()
