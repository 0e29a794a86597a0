import logging

from core.pii import PiiMaskingFilter, mask_pii


def test_mobile_landline_and_id_numbers_are_masked():
    text = "电话13812345678，座机010-62345678，身份证110105199001011234，工单20261121"
    masked = mask_pii(text)
    assert "13812345678" not in masked and "138****5678" in masked
    assert "62345678" not in masked and "010-****5678" in masked
    assert "110105199001011234" not in masked and "110105********1234" in masked
    assert "工单20261121" in masked  # an 8-digit number that is no phone stays


def test_log_records_are_masked(caplog):
    logger = logging.getLogger("test.pii")
    logger.addFilter(PiiMaskingFilter())
    with caplog.at_level(logging.INFO, logger="test.pii"):
        logger.info("callback to %s", "13912345678")
    assert "13912345678" not in caplog.text
    assert "139****5678" in caplog.text


def test_hashes_and_ids_are_not_mistaken_for_phones():
    assert mask_pii("models/7f03323582358ca40.tar.gz") == "models/7f03323582358ca40.tar.gz"
    assert mask_pii("web:0a1b13812345678c") == "web:0a1b13812345678c"
    assert mask_pii("电话:13812345678。") == "电话:138****5678。"
