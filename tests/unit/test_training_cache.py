import shutil
from pathlib import Path

from runtime.training import MODEL_INPUTS, model_inputs_hash

ROOT = Path(__file__).resolve().parents[2]


def copy_inputs(dst: Path) -> Path:
    for rel in (*MODEL_INPUTS, "bot/actions"):
        src = ROOT / rel
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst / rel, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, dst / rel)
    return dst


def test_hash_changes_with_training_data_only(tmp_path):
    root = copy_inputs(tmp_path)
    base = model_inputs_hash(root)
    assert model_inputs_hash(root) == base

    (root / "bot/actions/handoff.py").write_text("# actions do not change the model\n")
    assert model_inputs_hash(root) == base

    nlu = root / "nlu/data/greet.yml"
    nlu.write_text(nlu.read_text() + "    - 您好您好\n")
    changed = model_inputs_hash(root)
    assert changed != base

    (root / "config.yml").write_text((root / "config.yml").read_text() + "\n# tweak\n")
    assert model_inputs_hash(root) != changed
