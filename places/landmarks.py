"""Landmarks citizens name instead of an address (places/data/landmarks.yml): the data model and
its loader. Checking them against the districts and streets is the gazetteer's job."""

from dataclasses import dataclass
from pathlib import Path

import yaml

LANDMARKS = Path(__file__).resolve().parent / "data" / "landmarks.yml"


@dataclass(frozen=True)
class Landmark:
    name: str
    districts: tuple[str, ...]  # one district, or several for a name marked ambiguous
    street: str | None = None  # the street-level unit, when the landmark lies clearly inside one
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class LandmarkData:
    landmarks: tuple[Landmark, ...] = ()
    not_places: tuple[str, ...] = ()  # ordinary words containing a place name (小区北大门)


def load_landmarks(path: Path = LANDMARKS) -> LandmarkData:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    landmarks = [
        _landmark(item, (district,))
        for district, items in (data.get("landmarks") or {}).items()
        for item in items or ()
    ]
    landmarks += [_landmark(item, tuple(item["districts"])) for item in data.get("ambiguous") or ()]
    return LandmarkData(tuple(landmarks), tuple(str(w) for w in data.get("not_places") or ()))


def _landmark(item: str | dict, districts: tuple[str, ...]) -> Landmark:
    if not isinstance(item, dict):
        return Landmark(str(item), districts)
    street = item.get("street")
    if street and len(districts) > 1:
        raise ValueError(f"landmark {item['name']}: an ambiguous landmark cannot name a street")
    aliases = tuple(str(a) for a in item.get("aliases") or ())
    return Landmark(str(item["name"]), districts, street, aliases)
