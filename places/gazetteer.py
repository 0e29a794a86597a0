"""The gazetteer and address resolution: "朝阳望京西园三区" → 朝阳区 / 望京街道, "雍和宫附近" → 东城区.

The built-in lists are places/data/beijing.yml (districts, street-level units, their short forms)
and places/data/landmarks.yml (POIs, stations, campuses, estates ...); a hotline imports its city's
official unit list with `Gazetteer.from_official_csv` (columns code, name, district_code, district).

Resolution finds the names in the text (longest first, left to right), then prefers the most
specific place: a landmark inside a street-level unit, then a unit, then a landmark known only at
district level, then a bare district. A district the text names filters the candidates; when the
text names a district and a landmark of another district, the landmark wins (a dispatcher sends
the order to where the problem is; citizens name their own district or misplace a border). A
place named right after a landmark names its branch there ("友谊医院通州院区" is in 通州)."""

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from places.landmarks import LANDMARKS, Landmark, LandmarkData, load_landmarks

BUILTIN = Path(__file__).resolve().parent / "data" / "beijing.yml"
# Places citizens name that are outside Beijing's jurisdiction.
ELSEWHERE = ("上海", "天津", "河北", "廊坊", "燕郊", "涿州", "保定", "石家庄", "香河", "固安", "雄安", "承德", "张家口",
             "深圳", "广州", "杭州", "南京", "武汉", "成都", "重庆", "西安")  # fmt: skip
DISTRICT, STREET, LANDMARK = "district", "street", "landmark"


@dataclass(frozen=True)
class Place:
    district: str | None
    street: str | None
    ambiguous: tuple[str, ...] = ()  # "<district><street>" candidates when a name fits several
    outside_beijing: bool = False


@dataclass(frozen=True)
class _Entry:
    district: str
    street: str | None
    kind: str = STREET

    @property
    def rank(self) -> int:
        """0 is the most specific: a landmark inside a unit; then a unit; then a district-level landmark."""
        if self.kind == LANDMARK:
            return 0 if self.street else 2
        return 1 if self.kind == STREET else 3


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    entries: frozenset[_Entry]  # empty for an ordinary word that contains a place name

    @property
    def districts(self) -> set[str]:
        return {e.district for e in self.entries}

    @property
    def is_landmark(self) -> bool:
        return any(e.kind == LANDMARK for e in self.entries)


class Gazetteer:
    def __init__(self, districts: dict[str, dict], landmarks: LandmarkData = LandmarkData()) -> None:
        """districts: {name: {"aliases": [...], "streets": {street: [aliases]}}}"""
        self.districts = districts
        self.landmarks = landmarks
        names: defaultdict[str, set[_Entry]] = defaultdict(set)
        for district, info in districts.items():
            for name in (district, *info.get("aliases", ())):
                names[name].add(_Entry(district, None, DISTRICT))
        district_names = set(names)
        for district, info in districts.items():
            for street, aliases in info["streets"].items():
                for name in {street, *aliases}:
                    # "海淀" stays the district even though 海淀街道 exists.
                    if len(name) >= 2 and (name == street or name not in district_names):
                        names[name].add(_Entry(district, street))
        self._names = {_fold(n): frozenset(e) for n, e in names.items()}
        for landmark in landmarks.landmarks:
            self._add_landmark(landmark)
        for word in landmarks.not_places:
            self._names.setdefault(_fold(word), frozenset())
        self._max_len = max(map(len, self._names))

    def _add_landmark(self, landmark: Landmark) -> None:
        for district in landmark.districts:
            streets = self.districts.get(district, {}).get("streets")
            if streets is None:
                raise ValueError(f"landmark {landmark.name}: unknown district {district}")
            if landmark.street and landmark.street not in streets:
                raise ValueError(f"landmark {landmark.name}: {district} has no street-level unit {landmark.street}")
        entries = frozenset(_Entry(d, landmark.street, LANDMARK) for d in landmark.districts)
        for name in landmark.names:
            if _fold(name) in self._names:
                raise ValueError(f"landmark {name} is listed twice (keep one copy of each place name)")
            self._names[_fold(name)] = entries

    @classmethod
    def builtin(cls) -> "Gazetteer":
        return cls.from_yaml(BUILTIN, LANDMARKS)

    @classmethod
    def from_yaml(cls, path: Path, landmarks_path: Path | None = None) -> "Gazetteer":
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        districts = {
            d["name"]: {
                "aliases": d.get("aliases") or [],
                "streets": {s["name"]: s.get("aliases") or [] for s in d.get("streets") or []},
            }
            for d in data["districts"]
        }
        return cls(districts, load_landmarks(landmarks_path) if landmarks_path else LandmarkData())

    @classmethod
    def from_official_csv(cls, path: Path, base: "Gazetteer | None" = None) -> "Gazetteer":
        """An official list (code,name,district_code,district); aliases and landmarks are kept from `base`."""
        districts: dict[str, dict] = {}
        with path.open(encoding="utf-8-sig") as f:
            for row in csv.DictReader(f):
                d = districts.setdefault(row["district"], {"aliases": [], "streets": {}})
                d["streets"][row["name"]] = []
        if base is None:
            return cls(districts)
        renamed: dict[tuple[str, str], str] = {}  # (district, our street) → official street
        for name, info in districts.items():
            old = base.districts.get(name, {"aliases": [], "streets": {}})
            info["aliases"] = list(old.get("aliases", []))
            # An official name may be one of our aliases (亦庄地区 for 亦庄镇): keep that unit's names.
            by_alias = {a: s for s, aliases in old["streets"].items() for a in aliases}
            for street in info["streets"]:
                ours = street if street in old["streets"] else by_alias.get(street)
                if ours is not None:
                    names = [*old["streets"][ours], ours]
                    info["streets"][street] = [n for n in names if n != street]
                    renamed[(name, ours)] = street
        landmarks = _imported_landmarks(base.landmarks.landmarks, districts, renamed)
        return cls(districts, LandmarkData(landmarks, base.landmarks.not_places))

    def streets(self) -> list[tuple[str, str]]:
        return [(d, s) for d, info in self.districts.items() for s in info["streets"]]

    def landmark_names(self) -> list[str]:
        return [name for lm in self.landmarks.landmarks for name in lm.names]

    def resolve(self, text: str) -> Place | None:
        """District and street named in a free-text address; None when nothing is recognised."""
        spans = _drop_qualified([s for s in self._spans(text) if s.entries])
        if not spans:
            if any(place in text for place in ELSEWHERE):
                return Place(None, None, outside_beijing=True)
            return None
        named = {e.district for s in spans for e in s.entries if e.kind == DISTRICT}
        specific = [entries for s in spans if (entries := frozenset(e for e in s.entries if e.kind != DISTRICT))]
        specific.sort(key=lambda entries: min(e.rank for e in entries))  # stable: text order within a rank
        district = _pick_district(named, specific)
        ambiguous: tuple[str, ...] = ()
        for entries in specific:
            fitting = {e for e in entries if district is None or e.district == district}
            if len(fitting) == 1 and (entry := next(iter(fitting))).street:
                return Place(entry.district, entry.street)
            if len(fitting) > 1 and not ambiguous:
                ambiguous = tuple(sorted(f"{e.district}{e.street or ''}" for e in fitting))
        return Place(district, None, ambiguous=() if district else ambiguous)

    def first_name_at(self, text: str) -> int | None:
        """Where the first place name in the text starts."""
        return next((s.start for s in self._spans(text) if s.entries), None)

    def _spans(self, text: str) -> list[_Span]:
        """Longest names first, left to right, without overlaps (ordinary words included)."""
        folded, found, i = _fold(text), [], 0
        while i < len(folded):
            for size in range(min(self._max_len, len(folded) - i), 1, -1):
                entries = self._names.get(folded[i : i + size])
                if entries is not None and _whole_word(folded, i, i + size):
                    found.append(_Span(i, i + size, entries))
                    i += size
                    break
            else:
                i += 1
        return found


