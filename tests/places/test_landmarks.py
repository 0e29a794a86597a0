"""Landmarks in address resolution: the most specific place wins, longest names first, landmarks
beat a district named elsewhere, ambiguity is reported, and ordinary words stay unresolved."""

import pytest

from places.gazetteer import Gazetteer
from places.landmarks import Landmark, LandmarkData

BUILTIN = Gazetteer.builtin()

TOY = Gazetteer(
    {
        "丰台区": {"aliases": ["丰台"], "streets": {"六里桥街道": [], "太平桥街道": []}},
        "海淀区": {"aliases": ["海淀"], "streets": {"羊坊店街道": ["羊坊店"]}},
    },
    LandmarkData(
        (
            Landmark("西站", ("丰台区",)),
            Landmark("北京西站", ("丰台区",), "太平桥街道"),
            Landmark("北京西站南广场", ("丰台区",), "六里桥街道"),
            Landmark("军博", ("海淀区",), "羊坊店街道"),
        ),
        ("西站路",),
    ),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("北京西站南广场有人拉客", ("丰台区", "六里桥街道")),
        ("北京西站北广场", ("丰台区", "太平桥街道")),
        ("西站那边", ("丰台区", None)),
        ("西站路口", None),  # an ordinary word swallows the shorter name
    ],
)
def test_longest_name_wins(text, expected):
    place = TOY.resolve(text)
    assert (place and (place.district, place.street)) == expected


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("五道口", "海淀区"),
        ("五道口地铁站旁边有人摆摊", "海淀区"),
        ("良乡大学城北站的共享单车", "房山区"),
        ("我们在良乡大学城西站旁边住", "房山区"),  # 西站 is part of the station's name, not 北京西站
        ("首钢园那边大车太多", "石景山区"),
        ("雍和宫附近", "东城区"),
        ("北京西站南广场", "丰台区"),
        ("就是西站南广场那块儿", "丰台区"),
    ],
)
def test_the_landmarks_citizens_name(text, district):
    place = BUILTIN.resolve(text)
    assert (place.district, place.street) == (district, None)


@pytest.mark.parametrize(
    ("text", "district", "street"),
    [
        ("朝阳区望京", "朝阳区", "望京街道"),
        ("我家在回龙观龙泽苑这边", "昌平区", "龙泽园街道"),  # an estate is more specific than its area
        ("颐和园北宫门", "海淀区", "青龙桥街道"),  # not 丰台's 北宫镇
        ("积水潭医院回龙观院区", "昌平区", "回龙观街道"),
        ("天坛医院门口", "丰台区", None),  # the hospital moved; not 天坛街道
        ("中关村软件园", "海淀区", None),  # not 中关村街道
        ("央美旁边", "朝阳区", "望京街道"),
        ("CBD那边", "朝阳区", None),
        ("798艺术区", "朝阳区", "酒仙桥街道"),
    ],
)
def test_most_specific_place_wins(text, district, street):
    place = BUILTIN.resolve(text)
    assert (place.district, place.street) == (district, street)


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("我是海淀区的，想反映雍和宫那边的问题", "东城区"),
        ("朝阳区五道口那边有人摆摊", "海淀区"),
        ("家住昌平，国贸地铁站里扶梯坏了", "朝阳区"),
    ],
)
def test_a_landmark_beats_a_district_named_elsewhere(text, district):
    assert BUILTIN.resolve(text).district == district


def test_a_unit_short_form_does_not_override_the_named_district():
    """Unit short forms recur as village and road names elsewhere; only curated landmarks override."""
    assert BUILTIN.resolve("丰台区的望京") == BUILTIN.resolve("丰台区")


@pytest.mark.parametrize(
    ("text", "district"),
    [("北京理工大学良乡校区门口", "房山区"), ("友谊医院通州院区", "通州区"), ("人民大学通州校区", "通州区")],
)
def test_a_place_right_after_a_landmark_names_its_branch(text, district):
    assert BUILTIN.resolve(text).district == district


def test_ambiguous_landmarks_ask_for_the_district():
    place = BUILTIN.resolve("首都机场T3航站楼出租车排队")
    assert place.district is None and place.ambiguous == ("朝阳区", "顺义区")
    assert BUILTIN.resolve("顺义区首都机场").district == "顺义区"
    assert BUILTIN.resolve("北四环辅路").ambiguous == ("朝阳区", "海淀区")
    assert BUILTIN.resolve("东四环边上").district == "朝阳区"  # not 东四 (东城区)


@pytest.mark.parametrize(
    "text",
    [
        "光明",
        "向阳",
        "平房",
        "光明正大地在楼道里抽烟",
        "住的平房漏雨了",
        "向阳的那面墙掉皮了",
        "过街天桥上有人摆摊",
        "我坐上地铁才发现卡丢了",
        "小区北大门的门禁坏了",
        "小区前门的垃圾桶满了",
        "地铁站南口的电梯坏了",
        "交通运输方面的问题",
        "权利和义务",
        "照常营业",
        "以上地方政府",
        "3号楼东单元漏水",
        "北房漏雨",
        "电话13907981234",
    ],
)
def test_ordinary_words_do_not_resolve(text):
    assert BUILTIN.resolve(text) is None


def test_first_name_skips_ordinary_words():
    assert BUILTIN.first_name_at("小区北大门外面的雍和宫大街") == 8


def test_landmark_data_is_checked():
    districts = {"东城区": {"aliases": ["东城"], "streets": {"北新桥街道": ["北新桥"]}}}
    with pytest.raises(ValueError, match="no street-level unit"):
        Gazetteer(districts, LandmarkData((Landmark("雍和宫", ("东城区",), "安定门街道"),)))
    with pytest.raises(ValueError, match="unknown district"):
        Gazetteer(districts, LandmarkData((Landmark("雍和宫", ("西城区",)),)))
    with pytest.raises(ValueError, match="listed twice"):
        Gazetteer(districts, LandmarkData((Landmark("北新桥", ("东城区",)),)))


def test_builtin_landmarks():
    assert len(BUILTIN.landmark_names()) >= 300
    assert {"雍和宫", "首钢园", "天通苑", "北京西站"} <= set(BUILTIN.landmark_names())
