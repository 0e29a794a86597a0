"""E5Embedder remembers recent single texts: a message the emergency net embeds (a passage) and a
citizen's question (a query) are computed once while they are recent, kept apart by kind, and
the remembered vector is the one a batch computes."""

import numpy as np

from knowledge_base.embeddings import E5Embedder


class CountingModel:
    def __init__(self, model) -> None:
        self._model, self.calls = model, []

    def passage(self, texts):
        self.calls.append(("passage", list(texts)))
        return self._model.passage(texts)

    def query(self, text):
        self.calls.append(("query", text))
        return self._model.query(text)


def test_a_recent_message_is_embedded_once_and_as_in_a_batch(monkeypatch):
    embedder = E5Embedder(threads=1, query_cache=2)
    model = CountingModel(embedder._model)
    monkeypatch.setattr(embedder, "_model", model)
    batch = embedder.passages(["小区停水了", "楼道灯坏了"])
    one = embedder.passages(["小区停水了"])
    again = embedder.passages(["小区停水了"])
    assert one.shape == (1, embedder.dim)
    assert np.allclose(one[0], batch[0], atol=1e-5)
    assert np.shares_memory(again, one)  # the remembered vector itself, not a new computation
    assert model.calls == [("passage", ["小区停水了", "楼道灯坏了"]), ("passage", ["小区停水了"])]
    question = embedder.query("小区停水了")  # the same words as a question: another vector, computed
    assert not np.allclose(question, one[0], atol=1e-3)
    assert model.calls[-1] == ("query", "小区停水了")
    embedder.query("居住证怎么办")  # two remembered at most: the oldest goes
    embedder.passages(["小区停水了"])
    assert model.calls[-1] == ("passage", ["小区停水了"])
    assert not one.flags.writeable
