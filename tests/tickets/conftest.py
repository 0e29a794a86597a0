"""A real database for ticket tests: SQLite by default, PostgreSQL when DATABASE_URL is set
(`.ci/run` runs these tests both ways). Each test gets empty tables."""

import os
from datetime import timedelta

import pytest

import tickets.models  # noqa: F401  (registers the tables)
from core.db import make_engine, reset_db
from tickets.crud import WorkOrderRepository
from tickets.handling import WorkOrderHandling
from tickets.schemas import WorkOrderCreate, clock_deadline


@pytest.fixture()
def db(tmp_path):
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'tickets.db'}"
    engine = make_engine(url)
    reset_db(engine)
    yield engine
    engine.dispose()


@pytest.fixture()
def repo(db) -> WorkOrderRepository:
    return WorkOrderRepository(db)


UNITS = {"110105021": "望京街道办事处", "110105CG": "朝阳区城市管理委员会"}


@pytest.fixture()
def handling(db) -> WorkOrderHandling:
    """Deadlines on the clock (working days are tested in test_deadlines.py)."""
    return WorkOrderHandling(
        db, UNITS.__contains__, clock_deadline, lambda deadline, days: deadline + timedelta(days=days)
    )


@pytest.fixture()
def dispatching_repo(db) -> WorkOrderRepository:
    """New orders go to 望京街道 at once, as the dispatch rules would send them."""
    return WorkOrderRepository(db, assign_unit=lambda data: "110105021")


def work_order_data(**overrides) -> WorkOrderCreate:
    """A complete, valid complaint; override any field."""
    fields = {
        "request_type": "complain",
        "description": "楼下烧烤店每天营业到凌晨两点，噪音和油烟严重扰民",
        "district": "朝阳区",
        "street": "望京街道",
        "address": "望京西园三区",
        "contact_name": "王先生",
        "contact_phone": "13812345678",
        "category_code": "020301",
        "category_path": ["环境保护", "噪声污染", "商业噪声"],
        "urgency": "7d",
        "channel": "web",
    }
    fields.update(overrides)
    return WorkOrderCreate(**fields)
