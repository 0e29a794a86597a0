"""Search tokens: jieba words of the normalised text (search mode, so 住房公积金 also yields 公积金),
stop words dropped, plus one `syn:` token per synonym group mentioned (query/document expansion)."""

import functools
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import jieba
import yaml

from knowledge_base.chinese import normalise

log = logging.getLogger(__name__)
SYNONYMS_FILE = Path(__file__).resolve().parent / "synonyms.yml"
# Function words and question words: frequent in every question, no help in telling articles apart.
STOPWORDS = frozenset(
    "的 了 吗 呢 吧 啊 呀 哈 么 嘛 哦 是 在 有 和 与 或 及 等 也 都 就 还 又 要 想 能 会 可以 可 "
    "我 你 您 他 她 它 我们 你们 他们 咱 这 那 这个 那个 这些 那些 怎么 怎么样 怎样 如何 什么 "
    "哪 哪些 吗 一下 一些 请 请问 个 把 被 给 让 "
    "对 从 到 去 来 上 下 里 中 呗 啦 嗯 呃 喂 没 不 是否 需要 应该 得 地 着 过 之 其 以 为 及其 有没有 能不能 "
    "可不可以 怎么办 咋 咋办 啥".split()
)


@dataclass(frozen=True)
class SynonymTable:
    groups: tuple[tuple[str, ...], ...]
    pattern: re.Pattern | None

    @classmethod
    def from_groups(cls, groups: list[list[str]]) -> "SynonymTable":
        clean: list[tuple[str, ...]] = []
        owner: dict[str, str] = {}
        for group in groups:
            words = tuple(dict.fromkeys(normalise(str(w)) for w in group if normalise(str(w))))
            if len(words) < 2:
                log.warning("knowledge base: synonym group %s has fewer than two words; ignored", group)
                continue
            for w in words:
                if w in owner:
                    log.warning("knowledge base: synonym %r is in groups %r and %r", w, owner[w], words[0])
                owner.setdefault(w, words[0])
            clean.append(words)
        terms = sorted(owner, key=len, reverse=True)
        pattern = re.compile("|".join(map(re.escape, terms))) if terms else None
        return cls(tuple(clean), pattern)

    @classmethod
    def load(cls, path: Path = SYNONYMS_FILE) -> "SynonymTable":
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls.from_groups(data.get("groups") or [])

    @property
    def canonical(self) -> dict[str, str]:
        return {w: g[0] for g in self.groups for w in g}

    def expand(self, normalised: str) -> list[str]:
        """One `syn:<group head>` token for each synonym found (longest words first)."""
        if self.pattern is None:
            return []
        canon = self.canonical
        return [f"syn:{canon[m.group(0)]}" for m in self.pattern.finditer(normalised)]

    @property
    def words(self) -> list[str]:
        return [w for g in self.groups for w in g]


class Tokenizer:
    """Thread-safe after construction: jieba's dictionary is only read while tokenising."""

    def __init__(self, synonyms: SynonymTable | None = None) -> None:
        self.synonyms = synonyms if synonyms is not None else SynonymTable.load()
        self._jieba = jieba.Tokenizer()
        self._ready = False
        self._lock = threading.Lock()

    @classmethod
    @functools.cache
    def shared(cls) -> "Tokenizer":
        """One tokenizer with the shipped synonym list per process (jieba's dictionary is big)."""
        return cls()

    def _init(self) -> None:
        with self._lock:
            if self._ready:
                return
            logging.getLogger("jieba").setLevel(logging.WARNING)
            self._jieba.initialize()
            for word in self.synonyms.words:  # multi-character synonyms are words, not fragments
                if len(word) > 1:
                    self._jieba.add_word(word, freq=50_000)
            self._ready = True

    def words(self, normalised: str) -> list[str]:
        if not self._ready:
            self._init()
        return [w for w in self._jieba.lcut_for_search(normalised) if w.strip() and w not in STOPWORDS]

    def tokens(self, text: str, *, is_normalised: bool = False) -> list[str]:
        return list(self._tokens(text, is_normalised))

    @functools.lru_cache(maxsize=65536)  # noqa: B019  (one shared tokenizer per process; rebuilds reuse it)
    def _tokens(self, text: str, is_normalised: bool) -> tuple[str, ...]:
        norm = text if is_normalised else normalise(text)
        return tuple(self.words(norm) + self.synonyms.expand(norm))
