"""Handling units (承办单位): the registry of the bodies a work order is dispatched to.

Built in (data in tickets/catalog/units.yml, places/data/beijing.yml and categories.yml):
- street level: one unit per 街道 / 地区 / 镇 / 乡 of the gazetteer, named as
  `CategoryCatalog.responsible_unit` names it: "<street>办事处" for 街道 and 地区, "<street>人民政府"
  for 镇 and 乡. A street name found in two districts (八里庄街道 in 朝阳区 and 海淀区) is prefixed
  with its district ("朝阳区八里庄街道办事处") so that names stay unique.
- district level: for each of the 16 districts, its 人民政府 and each bureau that a
  district-scope category names ("朝阳区城市管理委员会").
- city level: the municipal bodies that city-scope categories name.
- utilities: 热力, 自来水, 燃气, 供电, each with the categories it handles.

A hotline imports its own list with `UnitRegistry.import_csv` (`hotline units import CSV`): columns
code,name,level,district, or the official street list's code,name,district_code,district. An
imported unit with the name of an unchanged built-in unit replaces it: the built-in row stays
(work orders and accounts may point at its code) but becomes inactive, and `for_order` returns the
imported one. Names are unique among active units.
"""

import csv
import hashlib
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import Index, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from places.gazetteer import Gazetteer
from tickets.category_catalog import DISPATCH_CENTRE, Category, CategoryCatalog
from tickets.unit_import import NAME_MAX, ImportResult, RowError, UnitSpec, read_units_csv, street_unit_name

log = logging.getLogger(__name__)

UNITS_FILE = Path(__file__).resolve().parent / "catalog" / "units.yml"


class HandlingUnit(SQLModel, table=True):
    __tablename__ = "handling_unit"
    # Unique among active units: a replaced built-in unit keeps its name, inactive.
    __table_args__ = (
        Index(
            "ux_handling_unit_active_name",
            "name",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    code: str = Field(primary_key=True, max_length=24)
    name: str = Field(max_length=NAME_MAX, index=True)
    level: str = Field(max_length=12, index=True)
    district: str | None = Field(default=None, max_length=20, index=True)
    active: bool = True

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "district": self.district,
            "active": self.active,
        }


@dataclass(frozen=True)
class BuiltinData:
    units: tuple[UnitSpec, ...]
    district_codes: dict[str, str]
    utility_by_category: dict[str, str]  # category code -> utility unit code
    ambiguous_streets: frozenset[str]  # street names found in more than one district


def _fallback_key(name: str) -> str:
    """A stable key for a department units.yml does not list yet (logged: add it there)."""
    key = "X" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:6].upper()
    log.warning("units.yml has no key for %s: using %s; add one to tickets/catalog/units.yml", name, key)
    return key


def build_builtin(gazetteer: Gazetteer, catalog: CategoryCatalog, units_file: Path = UNITS_FILE) -> BuiltinData:
    """The built-in units, in a deterministic order, with codes derived only from the data."""
    data = yaml.safe_load(units_file.read_text(encoding="utf-8"))
    district_codes = {str(k): str(v) for k, v in data["districts"].items()}
    dept_keys = {str(k): str(v) for k, v in data["district_departments"].items()}
    city_keys = {str(k): str(v) for k, v in data["city_departments"].items()}

    units: list[UnitSpec] = []
    counts: dict[str, int] = {}
    for _, street in gazetteer.streets():
        counts[street] = counts.get(street, 0) + 1
    ambiguous = frozenset(s for s, n in counts.items() if n > 1)
    for district, info in gazetteer.districts.items():
        if district not in district_codes:
            raise ValueError(f"units.yml has no code for the district {district}")
        for seq, street in enumerate(info["streets"], start=1):
            code = f"{district_codes[district]}-{seq:03d}"
            units.append(UnitSpec(code, street_unit_name(district, street, ambiguous), "street", district))

    utility_by_category: dict[str, str] = {}
    for utility in data["utilities"]:
        for category in utility["categories"]:
            utility_by_category[str(category)] = str(utility["code"])

    named = [c.department for c in catalog if c.scope == "district" and c.department]
    departments = ["人民政府", *sorted(set(named), key=named.index)]  # first-mention order
    for district, dcode in district_codes.items():
        for dept in departments:
            key = dept_keys.get(dept) or _fallback_key(dept)
            units.append(UnitSpec(f"{dcode}-{key}", f"{district}{dept}", "district", district))

    named = [c.department for c in catalog if c.scope == "city" and c.department and c.code not in utility_by_category]
    for dept in sorted(set(named), key=named.index):
        units.append(UnitSpec(f"CITY-{city_keys.get(dept) or _fallback_key(dept)}", dept, "city", None))

    for utility in data["utilities"]:
        units.append(UnitSpec(str(utility["code"]), str(utility["name"]), "utility", None))
    return BuiltinData(tuple(units), district_codes, utility_by_category, ambiguous)


@lru_cache(maxsize=1)
def builtin() -> BuiltinData:
    return build_builtin(Gazetteer.builtin(), CategoryCatalog.load())


@lru_cache(maxsize=1)
def _catalog() -> CategoryCatalog:
    return CategoryCatalog.load()


