import stat

import pytest

from core.settings import Settings


def test_api_key_is_generated_once_and_kept_private(tmp_path):
    first = Settings(var_dir=tmp_path).api_key_set
    again = Settings(var_dir=tmp_path).api_key_set
    assert first == again and len(next(iter(first))) >= 24
    mode = (tmp_path / "secrets" / "api_key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_configured_keys_are_used_and_weak_ones_refused(tmp_path):
    assert Settings(var_dir=tmp_path, api_keys="k" * 16 + ", " + "j" * 20).api_key_set == {"k" * 16, "j" * 20}
    assert not (tmp_path / "secrets").exists()
    with pytest.raises(ValueError):
        _ = Settings(var_dir=tmp_path, api_keys="secret").api_key_set
