"""Transformer classifiers: shop detection and shop-message intents, trained by the project.

Use `get_classifier()` for the process-wide, thread-safe classifier loaded once from
`settings.nlp.model_dir` (default `models/`):

    clf = get_classifier()
    clf.shop_scores(["Меф 1г 15к, клады по Алматы"])  # -> [0.99]
    clf.intents(["Выберите район:"])  # -> [IntentResult(label="choose_district", score=0.98, ...)]

The label lists live in `prokai.nlp.labels` (INTENT_LABELS is a public contract).
"""

from __future__ import annotations

from prokai.nlp.labels import INTENT_LABELS, LANGS, NOT_SHOP, SHOP, SHOP_LABELS

__all__ = [
    "INTENT_LABELS",
    "LANGS",
    "NOT_SHOP",
    "SHOP",
    "SHOP_LABELS",
    "Classifier",
    "IntentResult",
    "ModelNotFoundError",
    "get_classifier",
]


def __getattr__(name: str) -> object:
    # The inference module imports torch/transformers: load it only when asked for.
    if name in ("Classifier", "IntentResult", "ModelNotFoundError", "get_classifier"):
        from prokai.nlp import infer

        return getattr(infer, name)
    raise AttributeError(name)
