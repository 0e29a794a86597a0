"""Who handles a matter: the unit of the predicted category by the dispatch rule (the registered
unit when the question names the place, the kind of unit when it does not), how to reach it, and
when the classifier is too unsure to name one. The classifier is replaced by fixed predictions;
units come from the real registry (SQLite, or PostgreSQL with DATABASE_URL)."""

import pytest

from followup.wiring import UnitDirectory
from places.gazetteer import Gazetteer
from tickets.category_catalog import CategoryCatalog
from tickets.classifier import Prediction
from tickets.referral import Contacts, Referrals
from tickets.units import UnitRegistry

CATALOG = CategoryCatalog.load()


def predicting(code: str, confidence: float, *alternatives: tuple[str, float]):
    return lambda text: Prediction(code, CATALOG.path_of(code), confidence, list(alternatives))


@pytest.fixture()
def directory(db) -> UnitDirectory:
    registry = UnitRegistry(db)
    registry.ensure_builtin()
    return UnitDirectory(registry, CATALOG)


def refer(directory: UnitDirectory, text: str, predict, **kw):
    return Referrals(predict, CATALOG, Gazetteer.builtin(), directory.unit_for, **kw).refer(text)


def test_an_outage_goes_to_its_utility_with_its_service_number(directory):
    r = refer(directory, "停水了找哪个部门", predicting("020101", 0.97))
    assert r.unit == {"code": "UTIL-WATER", "name": "北京市自来水集团", "level": "utility"}
    assert r.unit_name == "北京市自来水集团" and "96116" in r.contact
    assert r.category == ("市政公用", "供水排水", "停水与供水管线故障")
    assert r.request_type == "seek_help", "an outage filed from here is a help request"


def test_a_local_matter_without_a_place_names_the_street_office_of_the_citizen(directory):
    r = refer(directory, "小区里没有垃圾桶 找谁说", predicting("030401", 0.41, ("030402", 0.40), ("100101", 0.05)))
    assert r.unit is None and r.unit_name == "您所在的街道办事处（乡镇人民政府）" and r.level == "street"
    assert "街道" in r.contact and r.request_type == "complain"
    assert r.confidence == pytest.approx(0.81), "two categories of the same unit add up"


def test_a_named_place_picks_the_registered_unit(directory):
    street = refer(directory, "朝阳区望京街道这边饭馆油烟大找谁", predicting("030101", 0.99))
    assert street.unit is not None and street.unit["name"] == "望京街道办事处" and street.district == "朝阳区"
    bureau = refer(directory, "海淀区路灯坏了归谁管", predicting("020503", 0.98))
    assert bureau.unit["name"] == "海淀区城市管理委员会" and bureau.level == "district"


def test_a_district_bureau_without_a_place_and_its_hotline(directory):
    lamp = refer(directory, "路灯坏了归谁管", predicting("020503", 0.98))
    assert lamp.unit is None and lamp.unit_name == "您所在区的城市管理委员会" and lamp.contact == ""
    food = refer(directory, "超市卖过期食品找哪个部门", predicting("070201", 0.99))
    assert food.unit_name == "您所在区的市场监督管理局" and "12315" in food.contact


def test_an_unsure_classifier_names_no_unit(directory):
    assert refer(directory, "这事找谁", predicting("030401", 0.3, ("100101", 0.2)), min_confidence=0.6) is None
    assert refer(directory, "这事找谁", predicting("03", 0.99)) is None, "a coarse label names no dispatchable category"


def test_the_json_the_knowledge_base_passes_on(directory):
    referrals = Referrals(predicting("040202", 0.99), CATALOG, Gazetteer.builtin(), directory.unit_for)
    body = referrals.refer_json("公交车老甩站归哪个部门管")
    assert body["unit_name"] == "北京公交集团" and "96166" in body["contact"]
    assert set(body) == {
        "category_code",
        "category",
        "unit_name",
        "unit",
        "level",
        "contact",
        "request_type",
        "confidence",
        "district",
    }


def test_contacts_fall_back_to_the_level():
    contacts = Contacts({"市场监督管理局": "拨打12315"}, {"street": "到街道反映"})
    assert contacts.of("市场监督管理局", "district") == "拨打12315"
    assert contacts.of(None, "street") == "到街道反映" and contacts.of("北京市交通委员会", "city") == ""
