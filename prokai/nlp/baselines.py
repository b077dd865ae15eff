"""Baselines evaluated beside the transformer: keyword lists and char n-gram TF-IDF + logistic regression."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from prokai.nlp.labels import INTENT_LABELS, NOT_SHOP, SHOP
from prokai.nlp.modeling import normalize

# Shop detection: any of these (normalized, word-prefix match) marks a text as a shop.
SHOP_KEYWORDS = (
    "меф",
    "мяу",
    "альфа",
    "pvp",
    "скорость",
    "гашиш",
    "гаш",
    "шишк",
    "бошк",
    "ак-47",
    "марихуан",
    "амфетамин",
    "амф",
    "экстази",
    "мдма",
    "mdma",
    "кокаин",
    "кокс",
    "героин",
    "лсд",
    "спайс",
    "закладк",
    "заклад",
    "клад",
    "тайник",
    "прикоп",
    "ненаход",
    "перезаклад",
    "кладмен",
    "стафф",
    "мука",
    "кристалл",
    "крис",
    "дроп",
    "раскладк",
    "ұнтақ",
    "жасырын орын",
    "есірткі",
)
# Intent: the first rule (in this order) whose pattern matches wins; otherwise "other".
INTENT_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "payment_details",
        (
            r"\d{4} ?\d{4} ?\d{4} ?\d{4}",
            r"\+7",
            r"bc1",
            r"\bt[1-9a-z]{30,}",
            r"kz\d\d",
            "реквизит",
            "деректеме",
        ),
    ),
    ("captcha", ("капч", "робот", "не бот", r"\d+ ?[+×x*-] ?\d+ ?=", "картинк", "суреттегі", "проверк")),
    (
        "refusal_ban",
        (
            "заблок",
            "бан",
            "блок",
            "запрещ",
            "не работаем",
            "нет в наличии",
            "закрыт",
            "отказ",
            "бұғат",
            "тыйым",
            "жоқ",
        ),
    ),
    ("wait_confirm", ("ожида", "подожд", "подтверд", "чек", "проверя", "күт", "раста", "тексер")),
    ("choose_payment", ("оплат", "төлем", "платить", "төлей")),
    ("choose_amount", ("фасовк", "вес", "грам", "сколько", "салмақ", "қанша", "количеств")),
    ("choose_district", ("район", "аудан", "мкр", "микрорайон")),
    ("choose_city", ("город", "қала")),
    ("choose_product", ("товар", "позици", "интересует", "тауар", "меню", "каталог")),
    ("question", (r"\?",)),
)
_INTENT_RES = [
    (label, [re.compile(normalize(p) if not p.startswith(("\\", "[")) else p) for p in pats])
    for label, pats in INTENT_KEYWORDS
]
_SHOP_RE = re.compile(r"(?<!\w)(" + "|".join(re.escape(normalize(k)) for k in SHOP_KEYWORDS) + ")")


def keyword_shop(texts: Sequence[str]) -> list[float]:
    """1.0 where a shop keyword occurs, else 0.0."""
    return [1.0 if _SHOP_RE.search(normalize(t)) else 0.0 for t in texts]


def keyword_intent(texts: Sequence[str]) -> list[str]:
    """The first intent whose keyword occurs, else "other"."""
    out = []
    for text in texts:
        norm = normalize(text)
        label = next((lab for lab, pats in _INTENT_RES if any(p.search(norm) for p in pats)), "other")
        out.append(label)
    return out


class TfidfBaseline:
    """Character n-gram TF-IDF + logistic regression (scikit-learn), deterministic."""

    def __init__(self, labels: Sequence[str]) -> None:
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import Pipeline

        self.labels = tuple(labels)
        lr = LogisticRegression(C=10.0, solver="liblinear", max_iter=1000)
        classifier: Any = lr if len(self.labels) == 2 else OneVsRestClassifier(lr)
        self.pipeline: Any = Pipeline(
            [
                (
                    "tfidf",
                    TfidfVectorizer(
                        analyzer="char_wb",
                        ngram_range=(2, 5),
                        min_df=2,
                        sublinear_tf=True,
                        max_features=100_000,
                        preprocessor=normalize,
                        dtype=np.float64,
                    ),
                ),
                ("lr", classifier),
            ]
        )

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TfidfBaseline:
        """Train on `texts` with string `labels`."""
        self.pipeline.fit(list(texts), [self.labels.index(y) for y in labels])
        return self

    def proba(self, texts: Sequence[str]) -> list[list[float]]:
        """Class probabilities in `self.labels` order."""
        result: list[list[float]] = self.pipeline.predict_proba(list(texts)).tolist()
        return result

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most likely label of each text."""
        return [self.labels[max(range(len(p)), key=p.__getitem__)] for p in self.proba(texts)]

    def shop_scores(self, texts: Sequence[str]) -> list[float]:
        """P(shop) (for a shop baseline)."""
        i = self.labels.index(SHOP)
        return [p[i] for p in self.proba(texts)]


SHOP_BASELINE_LABELS = (NOT_SHOP, SHOP)
INTENT_BASELINE_LABELS = INTENT_LABELS
