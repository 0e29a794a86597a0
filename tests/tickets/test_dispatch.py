from datetime import datetime

from tickets.category_catalog import DISPATCH_CENTRE, CategoryCatalog
from tickets.dispatch import BEIJING, classify_by_keywords, dispatch, in_heating_season
from tickets.schemas import WorkOrderCreate

CATALOG = CategoryCatalog.load()
WINTER = datetime(2026, 12, 10, 9, 0, tzinfo=BEIJING)
SUMMER = datetime(2026, 7, 10, 9, 0, tzinfo=BEIJING)


def order(description: str, **kw) -> WorkOrderCreate:
    return WorkOrderCreate(request_type=kw.pop("request_type", "complain"), description=description, **kw)


def test_heating_season_bounds():
    assert in_heating_season(datetime(2026, 11, 15, 0, 1, tzinfo=BEIJING))
    assert in_heating_season(datetime(2027, 3, 15, 23, 0, tzinfo=BEIJING))
    assert not in_heating_season(datetime(2026, 11, 14, 12, 0, tzinfo=BEIJING))
    assert not in_heating_season(SUMMER)


def test_no_heating_in_winter_is_urgent():
    data = order("家里暖气一点都不热，老人孩子都冻感冒了", district="丰台区")
    assert dispatch(data, CATALOG, WINTER).urgency in ("2h", "24h")


def test_safety_hazards_get_two_hours():
    assert dispatch(order("楼道里一股很大的燃气味", district="海淀区"), CATALOG, SUMMER).urgency == "2h"
    assert dispatch(order("小区门口井盖丢了，晚上看不见", district="海淀区"), CATALOG, SUMMER).urgency == "2h"


def test_keyword_category_and_responsible_unit():
    data = dispatch(order("物业不管事，物业费照收", district="朝阳区", street="望京街道"), CATALOG, SUMMER)
    category = CATALOG.get(data.category_code)
    assert "物业" in "".join(category.keywords)
    assert data.department == CATALOG.responsible_unit(category, "朝阳区", "望京街道")


def test_unclassifiable_goes_to_the_dispatch_centre():
    data = dispatch(order("嗯嗯嗯这个那个", request_type="suggest"), CATALOG, SUMMER)
    assert data.category_code is None and data.department == DISPATCH_CENTRE and data.urgency == "15d"
    assert classify_by_keywords(CATALOG, "嗯嗯嗯") is None


def test_emergency_overrides_everything():
    assert dispatch(order("有人晕倒了", emergency=True), CATALOG, SUMMER).urgency == "2h"
