"""Address resolution on a small gazetteer, on the built-in one, and on an imported official list."""

import csv
from pathlib import Path

import pytest

from places.gazetteer import Gazetteer

SHARED_STREETS = Path(__file__).resolve().parents[3] / "shared" / "data" / "gazetteer" / "beijing_streets.csv"

SMALL = Gazetteer({
    "朝阳区": {"aliases": ["朝阳"], "streets": {"望京街道": ["望京", "望京西园"], "酒仙桥街道": ["798"], "朝阳门外街道": ["朝阳门外"]}},
    "海淀区": {"aliases": ["海淀"], "streets": {"中关村街道": ["中关村"], "海淀街道": ["海淀"], "学院路街道": ["五道口"]}},
    "东城区": {"aliases": ["东城"], "streets": {"朝阳门街道": ["朝阳门"], "和平里街道": ["和平里"]}},
    "西城区": {"aliases": ["西城"], "streets": {"和平里街道": ["和平里"]}},  # deliberately ambiguous
})  # fmt: skip


@pytest.mark.parametrize(
    ("text", "district", "street"),
    [
        ("朝阳区望京街道望京西园三区12号楼", "朝阳区", "望京街道"),
        ("朝阳望京西园三区", "朝阳区", "望京街道"),
        ("望京那边", "朝阳区", "望京街道"),
        ("就在798旁边", "朝阳区", "酒仙桥街道"),
        ("海淀中关村大街1号", "海淀区", "中关村街道"),
        ("海淀区", "海淀区", None),
        ("海淀", "海淀区", None),
        ("五道口地铁站", "海淀区", "学院路街道"),
        ("东城区朝阳门", "东城区", "朝阳门街道"),
        ("朝阳门外大街", "朝阳区", "朝阳门外街道"),
        ("西城区和平里", "西城区", "和平里街道"),
    ],
)
def test_resolve(text, district, street):
    place = SMALL.resolve(text)
    assert (place.district, place.street) == (district, street)


def test_ambiguous_street_needs_the_district():
    place = SMALL.resolve("和平里北街")
    assert place.street is None and place.ambiguous == ("东城区和平里街道", "西城区和平里街道")


def test_outside_beijing_and_unknown():
    assert SMALL.resolve("上海浦东新区陆家嘴").outside_beijing
    assert SMALL.resolve("燕郊那边").outside_beijing
    assert SMALL.resolve("我家楼下") is None


def test_builtin_gazetteer_has_all_16_districts():
    gaz = Gazetteer.builtin()
    assert len(gaz.districts) == 16
    assert len(gaz.streets()) >= 250
    assert gaz.resolve("朝阳区望京").street == "望京街道"
    assert gaz.resolve("海淀区中关村").street == "中关村街道"


@pytest.mark.skipif(not SHARED_STREETS.exists(), reason="../shared/data/gazetteer is absent on this machine")
def test_import_official_list_and_compare_with_builtin(report_figure):
    builtin = Gazetteer.builtin()
    official = Gazetteer.from_official_csv(SHARED_STREETS, base=builtin)
    with SHARED_STREETS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(official.streets()) == len(rows)
    resolved = sum(official.resolve(r["district"] + r["name"]).street == r["name"] for r in rows)
    assert resolved == len(rows)
    covered = len(set(builtin.streets()) & set(official.streets()))
    report_figure(f"built-in gazetteer covers {covered}/{len(rows)} official street-level units")
    assert official.resolve("朝阳望京").street == "望京街道", "aliases survive the import"
    assert official.resolve("雍和宫附近").district == "东城区", "landmarks survive the import"
    assert official.resolve("北京站东街").street == "建国门街道"
