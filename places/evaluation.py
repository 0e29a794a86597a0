"""Address-resolution accuracy on the project's own citizen phrasings (places/eval/*.tsv).

Each line is `text<TAB>district<TAB>street`; an empty district means no Beijing place should be
resolved (ordinary words, other provinces, names spanning several districts), an empty street
that no single street-level unit should be given. `heldout.tsv` was written before the landmark
data and is never adjusted; `tune.tsv` may be looked at while building the data."""

from dataclasses import dataclass, field
from pathlib import Path

from places.gazetteer import Gazetteer, Place

EVAL_DIR = Path(__file__).resolve().parent / "eval"
TUNE, HELDOUT = EVAL_DIR / "tune.tsv", EVAL_DIR / "heldout.tsv"


@dataclass(frozen=True)
class Case:
    text: str
    district: str | None
    street: str | None


@dataclass
class Score:
    total: int = 0
    district_ok: int = 0
    street_ok: int = 0  # district and street both as expected
    misses: list[tuple[Case, Place | None]] = field(default_factory=list)

    @property
    def district_accuracy(self) -> float:
        return self.district_ok / self.total if self.total else 0.0

    @property
    def street_accuracy(self) -> float:
        return self.street_ok / self.total if self.total else 0.0


def load_cases(path: Path) -> list[Case]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(f"{path.name}:{number}: expected text<TAB>district<TAB>street")
        text, district, street = (p.strip() for p in parts)
        cases.append(Case(text, district or None, street or None))
    return cases


def score(gazetteer: Gazetteer, cases: list[Case]) -> Score:
    result = Score()
    for case in cases:
        place = gazetteer.resolve(case.text)
        district, street = (place.district, place.street) if place else (None, None)
        result.total += 1
        result.district_ok += district == case.district
        result.street_ok += (district, street) == (case.district, case.street)
        if (district, street) != (case.district, case.street):
            result.misses.append((case, place))
    return result
