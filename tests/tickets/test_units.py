"""The handling units registry (承办单位): built-in units, codes, dispatch rule, CSV import, CLI.
Runs on SQLite, and on PostgreSQL when DATABASE_URL is set (the `db` fixture of conftest.py)."""

import json
import re
from pathlib import Path

import pytest

import cli
from places.gazetteer import Gazetteer
from tickets.category_catalog import CategoryCatalog
from tickets.units import HandlingUnit, UnitRegistry, build_builtin, builtin  # noqa: F401  (registers the table)

CATALOG = CategoryCatalog.load()
GAZETTEER = Gazetteer.builtin()
OFFICIAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "gazetteer" / "beijing_streets.csv"

STREET_CATEGORY = CATALOG.get("030302")  # 商业经营噪音: the street office of the address
DISTRICT_CATEGORY = CATALOG.get("020501")  # 道路桥梁破损: the district 城市管理委员会
CITY_CATEGORY = CATALOG.get("040102")  # 违法停车: 北京市公安局公安交通管理局


@pytest.fixture()
def registry(db) -> UnitRegistry:
    units = UnitRegistry(db)
    units.ensure_builtin()
    return units


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_catalog_codes_used_here_are_what_the_tests_assume():
    assert (STREET_CATEGORY.scope, STREET_CATEGORY.name) == ("street", "商业经营噪音")
    assert (DISTRICT_CATEGORY.scope, DISTRICT_CATEGORY.department) == ("district", "城市管理委员会")
    assert (CITY_CATEGORY.scope, CITY_CATEGORY.department) == ("city", "北京市公安局公安交通管理局")


# ---------------------------------------------------------------- built-in units and codes


def test_every_gazetteer_street_has_its_unit(registry):
    streets = GAZETTEER.streets()
    assert len(streets) == len(registry.all(level="street")) == 343
    for district, street in streets:
        unit = registry.for_order(STREET_CATEGORY, district, street)
        assert unit is not None, (district, street)
        assert (unit.level, unit.district, unit.active) == ("street", district, True)
        expected = CATALOG.responsible_unit(STREET_CATEGORY, district, street)
        # Same name as the catalog's rule; 八里庄街道 (朝阳区 and 海淀区) carries its district.
        assert unit.name == (f"{district}{expected}" if street == "八里庄街道" else expected)


def test_codes_are_unique_ascii_and_stable():
    first, again = builtin(), build_builtin(Gazetteer.builtin(), CategoryCatalog.load())
    assert first.units == again.units  # deterministic from the data
    codes = [u.code for u in first.units]
    names = [u.name for u in first.units]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]{1,24}", c) for c in codes)
    assert all(len(n) <= 80 for n in names)
    assert not [c for c in codes if re.search(r"-X[0-9A-F]{6}$", c)], "a department has no key in units.yml"
    by_code = {u.code: u for u in first.units}
    # Pinned: a code once handed out must not move to another unit.
    assert by_code["110101-001"].name == "东华门街道办事处"  # the first street of 东城区 in beijing.yml
    assert (by_code["110105-001"].name, by_code["110105-001"].district) == ("建外街道办事处", "朝阳区")
    assert by_code["110105-015"].name == "朝阳区八里庄街道办事处"
    assert by_code["110105-GOV"].name == "朝阳区人民政府"
    assert by_code["110119-CGW"].name == "延庆区城市管理委员会"
    assert by_code["110108-SCJGJ"].name == "海淀区市场监督管理局"
    assert by_code["CITY-JGJ"].name == "北京市公安局公安交通管理局"
    assert {c: by_code[c].name for c in codes if c.startswith("UTIL-")} == {
        "UTIL-HEAT": "北京市热力集团",
        "UTIL-WATER": "北京市自来水集团",
        "UTIL-GAS": "北京市燃气集团",
        "UTIL-POWER": "国网北京市电力公司",
    }
    # Every district × (人民政府 + every bureau that a district-scope category names).
    departments = {c.department for c in CATALOG if c.scope == "district"}
    assert len([u for u in first.units if u.level == "district"]) == 16 * (len(departments) + 1)
    # Built-in street codes never look like official 9-digit street codes.
    assert not any(re.fullmatch(r"\d{9}|\d{12}", c) for c in codes)


