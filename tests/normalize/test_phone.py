import pytest

from normalize.phone import normalize_phone


@pytest.mark.parametrize(
    ("said", "number"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("幺三八幺二三四五六七八", "13812345678"),
        ("一三八一二三四五六七八", "13812345678"),
        ("我电话是幺三八 幺二三四 五六七八 你记一下", "13812345678"),
        ("手机号一八六洞洞拐拐两两三三", "18600772233"),
        ("您打这个 159 两两三三 四四五五", "15922334455"),
        ("010-62345678", "010-62345678"),
        ("(010)62345678", "010-62345678"),
        ("零幺零 六二三四五六七八", "010-62345678"),
        ("座机是六二三四五六七八", "010-62345678"),
        ("022-23456789", "022-23456789"),
        ("0311-8765432", "0311-8765432"),
    ],
)
def test_phone_variants(said, number):
    assert normalize_phone(said).number == number


@pytest.mark.parametrize(
    ("said", "problem"),
    [
        ("我不想说", "none_found"),
        ("1381234", "too_short"),
        ("12345678901", "not_a_phone"),
        ("138123456789999", "too_long"),
        ("11111111111", "not_a_phone"),
        ("三号楼二单元", "none_found"),
    ],
)
def test_absurd_numbers_are_refused_with_a_reason(said, problem):
    result = normalize_phone(said)
    assert result.number is None and result.problem == problem
