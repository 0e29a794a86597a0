"""Who handles a matter (找哪个部门 / 找谁 / 归谁管): the question's category (the work-order
classifier), the unit the dispatch rule gives that category (the street office or district bureau
of the place when the question names one, else the kind of unit: "所在街道办事处"), how a citizen
reaches it (catalog/contacts.yml), and the request type a work order filed from it would have.
The knowledge base answers who-questions with it (knowledge_base/service.py); nothing is filed
here: the citizen is offered a work order and decides."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from places.gazetteer import Gazetteer
from tickets.category_catalog import Category, CategoryCatalog
from tickets.classifier import Prediction

CONTACTS_FILE = Path(__file__).resolve().parent / "catalog" / "contacts.yml"
# The classifier's probability of the unit (summed over the categories it predicts that go to the
# same unit) below which no unit is named. Chosen on the everyday tune set: bench/everyday_eval.py --tune.
MIN_CONFIDENCE = 0.6
STREET_UNIT = "街道办事处（乡镇人民政府）"
URGENT = ("2h", "24h")  # a work order about these is a help request (an outage, a hazard), else a complaint

# A unit for a category at a place, in its public form {code, name, level}, or None (not registered,
# or the place needed to pick it is unknown). The gateway's is UnitDirectory.unit_for.
UnitFor = Callable[[Category, str | None, str | None], dict | None]


@dataclass(frozen=True)
class Referral:
    category_code: str
    category: tuple[str, ...]
    unit_name: str  # the unit, or its kind when the place is not known ("您所在区的城市管理委员会")
    unit: dict | None  # {code, name, level} when one registered unit is meant
    level: str  # street | district | city | utility
    contact: str
    request_type: str  # complain | seek_help: the kind of work order the citizen may file
    confidence: float
    district: str | None

    def to_json(self) -> dict:
        return {
            "category_code": self.category_code,
            "category": list(self.category),
            "unit_name": self.unit_name,
            "unit": self.unit,
            "level": self.level,
            "contact": self.contact,
            "request_type": self.request_type,
            "confidence": round(self.confidence, 3),
            "district": self.district,
        }


@dataclass(frozen=True)
class Contacts:
    by_name: dict[str, str]
    levels: dict[str, str]

    @classmethod
    def load(cls, path: Path = CONTACTS_FILE) -> "Contacts":
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(
            {str(k): str(v) for k, v in (data.get("by_name") or {}).items()},
            {str(k): str(v) for k, v in (data.get("levels") or {}).items()},
        )

    def of(self, name: str | None, level: str) -> str:
        """The line of a unit (or of a district bureau, named without its district), else the level's."""
        return self.by_name.get(name or "") or self.levels.get(level, "")


class Referrals:
    def __init__(
        self,
        predict: Callable[[str], Prediction],
        catalog: CategoryCatalog,
        gazetteer: Gazetteer,
        unit_for: UnitFor,
        contacts: Contacts | None = None,
        min_confidence: float = MIN_CONFIDENCE,
    ) -> None:
        self.predict, self.catalog, self.gazetteer, self.unit_for = predict, catalog, gazetteer, unit_for
        self.contacts = contacts or Contacts.load()
        self.min_confidence = min_confidence

    def refer(self, text: str) -> Referral | None:
        """The unit that handles what the text is about, or None when the classifier is not sure."""
        prediction = self.predict(text)
        category = self.catalog.get(prediction.code)
        if category is None:  # a model trained on coarse labels names no dispatchable category
            return None
        place = self.gazetteer.resolve(text)
        district, street = (place.district, place.street) if place and not place.outside_beijing else (None, None)
        name, level, unit = self._unit(category, district, street)
        confidence = prediction.confidence + sum(
            p
            for code, p in prediction.alternatives
            if (other := self.catalog.get(code)) is not None and self._unit(other, district, street)[0] == name
        )
        if confidence < self.min_confidence:
            return None
        key = category.department if level == "district" else (unit["name"] if unit else category.department)
        return Referral(
            category.code,
            category.path,
            name,
            unit,
            level,
            self.contacts.of(key, level),
            "seek_help" if category.urgency in URGENT else "complain",
            confidence,
            district,
        )

    def refer_json(self, text: str) -> dict | None:
        referral = self.refer(text)
        return referral.to_json() if referral is not None else None

    def _unit(self, category: Category, district: str | None, street: str | None) -> tuple[str, str, dict | None]:
        """(name to say, level, registered unit or None)."""
        unit = self.unit_for(category, district, street)
        if unit is not None:
            return unit["name"], unit["level"], unit
        if category.scope == "street":
            return f"{district or '您所在'}的{STREET_UNIT}", "street", None
        if category.scope == "district" and category.department:
            return f"{district or '您所在区'}的{category.department}", "district", None
        return category.department or STREET_UNIT, category.scope, None