def test_ensure_builtin_is_idempotent(db):
    units = UnitRegistry(db)
    assert units.ensure_builtin() == len(builtin().units)
    assert units.ensure_builtin() == 0
    assert len(units.all()) == len(builtin().units)
    assert units.get("110105-CGW").name == "朝阳区城市管理委员会"
    assert units.by_name("北京市热力集团").code == "UTIL-HEAT"
    assert units.get("nope") is None and units.by_name("nope") is None
    assert {u.level for u in units.all(level="utility")} == {"utility"}
    assert len(units.all(level="district", district="朝阳区")) == len(units.all(level="district")) // 16


# ---------------------------------------------------------------- for_order


def test_for_order_street_matters(registry):
    assert registry.for_order(STREET_CATEGORY, "朝阳区", "望京街道").name == "望京街道办事处"
    assert registry.for_order("030302", "朝阳区", "东坝地区").name == "东坝地区办事处"  # a category code works too
    town = registry.for_order(STREET_CATEGORY, "昌平区", "南口镇")
    assert (town.name, town.district) == ("南口镇人民政府", "昌平区")
    assert registry.for_order(STREET_CATEGORY, "房山区", "霞云岭乡").name == "霞云岭乡人民政府"
    assert registry.for_order(STREET_CATEGORY, "海淀区", "八里庄街道").code == "110108-005"
    assert registry.for_order(STREET_CATEGORY, "朝阳区", "八里庄街道").code == "110105-015"
    # Street unknown or not given: the district government; no place at all: dispatch by hand.
    assert registry.for_order(STREET_CATEGORY, "朝阳区", None).code == "110105-GOV"
    assert registry.for_order(STREET_CATEGORY, "朝阳区", "不存在街道").code == "110105-GOV"
    assert registry.for_order(STREET_CATEGORY, None, None) is None


def test_for_order_district_city_and_utility_matters(registry):
    assert registry.for_order(DISTRICT_CATEGORY, "朝阳区", "望京街道").code == "110105-CGW"
    assert registry.for_order(DISTRICT_CATEGORY, None, None) is None  # the dispatch centre decides
    assert registry.for_order(CITY_CATEGORY, None, None).code == "CITY-JGJ"
    # Utilities win for their categories, wherever the order is.
    assert registry.for_order("020401", "朝阳区", "望京街道").code == "UTIL-HEAT"  # 供暖不热与停暖
    assert registry.for_order("020101", None, None).code == "UTIL-WATER"  # 停水与供水管线故障
    assert registry.for_order("020301", "海淀区", None).code == "UTIL-GAS"  # 燃气泄漏 (北京燃气集团 in the catalog)
    assert registry.for_order("020201", None, None).code == "UTIL-POWER"  # 停电
    # Heating fees and 报停 stay with the district 城市管理委员会, as categories.yml says.
    assert registry.for_order("020402", "西城区", None).code == "110102-CGW"
    assert registry.for_order("999999", "朝阳区", "望京街道") is None  # unknown category


def test_utility_categories_exist_and_are_the_utilities(registry):
    data = builtin()
    assert set(data.utility_by_category) == {
        "020101",
        "020102",
        "020201",
        "020202",
        "020203",
        "020301",
        "020302",
        "020401",
    }
    for code in data.utility_by_category:
        category = CATALOG.get(code)
        assert category is not None and category.path[0] == "市政公用", code


def test_for_order_without_builtin_rows_returns_none(db):
    assert UnitRegistry(db).for_order(STREET_CATEGORY, "朝阳区", "望京街道") is None


# ---------------------------------------------------------------- import


def test_import_adds_and_updates_then_is_idempotent(registry, tmp_path):
    path = write_csv(
        tmp_path / "units.csv",
        (
            "code,name,level,district\n"
            "CITY-SWJ,北京市水务局,city,\n"
            "110105-CGW,朝阳区城市管理委员会,district,朝阳区\n"  # unchanged built-in row
            "UTIL-HEAT,北京市热力集团有限责任公司,utility,\n"  # renamed
            "110105-KJ,朝阳区科学技术和信息化局,district,朝阳区\n"
        ),
    )
    result = registry.import_csv(path)
    assert (result.added, result.updated, result.errors, result.replaced) == (2, 1, [], [])
    assert registry.get("CITY-SWJ").level == "city"
    assert registry.get("UTIL-HEAT").name == "北京市热力集团有限责任公司"
    assert registry.for_order("020401", None, None).code == "UTIL-HEAT"
    again = registry.import_csv(path)
    assert (again.added, again.updated, again.errors) == (0, 0, [])
    # ensure_builtin never overwrites an imported row.
    assert registry.ensure_builtin() == 0
    assert registry.get("UTIL-HEAT").name == "北京市热力集团有限责任公司"


