"""The classifiers the crawler asks: the shipped transformer, or the keyword baseline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prokai.config import Settings


class KeywordModel:
    """`prokai.nlp`'s keyword baseline behind the engine's IntentModel interface (no torch).

    For rehearsals on machines without the model and for fast tests of the engine itself; the
    transformer is the default everywhere else.
    """

    def shop_scores(self, texts: Sequence[str]) -> list[float]:
        from prokai.nlp.baselines import keyword_shop

        return keyword_shop(texts)

    def intents(self, texts: Sequence[str]) -> list[Any]:
        from prokai.nlp.baselines import keyword_intent

        return keyword_intent(texts)


def load_model(settings: Settings, kind: str = "transformer") -> Any:
    """The classifier named by `kind` ("transformer" from `nlp.model_dir`, or "keywords")."""
    if kind == "keywords":
        return KeywordModel()
    if kind != "transformer":
        raise ValueError(f"unknown model kind {kind!r}: expected transformer or keywords")
    from prokai.nlp.infer import get_classifier

    return get_classifier(settings.nlp.model_dir)