class UnitRegistry:
    def __init__(self, engine: Engine, data: BuiltinData | None = None, catalog: CategoryCatalog | None = None):
        self.engine = engine
        self.data = data or builtin()
        self.catalog = catalog or _catalog()
        self._builtin_by_code = {u.code: u for u in self.data.units}

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # ------------------------------------------------------------------ built-in units

    def ensure_builtin(self) -> int:
        """Insert the built-in units that are missing; never changes an existing row, and skips a
        built-in unit whose name an active imported unit already has. Returns how many were added."""
        for attempt in (1, 2):
            try:
                return self._insert_missing()
            except IntegrityError:
                # Another process inserted them at the same moment: once more sees its rows.
                if attempt == 2:
                    raise
        return 0

    def _insert_missing(self) -> int:
        with self._session() as session:
            existing = set(session.exec(select(HandlingUnit.code)).all())
            active_names = set(session.exec(select(HandlingUnit.name).where(HandlingUnit.active)).all())
            added = 0
            for spec in self.data.units:
                if spec.code in existing or spec.name in active_names:
                    continue
                session.add(HandlingUnit(code=spec.code, name=spec.name, level=spec.level, district=spec.district))
                added += 1
            session.commit()
            return added

    # ------------------------------------------------------------------ look-ups

    def get(self, code: str) -> HandlingUnit | None:
        with self._session() as session:
            return session.get(HandlingUnit, code)

    def by_name(self, name: str) -> HandlingUnit | None:
        """The active unit of that name, else a replaced (inactive) one."""
        with self._session() as session:
            rows = session.exec(select(HandlingUnit).where(HandlingUnit.name == name)).all()
        return min(rows, key=lambda u: (not u.active, u.code), default=None)

    def all(
        self, level: str | None = None, district: str | None = None, active: bool | None = None
    ) -> list[HandlingUnit]:
        """Units ordered by code; filters are optional."""
        query = select(HandlingUnit)
        if level is not None:
            query = query.where(HandlingUnit.level == level)
        if district is not None:
            query = query.where(HandlingUnit.district == district)
        if active is not None:
            query = query.where(HandlingUnit.active == active)
        with self._session() as session:
            return list(session.exec(query.order_by(HandlingUnit.code)).all())

    def for_order(self, category: Category | str, district: str | None, street: str | None) -> HandlingUnit | None:
        """The active unit that should handle a new work order, by the rule of
        CategoryCatalog.responsible_unit; a utility for its categories. None when only the dispatch
        centre can decide (unknown category, no place for a local matter, unit not registered):
        then a supervisor dispatches by hand."""
        if isinstance(category, str):
            found = self.catalog.get(category)
            if found is None:
                return None
            category = found
        utility = self.data.utility_by_category.get(category.code)
        if utility is not None:
            unit = self.get(utility)
            if unit is not None and unit.active:
                return unit
            # Replaced by an imported unit of the same name (the utility's own code, say).
            return self._active_by_name(self._builtin_by_code[utility].name)
        if category.scope == "street" and street:
            unit = self._street_unit(district, street)
            if unit is not None or not district:
                return unit
            return self._active_by_name(f"{district}人民政府")
        name = self.catalog.responsible_unit(category, district, street)
        return None if name == DISPATCH_CENTRE else self._active_by_name(name)

    def _active_by_name(self, name: str) -> HandlingUnit | None:
        unit = self.by_name(name)
        return unit if unit is not None and unit.active else None

    def _street_unit(self, district: str | None, street: str) -> HandlingUnit | None:
        plain = street_unit_name(None, street)
        names = [plain] if not district else [f"{district}{plain}", plain]
        query = select(HandlingUnit).where(
            HandlingUnit.active, HandlingUnit.level == "street", col(HandlingUnit.name).in_(names)
        )
        if district:
            query = query.where(HandlingUnit.district == district)
        with self._session() as session:
            rows = session.exec(query).all()
        # The district-qualified name first (八里庄街道 is in two districts).
        return min(rows, key=lambda u: (names.index(u.name), u.code), default=None)

    # ------------------------------------------------------------------ import

    def import_csv(self, path: Path) -> ImportResult:
        """Import units from a CSV file (UTF-8, header required), all rows or none: columns
        code,name,level,district, or the official street list's code,name,district_code,district
        (each row a street-level unit named like the built-in ones). A unit whose code exists is
        updated (and active again); a new unit with the name of an unchanged built-in unit makes
        that built-in unit inactive. With any bad row nothing is written and `errors` says why."""
        result = ImportResult()
        try:
            specs = read_units_csv(Path(path), result, self.data.district_codes, self.data.ambiguous_streets)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            result.errors.append(f"{path}: cannot read the file: {exc}")
            return result
        if result.errors:
            return result
        try:
            with self._session() as session:
                for line, spec in specs:
                    try:
                        self._apply(session, line, spec, result)
                    except RowError as exc:
                        result.errors.append(str(exc))
                if result.errors:
                    session.rollback()
                else:
                    session.commit()
        except IntegrityError as exc:
            result.errors.append(f"the import conflicts with the units in the database: {exc.orig}")
        if result.errors:
            return ImportResult(errors=result.errors)
        return result

    def _apply(self, session: Session, line: int, spec: UnitSpec, result: ImportResult) -> None:
        holder = session.exec(
            select(HandlingUnit).where(
                HandlingUnit.name == spec.name, HandlingUnit.active, HandlingUnit.code != spec.code
            )
        ).first()
        if holder is not None:
            original = self._builtin_by_code.get(holder.code)
            if original is None or original.name != holder.name:
                raise RowError(f"line {line}: the name {spec.name} is already used by the unit {holder.code}")
            holder.active = False  # an unchanged built-in unit: the imported one replaces it
            session.add(holder)
            session.flush()
            result.replaced.append(holder.code)
        unit = session.get(HandlingUnit, spec.code)
        if unit is None:
            session.add(HandlingUnit(code=spec.code, name=spec.name, level=spec.level, district=spec.district))
            result.added += 1
        elif (unit.name, unit.level, unit.district, unit.active) != (spec.name, spec.level, spec.district, True):
            unit.name, unit.level, unit.district, unit.active = spec.name, spec.level, spec.district, True
            session.add(unit)
            result.updated += 1
        session.flush()