def test_import_with_bad_rows_writes_nothing(registry, tmp_path):
    path = write_csv(
        tmp_path / "bad.csv",
        (
            "code,name,level,district\n"
            "CITY-OK,北京市某某局,city,\n"  # a good row: not imported either
            "城市-1,北京市甲局,city,\n"  # line 3: code not ASCII
            "CITY-B,,city,\n"  # line 4: empty name
            "CITY-C,北京市乙局,town,\n"  # line 5: bad level
            "110105-X,朝阳区丙局,district,\n"  # line 6: district required
            "110105-Y,朝阳区丁局,district,浦东新区\n"  # line 7: not a Beijing district
            "CITY-OK,北京市戊局,city,\n"  # line 8: code repeated
            "CITY-D,北京市热力集团,city,\n"  # line 9: good alone (it would replace the built-in 热力集团)
            f"CITY-E,{'长' * 81},city,\n"  # line 10: name too long
        ),
    )
    before = len(registry.all())
    result = registry.import_csv(path)
    assert (result.added, result.updated) == (0, 0)
    assert [e.split(":")[0] for e in result.errors] == [f"line {n}" for n in (3, 4, 5, 6, 7, 8, 10)]
    assert "level must be one of street, district, city, utility" in result.errors[2]
    assert "district is required for level district" in result.errors[3]
    assert "not one of Beijing's 16 districts" in result.errors[4]
    assert "already on line 2" in result.errors[5]
    assert len(registry.all()) == before and registry.get("CITY-OK") is None
    assert registry.get("UTIL-HEAT").active  # line 9 replaced nothing: the import was rolled back


def test_import_header_and_name_conflicts(registry, tmp_path):
    result = registry.import_csv(write_csv(tmp_path / "h.csv", "id,title\n1,x\n"))
    assert result.errors and result.errors[0].startswith(
        "line 1: the header must name the columns code,name,level,district"
    )
    assert registry.import_csv(write_csv(tmp_path / "empty.csv", "code,name,level,district\n")).errors
    assert registry.import_csv(write_csv(tmp_path / "a.csv", "code,name,level,district\nCITY-A,北京市甲局,city,\n")).ok
    # The name of an imported unit (not a built-in one) cannot be taken by another code.
    clash = registry.import_csv(write_csv(tmp_path / "b.csv", "code,name,level,district\nCITY-B,北京市甲局,city,\n"))
    assert clash.errors == ["line 2: the name 北京市甲局 is already used by the unit CITY-A"]
    assert registry.get("CITY-B") is None


def test_import_replaces_the_builtin_unit_of_the_same_name(registry, tmp_path):
    path = write_csv(
        tmp_path / "official.csv",
        (
            "code,name,district_code,district\n"
            "110105001,建外街道,110105,朝阳区\n"
            "110105017,望京街道,110105,朝阳区\n"
            "110105400,新设地区,110105,朝阳区\n"  # no built-in unit of that name: only added
        ),
    )
    builtin_wangjing = registry.by_name("望京街道办事处").code
    result = registry.import_csv(path)
    assert (result.added, result.updated, result.errors) == (3, 0, [])
    assert sorted(result.replaced) == sorted(["110105-001", builtin_wangjing])
    old = registry.get(builtin_wangjing)
    assert (old.name, old.active) == ("望京街道办事处", False)  # kept for orders that point at it
    assert registry.by_name("望京街道办事处").code == "110105017"
    assert registry.for_order(STREET_CATEGORY, "朝阳区", "望京街道").code == "110105017"
    assert registry.for_order(STREET_CATEGORY, "朝阳区", "新设地区").name == "新设地区办事处"
    assert registry.ensure_builtin() == 0 and not registry.get(builtin_wangjing).active
    assert registry.import_csv(path).errors == []  # again: nothing to do


