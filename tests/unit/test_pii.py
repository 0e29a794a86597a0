import logging
import sys

import pytest

from core.pii import MaskingFormatter, PiiMaskingFilter, mask_log_text, mask_pii


def test_mobile_landline_and_id_numbers_are_masked():
    text = "电话13812345678，座机010-62345678，身份证110105199001011234，工单20261121"
    masked = mask_pii(text)
    assert "13812345678" not in masked and "138****5678" in masked
    assert "62345678" not in masked and "010-****5678" in masked
    assert "110105199001011234" not in masked and "110105********1234" in masked
    assert "工单20261121" in masked  # an 8-digit number that is no phone stays


@pytest.mark.parametrize(
    "text",
    [
        "13911112222",
        "139 1111 2222",
        "139-1111-2222",
        "139 - 1111 - 2222",
        "+86 139 1111 2222",
        "008613911112222",
        "１３９１１１１２２２２",  # full-width
        "１３９－１１１１－２２２２",
        "幺三九一一一一二二二二",  # as speech recognition writes it
        "一三九 一一一一 二二二二",
        "幺三九两两两两八八八八",  # 两 = 2
        "一三九1111二二二二",  # mixed
        "我打了两次幺三九一一一一二二二二谢谢",
        "第一13911112222",  # a Chinese digit word glued to the number
    ],
)
def test_mobile_variants(text):
    masked = mask_pii(text)
    assert "****" in masked, masked
    assert digits_of(masked).count("1111") == 0 and "一一一一" not in masked and "两两两两" not in masked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("010-62345678", "010-****5678"),
        ("010 6234 5678", "010-****5678"),
        ("（010）62345678", "（010-****5678"),
        ("0755-86123456", "0755-****3456"),
        ("洞幺洞 六二三四 五六七八", "010-****5678"),
    ],
)
def test_landlines(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("身份证110101199003071234号", "身份证110101********1234号"),
        ("身份证11010119900307123X号", "身份证110101********123X号"),
        ("110101 19900307 123x", "110101********123X"),
        ("１１０１０１１９９００３０７１２３４", "110101********1234"),
        ("幺幺洞幺洞幺幺九九洞洞三洞七幺两三四", "110101********1234"),
    ],
)
def test_id_numbers(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("卡号6222021234567890123", "卡号6222***********0123"),
        ("6222 0212 3456 7890 123", "6222***********0123"),
        ("4367-4200-1234-5678", "4367********5678"),
        ("卡号六二二二零二一二三四五六七八九零一二三", "卡号6222***********0123"),
    ],
)
def test_bank_cards(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("车牌京A12345停在门口", "车牌京A****5停在门口"),
        ("京AD12345", "京A*****5"),
        ("京A·12345", "京A****5"),
        ("京N 8P8F8", "京N****8"),
        ("沪Ｂ１２３４５", "沪Ｂ****５"),
    ],
)
def test_licence_plates(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "工单26112100042",  # work-order number: YYMMDD + sequence
        "工单 261121 00042",
        "2026-03-07 13:45:12,345 INFO gateway",
        "ts=1741234567890",  # epoch milliseconds
        "1741234567890123 us",
        "20261121103000123",
        "工单20261121",
        "models/7f03323582358ca40.tar.gz",
        "web:0a1b13812345678c",
        "我住三号楼二单元，等了两个小时",
        "一一二二",
    ],
)
def test_what_is_no_personal_data_stays(text):
    assert mask_pii(text) == text


def test_log_records_are_masked(caplog):
    logger = logging.getLogger("test.pii")
    logger.addFilter(PiiMaskingFilter())
    with caplog.at_level(logging.INFO, logger="test.pii"):
        logger.info("callback to %s", "13912345678")
    assert "13912345678" not in caplog.text
    assert "139****5678" in caplog.text


def test_tracebacks_are_masked_by_the_formatter():
    logger = logging.getLogger("test.pii.traceback")
    try:
        raise ValueError("bad text: 我电话是13911112222，身份证110101199003071234")
    except ValueError:
        record = logger.makeRecord(logger.name, logging.ERROR, __file__, 1, "classify failed", (), sys.exc_info())
    line = MaskingFormatter("%(message)s").format(record)
    assert "Traceback" in line and "139****2222" in line
    assert "13911112222" not in line and "110101199003071234" not in line


def test_secrets_in_urls_are_redacted():
    line = mask_log_text('HTTP Request: POST http://127.0.0.1:5005/model/parse?token=s3cr3t-Value_1 "200 OK"')
    assert "s3cr3t" not in line and "token=[redacted]" in line


def test_hashes_and_ids_are_not_mistaken_for_phones():
    assert mask_pii("models/7f03323582358ca40.tar.gz") == "models/7f03323582358ca40.tar.gz"
    assert mask_pii("web:0a1b13812345678c") == "web:0a1b13812345678c"
    assert mask_pii("电话:13812345678。") == "电话:138****5678。"


def digits_of(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def test_configured_logging_masks_uvicorn_records_and_tracebacks(capsys):
    from core.pii import configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    # The gateway runs uvicorn with log_config=None; an in-process uvicorn of another test may have
    # given uvicorn's loggers their own handlers and propagate=False: undo that here, restore after.
    uvicorn_loggers = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    uvicorn_saved = [(lg.handlers[:], lg.propagate, lg.disabled, lg.level) for lg in uvicorn_loggers]
    for lg in uvicorn_loggers:
        lg.handlers[:], lg.propagate, lg.disabled = [], True, False
        lg.setLevel(logging.NOTSET)
    try:
        configure_logging()
        try:
            raise RuntimeError("text was 我电话是一三九 一一一一 二二二二")
        except RuntimeError:
            logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
        logging.getLogger("uvicorn.access").info('%s - "%s" 200', "127.0.0.1", "GET /x?phone=13911112222&token=abc")
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        for lg, (handlers, propagate, disabled, level) in zip(uvicorn_loggers, uvicorn_saved, strict=True):
            lg.handlers[:], lg.propagate, lg.disabled = handlers, propagate, disabled
            lg.setLevel(level)
    err = capsys.readouterr().err
    assert "Traceback" in err and err.count("139****2222") >= 2 and "token=[redacted]" in err
    assert "一一一一" not in err and "13911112222" not in err
