"""Handling units from a CSV file: the project's columns (code,name,level,district) or the official
street list's (code,name,district_code,district), checked row by row before anything is written
(tickets/units.py writes them)."""

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, overload

LEVELS = ("street", "district", "city", "utility")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,23}$")
NAME_MAX = 80
UNIT_COLUMNS = ("code", "name", "level", "district")
OFFICIAL_COLUMNS = ("code", "name", "district_code", "district")


class RowError(ValueError):
    pass


@dataclass(frozen=True)
class UnitSpec:
    """A built-in unit (the data, not a database row)."""

    code: str
    name: str
    level: str
    district: str | None


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # codes of built-in units made inactive

    @property
    def ok(self) -> bool:
        return not self.errors


def street_unit_name(district: str | None, street: str, ambiguous: Iterable[str] = ()) -> str:
    """The street-level unit of a 街道 / 地区 / 镇 / 乡, as CategoryCatalog.responsible_unit names it;
    prefixed with the district when the street name alone is found in several districts."""
    name = f"{street}人民政府" if street.endswith(("镇", "乡")) else f"{street}办事处"
    return f"{district}{name}" if district and street in ambiguous else name


def read_units_csv(
    path: Path, result: ImportResult, district_codes: dict[str, str], ambiguous_streets: frozenset[str]
) -> list[tuple[int, UnitSpec]]:
    """The units of a CSV file, each with its line; what is wrong goes to `result.errors`."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        header = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = header
        if set(UNIT_COLUMNS) <= set(header):
            official = False
        elif set(OFFICIAL_COLUMNS) <= set(header):
            official = True
        else:
            result.errors.append(
                f"line 1: the header must name the columns {','.join(UNIT_COLUMNS)} "
                f"(or the official street list's {','.join(OFFICIAL_COLUMNS)}); got {','.join(header) or 'nothing'}"
            )
            return []
        rows = [(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader]
    if official:
        # Street names found in two districts of this list (or of the built-in one) get the district prefix.
        districts_of: dict[str, set[str]] = {}
        for _, row in rows:
            districts_of.setdefault(row["name"], set()).add(row["district"])
        ambiguous = ambiguous_streets | {s for s, ds in districts_of.items() if len(ds) > 1}
    specs: list[tuple[int, UnitSpec]] = []
    seen_codes: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for line, row in rows:
        if not any(row.values()):
            continue  # a blank line
        try:
            spec = _official_row(row, ambiguous, district_codes) if official else _unit_row(row, district_codes)
            if spec.code in seen_codes:
                raise RowError(f"the code {spec.code} is already on line {seen_codes[spec.code]}")
            if spec.name in seen_names:
                raise RowError(f"the name {spec.name} is already on line {seen_names[spec.name]}")
        except RowError as exc:
            result.errors.append(f"line {line}: {exc}")
            continue
        seen_codes[spec.code], seen_names[spec.name] = line, line
        specs.append((line, spec))
    if not specs and not result.errors:
        result.errors.append(f"{path}: no units in the file")
    return specs


def _check_code(code: str) -> None:
    if not code:
        raise RowError("code is empty")
    if not CODE_RE.match(code):
        raise RowError(f"code {code!r} must be 1-24 ASCII letters, digits, '.', '_' or '-'")


@overload
def _check_district(district: str, required: Literal[True], level: str, codes: dict[str, str]) -> str: ...
@overload
def _check_district(district: str, required: bool, level: str, codes: dict[str, str]) -> str | None: ...
def _check_district(district: str, required: bool, level: str, codes: dict[str, str]) -> str | None:
    if not district:
        if required:
            raise RowError(f"district is required for level {level}")
        return None
    if district not in codes:
        raise RowError(f"district {district!r} is not one of Beijing's 16 districts ({', '.join(codes)})")
    return district


def _unit_row(row: dict, codes: dict[str, str]) -> UnitSpec:
    code, name, level = row.get("code", ""), row.get("name", ""), row.get("level", "")
    _check_code(code)
    if not name:
        raise RowError("name is empty")
    if len(name) > NAME_MAX:
        raise RowError(f"name is longer than {NAME_MAX} characters")
    if level not in LEVELS:
        raise RowError(f"level must be one of {', '.join(LEVELS)} (got {level!r})")
    district = _check_district(row.get("district", ""), level in ("street", "district"), level, codes)
    return UnitSpec(code, name, level, district)


def _official_row(row: dict, ambiguous: frozenset[str], codes: dict[str, str]) -> UnitSpec:
    code, street, district_code = row.get("code", ""), row.get("name", ""), row.get("district_code", "")
    _check_code(code)
    if not street:
        raise RowError("name is empty")
    district = _check_district(row.get("district", ""), True, "street", codes)
    if district_code != codes[district]:
        raise RowError(f"district_code {district_code!r} is not the code of {district} ({codes[district]})")
    if not code.startswith(district_code):
        raise RowError(f"code {code} does not start with its district_code {district_code}")
    name = street_unit_name(district, street, ambiguous)
    if len(name) > NAME_MAX:
        raise RowError(f"name is longer than {NAME_MAX - 3} characters")
    return UnitSpec(code, name, "street", district)
