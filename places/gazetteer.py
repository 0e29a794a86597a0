"""The gazetteer and address resolution: "朝阳望京西园三区" → 朝阳区 / 望京街道.

The built-in list is places/data/beijing.yml; a hotline imports its city's official list with
`Gazetteer.from_official_csv` (columns code, name, district_code, district)."""

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

BUILTIN = Path(__file__).resolve().parent / "data" / "beijing.yml"
# Places citizens name that are outside Beijing's jurisdiction.
ELSEWHERE = ("上海", "天津", "河北", "廊坊", "燕郊", "涿州", "保定", "石家庄", "香河", "固安", "雄安", "承德", "张家口",
             "深圳", "广州", "杭州", "南京", "武汉", "成都", "重庆", "西安")  # fmt: skip


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


class Gazetteer:
    def __init__(self, districts: dict[str, dict]) -> None:
        """districts: {name: {"aliases": [...], "streets": {street: [aliases]}}}"""
        self.districts = districts
        self._names: defaultdict[str, set[_Entry]] = defaultdict(set)
        for district, info in districts.items():
            for name in (district, *info.get("aliases", ())):
                self._names[name].add(_Entry(district, None))
        district_names = set(self._names)
        for district, info in districts.items():
            for street, aliases in info["streets"].items():
                for name in {street, *aliases}:
                    # "海淀" stays the district even though 海淀街道 exists.
                    if len(name) >= 2 and (name == street or name not in district_names):
                        self._names[name].add(_Entry(district, street))
        self._max_len = max(map(len, self._names))

    @classmethod
    def builtin(cls) -> "Gazetteer":
        return cls.from_yaml(BUILTIN)

    @classmethod
    def from_yaml(cls, path: Path) -> "Gazetteer":
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls({
            d["name"]: {"aliases": d.get("aliases") or [],
                        "streets": {s["name"]: s.get("aliases") or [] for s in d.get("streets") or []}}
            for d in data["districts"]
        })  # fmt: skip

    @classmethod
    def from_official_csv(cls, path: Path, base: "Gazetteer | None" = None) -> "Gazetteer":
        """An official list (code,name,district_code,district); aliases are kept from `base`."""
        districts: dict[str, dict] = {}
        with path.open(encoding="utf-8-sig") as f:
            for row in csv.DictReader(f):
                d = districts.setdefault(row["district"], {"aliases": [], "streets": {}})
                d["streets"][row["name"]] = []
        if base is not None:
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
        return cls(districts)

    def streets(self) -> list[tuple[str, str]]:
        return [(d, s) for d, info in self.districts.items() for s in info["streets"]]

    def resolve(self, text: str) -> Place | None:
        """District and street named in a free-text address; None when nothing is recognised."""
        found = self._matches(text)
        if not found:
            if any(place in text for place in ELSEWHERE):
                return Place(None, None, outside_beijing=True)
            return None
        named_districts = {e.district for entries in found for e in entries if e.street is None}
        street_sets = [entries for entries in found if any(e.street for e in entries)]
        district = next(iter(named_districts)) if len(named_districts) == 1 else None
        for entries in street_sets:
            fitting = {e for e in entries if e.street and (district is None or e.district == district)}
            if len(fitting) == 1:
                entry = next(iter(fitting))
                return Place(entry.district, entry.street)
            if len(fitting) > 1:
                return Place(district, None, ambiguous=tuple(sorted(f"{e.district}{e.street}" for e in fitting)))
        return Place(district, None)

    def first_name_at(self, text: str) -> int | None:
        """Where the first place name in the text starts."""
        spans = self._spans(text)
        return spans[0][0] if spans else None

    def _matches(self, text: str) -> list[set[_Entry]]:
        return [entries for _, entries in self._spans(text)]

    def _spans(self, text: str) -> list[tuple[int, set[_Entry]]]:
        """Longest names first, left to right, without overlaps."""
        found, i = [], 0
        while i < len(text):
            for size in range(min(self._max_len, len(text) - i), 1, -1):
                entries = self._names.get(text[i : i + size])
                if entries:
                    found.append((i, entries))
                    i += size
                    break
            else:
                i += 1
        return found

