"""core/one_text.py gives scikit-learn's own numbers: TF-IDF rows of the emergency net's and the
distress detector's vectorizers, and the probabilities of binary and multi-class logistic
regressions, on texts seen in training and texts that are not."""

import jieba
import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from core.one_text import TfidfRows, logistic_proba

TRAIN = [
    "楼下着火了，浓烟很大", "有人晕倒了没有呼吸", "我想问一下居住证怎么办理", "小区停水三天了",
    "公交卡能退吗", "我要投诉饭馆油烟太大", "孩子掉进河里了快来人", "燃气泄漏了味道很重",
    "谢谢你们", "你好", "路灯坏了一个月", "建议多开几趟公交车",
]  # fmt: skip
UNSEEN = ["", "你好", "ＡＢＣ  全角 字符", "救命！！！", "停水了找哪个部门", "完全没见过的词语组合", "a b c"]


def words(text: str) -> list[str]:
    return jieba.lcut(text)


VECTORIZERS = {
    "chars_1_3_sublinear": {"analyzer": "char", "ngram_range": (1, 3), "sublinear_tf": True},
    "words_sublinear": {"analyzer": words, "sublinear_tf": True},
    "chars_l1_binary": {"analyzer": "char_wb", "ngram_range": (1, 2), "norm": "l1", "binary": True},
    "no_idf_no_norm": {"analyzer": "char", "use_idf": False, "norm": None},
}


@pytest.mark.parametrize("name", sorted(VECTORIZERS))
def test_tfidf_rows_are_scikit_learns(name):
    vectorizer = TfidfVectorizer(**VECTORIZERS[name]).fit(TRAIN)
    rows = TfidfRows(vectorizer)
    for texts in ([t] for t in TRAIN + UNSEEN):
        assert np.allclose(rows(texts).toarray(), vectorizer.transform(texts).toarray(), rtol=0, atol=1e-12), texts
    many = rows(TRAIN + UNSEEN)
    assert many.shape == (len(TRAIN) + len(UNSEEN), len(vectorizer.vocabulary_))
    assert np.allclose(many.toarray(), vectorizer.transform(TRAIN + UNSEEN).toarray(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("labels", [[i % 2 == 0 for i in range(12)], ["anger", "calm", "distress"] * 4])
def test_logistic_probabilities_are_scikit_learns(labels):
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3)).fit(TRAIN)
    model = LogisticRegression(C=10.0, max_iter=1000).fit(vectorizer.transform(TRAIN), labels)
    x = TfidfRows(vectorizer)(TRAIN + UNSEEN)
    ours, theirs = logistic_proba(model, x), model.predict_proba(x)
    assert ours.shape == theirs.shape == (len(TRAIN) + len(UNSEEN), len(set(labels)))
    assert np.allclose(ours, theirs, rtol=0, atol=1e-12)
