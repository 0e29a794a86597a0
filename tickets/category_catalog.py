"""The 3-level category catalog (data in tickets/catalog/categories.yml) and the dispatch rule
that turns a category and a place into the responsible unit and a deadline class."""

from dataclasses import dataclass, field
from pathlib import Path

import yaml

CATALOG_FILE = Path(__file__).resolve().parent / "catalog" / "categories.yml"
SCOPES = ("street", "district", "city")
DISPATCH_CENTRE = "北京市12345热线派单中心"


@dataclass(frozen=True)
class Category:
    code: str
    path: tuple[str, ...]  # level-1 .. level-3 names
    scope: str
    urgency: str
    department: str | None = None
    keywords: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.path[-1]


class CategoryCatalog:
    def __init__(self, categories: list[Category]) -> None:
        self.by_code = {c.code: c for c in categories}
        self.level1 = sorted(
            {c.path[0] for c in categories}, key=lambda n: min(c.code for c in categories if c.path[0] == n)
        )

    @classmethod
    def load(cls, path: Path = CATALOG_FILE) -> "CategoryCatalog":
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        leaves: list[Category] = []

        def walk(nodes: list[dict], names: tuple[str, ...]) -> None:
            for node in nodes:
                here = (*names, str(node["name"]))
                if node.get("children"):
                    walk(node["children"], here)
                else:
                    if node["scope"] not in SCOPES:
                        raise ValueError(f"{node['code']}: scope must be one of {SCOPES}")
                    leaves.append(
                        Category(
                            code=str(node["code"]),
                            path=here,
                            scope=node["scope"],
                            urgency=str(node["urgency"]),
                            department=node.get("department"),
                            keywords=tuple(node.get("keywords") or ()),
                        )
                    )

        walk(data["categories"], ())
        return cls(leaves)

    def __iter__(self):
        return iter(self.by_code.values())

    def get(self, code: str) -> Category | None:
        return self.by_code.get(code)

    def path_of(self, code: str) -> tuple[str, ...]:
        """Names down to the level of `code`: "03" → (环境保护,), "030101" → all three levels."""
        leaf = self.by_code.get(code) or next((c for c in self if c.code.startswith(code)), None)
        return leaf.path[: max(1, len(code) // 2)] if leaf else ()

    def responsible_unit(self, category: Category, district: str | None, street: str | None) -> str:
        """街道/乡镇 for local matters, the district bureau for district matters, else the city body.
        Without the place that decides it, the hotline's dispatch centre assigns it by hand."""
        if category.scope == "street" and street:
            return f"{street}人民政府" if street.endswith(("镇", "乡")) else f"{street}办事处"
        if category.scope == "street" and district:
            return f"{district}人民政府"
        if category.scope == "district" and district:
            return f"{district}{category.department}"
        if category.scope == "city" and category.department:
            return category.department
        return DISPATCH_CENTRE