def _imported_landmarks(
    landmarks: Iterable[Landmark], districts: dict[str, dict], renamed: dict[tuple[str, str], str]
) -> tuple[Landmark, ...]:
    """Landmarks re-based on an official list: streets renamed (or dropped when the list lacks
    them), and names that became official unit names (北京经济技术开发区) left to the unit."""
    taken = {name for d, info in districts.items() for name in (d, *info["aliases"])}
    taken |= {name for info in districts.values() for s, aliases in info["streets"].items() for name in (s, *aliases)}
    kept = []
    for landmark in landmarks:
        names = [n for n in landmark.names if n not in taken]
        if names and all(d in districts for d in landmark.districts):
            street = renamed.get((landmark.districts[0], landmark.street or ""))
            kept.append(Landmark(names[0], landmark.districts, street, tuple(names[1:])))
    return tuple(kept)


def _drop_qualified(spans: list[_Span]) -> list[_Span]:
    """A landmark directly followed by a place elsewhere names its branch there (北京理工大学良乡校区)."""
    kept = []
    for span, after in zip(spans, [*spans[1:], None], strict=False):  # one more than spans when empty
        branch = after is not None and after.start == span.end and not span.districts & after.districts
        if not (branch and span.is_landmark):
            kept.append(span)
    return kept


def _pick_district(named: set[str], specific: list[frozenset[_Entry]]) -> str | None:
    """The district the text is about; `specific` is ordered most specific first."""
    if len(named) == 1:
        district = next(iter(named))
        if any(e.district == district for entries in specific for e in entries):
            return district
        # A landmark of another district wins over the district the citizen named.
        landmarks = [entries for entries in specific if any(e.kind == LANDMARK for e in entries)]
        return next((_only_district(entries) for entries in landmarks if _only_district(entries)), district)
    candidates = [entries for entries in specific if any(e.district in named for e in entries)] or specific
    return next((_only_district(entries) for entries in candidates if _only_district(entries)), None)


def _only_district(entries: Iterable[_Entry]) -> str | None:
    districts = {e.district for e in entries}
    return next(iter(districts)) if len(districts) == 1 else None


def _fold(text: str) -> str:
    """ASCII letters in lower case (CBD, cbd); the length of the text is unchanged."""
    return text.translate(_LOWER)


def _whole_word(text: str, start: int, end: int) -> bool:
    """A name like 798 or SKP is not part of a longer ASCII word or number (电话13907981234)."""
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    return not (_ascii_alnum(text[start]) and _ascii_alnum(before)) and not (
        _ascii_alnum(text[end - 1]) and _ascii_alnum(after)
    )


def _ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
