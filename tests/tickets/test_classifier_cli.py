"""`hotline classifier train`: retraining from a centre's own historical work orders, then
serving that model through /api/classify."""

import csv
import subprocess
import sys

from fastapi.testclient import TestClient

from app import create_app
from core.settings import Settings
from tests.conftest import ROOT

ROWS = [
    ("楼下饭馆油烟太大熏得没法开窗", "环境保护"),
    ("工地晚上施工噪音太吵", "环境保护"),
    ("河里有人排污水发臭", "环境保护"),
    ("公司拖欠三个月工资不发", "劳动和社会保障"),
    ("单位不给交社保", "劳动和社会保障"),
    ("退休金一直没到账", "劳动和社会保障"),
] * 3


def test_train_from_csv_and_serve_it(tmp_path):
    data = tmp_path / "history.csv"
    with data.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["subject", "detail", "label"])
        for text, label in ROWS:
            writer.writerow([text[:4], text, label])
    out = tmp_path / "site.npz"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "classifier",
            "train",
            "--csv",
            str(data),
            "--text-column",
            "subject,detail",
            "--label-column",
            "label",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert out.exists() and "HOTLINE_CLASSIFIER_MODEL" in result.stdout

    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        var_dir=tmp_path,
        rasa_port=1,
        api_keys="k" * 20,
        classifier_model=out,
    )
    with TestClient(create_app(settings)) as client:
        body = client.post("/api/classify", json={"text": "老板欠我两个月工资了"}).json()
    assert body["category"][0] == "劳动和社会保障"
