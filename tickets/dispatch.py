"""Dispatch rules: a work order gets its category (from the text when none was given), the
responsible unit, and its urgency — raised for safety hazards, emergencies, and outages of
heating or water during Beijing's heating season."""

import re
from datetime import datetime
from typing import Any, get_args
from zoneinfo import ZoneInfo

from tickets.category_catalog import DISPATCH_CENTRE, Category, CategoryCatalog
from tickets.models import Urgency
from tickets.schemas import WorkOrderCreate

BEIJING = ZoneInfo("Asia/Shanghai")
ORDER: tuple[str, ...] = get_args(Urgency)  # most urgent first
SAFETY_HAZARD = re.compile(r"燃气味|煤气味|漏气|电线裸露|漏电|井盖(丢|没|缺|坏)|塌陷|坍塌|要倒|摇摇欲坠|起火|冒烟")
WINTER_OUTAGE = re.compile(r"(暖气|供暖|采暖).{0,6}(不热|没|停|凉|冰)|停暖|停水|没水")
DEFAULT_URGENCY = {"suggest": "15d", "praise": "15d", "consult": "15d"}


def in_heating_season(now: datetime) -> bool:
    """Beijing's heating season: 15 November to 15 March."""
    local = now.astimezone(BEIJING)
    return (local.month, local.day) >= (11, 15) or (local.month, local.day) <= (3, 15)


def most_urgent(*levels: str) -> str:
    return min(levels, key=ORDER.index)


def classify_by_keywords(catalog: CategoryCatalog, text: str) -> Category | None:
    """The category whose keywords cover most of the text (longest matches count most)."""
    best, best_score = None, 0
    for category in catalog:
        score = sum(len(k) for k in category.keywords if k in text)
        if score > best_score:
            best, best_score = category, score
    return best


def dispatch(
    data: WorkOrderCreate, catalog: CategoryCatalog, now: datetime, category: Category | None = None
) -> WorkOrderCreate:
    """Fill category, department and urgency of a new work order."""
    if category is None and data.category_code:
        category = catalog.get(data.category_code)
    if category is None:
        category = classify_by_keywords(catalog, data.description)
    urgency = category.urgency if category else DEFAULT_URGENCY.get(data.request_type, "7d")
    if data.request_type in ("complain", "report", "seek_help"):
        if SAFETY_HAZARD.search(data.description):
            urgency = most_urgent(urgency, "2h")
        if in_heating_season(now) and WINTER_OUTAGE.search(data.description):
            urgency = most_urgent(urgency, "24h")
    if data.emergency:
        urgency = "2h"
    update: dict[str, Any] = {"urgency": urgency}
    if category is not None:
        update |= {
            "category_code": category.code,
            "category_path": list(category.path),
            "department": data.department or catalog.responsible_unit(category, data.district, data.street),
        }
    else:
        update["department"] = data.department or DISPATCH_CENTRE
    return data.model_copy(update=update)
