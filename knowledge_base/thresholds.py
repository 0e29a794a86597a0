"""Every number that turns scores into a decision, in one place.

- answer: the best article scores at least `answer_min` and leads the second by `answer_gap`
  (a runner-up within `choose_window` is offered beside the answer).
- choose: the best scores at least `choose_min` and 2-3 articles lie within `choose_window` of it;
  the caller offers them as buttons.
- none:   anything else; the caller says honestly that the knowledge base has no answer.
(A who-handles question is referred to the responsible unit before these apply: search.py.)

How they were chosen. The fusion weights: `bench/kb_eval.py --tune` (222 articles then, 533 eval
questions split in two by a hash of the text; only the tuning half looked at): a grid search
maximising top-1 + top-3 / 2 + the share answered right at <= 0.5 % confident-wrong. The hybrid
thresholds (and the referral's confidence, tickets/referral.py): `bench/everyday_eval.py --tune` on
the tuning questions only, the everyday tune set (90 spoken questions, knowledge_base/eval/everyday/
tune.yml) plus kb_eval's tuning half (240): a grid search maximising answered right + 0.5 x
choices holding the right article - 6 x confident-wrong, with confident-wrong <= 1 % (half the
2 % goal). Measured (on-topic / confident-wrong), everyday tune 92.2 % / 0.0 %, everyday held-out
(89, written with the tune set before tuning, never adjusted) 87.6 % / 1.1 %; kb_eval held-out half
(293): top-1 91.5 %, answered right 74.9 % (64.6 % with the previous thresholds), right article
among the choices 14.8 %, confident-wrong 2.4 % (1.4 % before): fewer choices, a few more wrong
answers, each with its runner-up offered beside. After sibling articles that answer one matter
were merged (低保, 残疾人证, 一卡通, 停电, 暖气不热/供热投诉, 购房/还贷提取, 热线能办/不能受理,
回访/不满意: 212 articles) the same grid search chose these same thresholds; measured then: everyday
tune 94.4 % / 0.0 %, held-out 89.9 % / 1.1 %; kb_eval held-out top-1 91.9 %, answered right 75.3 %,
choices 14.0 %, confident-wrong 2.7 %. (Merging 居住证 申领/签注/补换 was tried and dropped: it added two
confident-wrong answers on the tuning half.)
The lexical-only thresholds are still those of kb_eval's tuning. Re-run the tuning when the
articles or eval questions change much.
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
HYBRID_FUSION = FusionParams(
    body_weight=1.4, gram_weight=1.0, oov_weight=0.6, dense_lo=0.78, dense_hi=0.94, dense_weight=0.6
)
HYBRID = Thresholds(answer_min=0.5, answer_gap=0.04, choose_min=0.5, choose_window=0.1)
# Lexical only (the dense model could not be loaded, or HOTLINE_KB_DENSE=false).
LEXICAL_FUSION = FusionParams(body_weight=1.4, gram_weight=1.5, oov_weight=0.6, dense_weight=0.0)
LEXICAL = Thresholds(answer_min=0.2, answer_gap=0.06, choose_min=0.12, choose_window=0.15)
