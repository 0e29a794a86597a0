"""Every number that turns scores into a decision, in one place.

- answer: the best article scores at least `answer_min` and leads the second by `answer_gap`.
- choose: the best scores at least `choose_min` and 2-3 articles lie within `choose_window` of it;
  the caller offers them as buttons.
- none:   anything else; the caller says honestly that the knowledge base has no answer.

How they were chosen (`bench/kb_eval.py --tune`, 222 articles, 533 eval questions of which 38 have
no answer in the KB): the eval questions are split in two by a hash of the text; only the tuning
half (240) is looked at. First the fusion weights: a grid search maximising top-1 + top-3 / 2 +
the share answered right at <= 0.5 % confident-wrong. Then the thresholds: a grid search
maximising answered right - 6 x confident-wrong + choices that hold the right article, with
confident-wrong <= 0.5 % on the tuning half (half of the 2 % goal, to leave a margin for unseen
questions). Measured on the held-out half (293), hybrid: top-1 91.5 %, top-3 98.9 %, answered
right 64.6 %, right article among the choices 30.3 %, confident-wrong 1.4 %. Re-run the tuning
when the articles or eval questions change much, and copy its output here.
"""

from dataclasses import dataclass

from knowledge_base.index import FusionParams


@dataclass(frozen=True)
class Thresholds:
    answer_min: float
    answer_gap: float
    choose_min: float
    choose_window: float
    choose_max: int = 3


# Mixed lexical + dense scores (the normal mode).
HYBRID_FUSION = FusionParams(body_weight=1.4, gram_weight=1.0, oov_weight=0.6, dense_lo=0.78, dense_hi=0.94,
                             dense_weight=0.6)  # fmt: skip
HYBRID = Thresholds(answer_min=0.5, answer_gap=0.04, choose_min=0.5, choose_window=0.1)
# Lexical only (the dense model could not be loaded, or HOTLINE_KB_DENSE=false).
LEXICAL_FUSION = FusionParams(body_weight=1.4, gram_weight=1.5, oov_weight=0.6, dense_weight=0.0)
LEXICAL = Thresholds(answer_min=0.2, answer_gap=0.06, choose_min=0.12, choose_window=0.15)