def test_import_official_rows_are_checked(registry, tmp_path):
    path = write_csv(
        tmp_path / "official.csv",
        (
            "code,name,district_code,district\n"
            "110105001,建外街道,110101,朝阳区\n"  # district_code of 东城区
            "110101001,东华门街道,110101,东城\n"  # short district name
            "110105099,,110105,朝阳区\n"
        ),
    )
    result = registry.import_csv(path)
    assert len(result.errors) == 3 and result.added == 0
    assert result.errors[0] == "line 2: district_code '110101' is not the code of 朝阳区 (110105)"
    assert result.errors[1].startswith("line 3: district '东城' is not one of Beijing's 16 districts")
    assert result.errors[2] == "line 4: name is empty"


@pytest.mark.skipif(not OFFICIAL.is_file(), reason=f"official street list not found at {OFFICIAL} (shared data)")
def test_import_the_official_street_list(registry):
    result = registry.import_csv(OFFICIAL)
    assert result.errors == []
    assert (result.added, result.updated) == (349, 0)
    # Every built-in street unit whose street has the same official name is replaced.
    official = {(r.district, r.name) for r in registry.all(level="street") if re.fullmatch(r"\d{9}|\d{12}", r.code)}
    assert len(official) == 349
    replaced = set(result.replaced)
    assert len(replaced) > 300
    assert all(not registry.get(code).active for code in replaced)
    unit = registry.for_order(STREET_CATEGORY, "朝阳区", "望京街道")
    assert re.fullmatch(r"110105\d{3}", unit.code) and unit.name == "望京街道办事处"
    # 八里庄街道 in both districts: each district's own official unit.
    assert registry.for_order(STREET_CATEGORY, "海淀区", "八里庄街道").code.startswith("110108")
    assert registry.for_order(STREET_CATEGORY, "朝阳区", "八里庄街道").code.startswith("110105")
    # Built-in street units that the official list names differently (亦庄镇 / 亦庄地区) stay active.
    assert len(registry.all(level="street", active=True)) == 349 + 343 - len(replaced)
    assert registry.import_csv(OFFICIAL).added == 0


# ---------------------------------------------------------------- CLI


@pytest.fixture()
def hotline(db, monkeypatch, capsys):
    """`hotline ...` through cli.main, on the test database."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", db.url.render_as_string(hide_password=False))
    monkeypatch.setattr(cli, "configure_logging", lambda: None)  # keep pytest's log capture

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_cli_list(hotline):
    code, out, _ = hotline("units", "list", "--level", "utility", "--format", "json")
    assert code == 0
    assert [u["code"] for u in json.loads(out)] == ["UTIL-GAS", "UTIL-HEAT", "UTIL-POWER", "UTIL-WATER"]
    assert json.loads(out)[1] == {
        "code": "UTIL-HEAT",
        "name": "北京市热力集团",
        "level": "utility",
        "district": None,
        "active": True,
    }
    code, out, _ = hotline("units", "list", "--level", "street", "--district", "朝阳区")
    lines = out.splitlines()
    assert code == 0 and len(lines) == len(GAZETTEER.districts["朝阳区"]["streets"])
    assert lines[0] == "110105-001\tstreet\t朝阳区\t建外街道办事处"


def test_cli_import(hotline, tmp_path):
    good = write_csv(tmp_path / "good.csv", "code,name,level,district\nCITY-SWJ,北京市水务局,city,\n")
    code, out, _ = hotline("units", "import", str(good))
    assert (code, out.strip()) == (0, f"imported {good}: 1 added, 0 updated")
    code, out, _ = hotline("units", "list", "--level", "city", "--format", "json")
    assert "CITY-SWJ" in [u["code"] for u in json.loads(out)]
    bad = write_csv(tmp_path / "bad.csv", "code,name,level,district\nCITY-Z,北京市某局,village,\n")
    code, out, err = hotline("units", "import", str(bad))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "error: line 2: level must be one of street, district, city, utility (got 'village')",
        "nothing imported",
    ]
    code, _, err = hotline("units", "import", str(tmp_path / "missing.csv"))
    assert code == 1 and "no such file" in err
