"""A real database for ticket tests: SQLite by default, PostgreSQL when DATABASE_URL is set
(`.ci/run` runs these tests both ways). Each test gets empty tables."""

import os

import pytest
from sqlmodel import SQLModel

import tickets.models  # noqa: F401  (registers the tables)
from core.db import init_db, make_engine
from tickets.crud import WorkOrderRepository
from tickets.schemas import WorkOrderCreate


@pytest.fixture()
def db(tmp_path):
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'tickets.db'}"
    engine = make_engine(url)
    SQLModel.metadata.drop_all(engine)
    init_db(engine)
    yield engine
    engine.dispose()


@pytest.fixture()
def repo(db) -> WorkOrderRepository:
    return WorkOrderRepository(db)


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
