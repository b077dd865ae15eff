"""Inference: both classifiers loaded once per process, batched and thread-safe.

    from prokai.nlp import get_classifier
    clf = get_classifier()                 # models/ from settings, cached
    clf.shop_scores(texts)                 # [P(shop) for each text]
    clf.intents(texts)                     # [IntentResult(label, score, scores)]

Nothing is ever fetched from a model hub: loading is local-files-only with HF_HUB_OFFLINE=1.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prokai.nlp.labels import INTENT_LABELS, SHOP, SHOP_LABELS
from prokai.nlp.modeling import MAX_LENGTH

TASKS = ("shop", "intent")
_REPO_ROOT = Path(__file__).resolve().parents[2]


class ModelNotFoundError(RuntimeError):
    """The model folder is missing or incomplete (run `prokai nlp train`)."""


@dataclass(frozen=True)
class IntentResult:
    """The most likely intent of one message, its probability, and all probabilities."""

    label: str
    score: float
    scores: dict[str, float]


def resolve_model_dir(path: Path | str | None = None) -> Path:
    """`path` as given if it exists; a relative path also tried against the repository root."""
    candidate = Path(path) if path is not None else Path("models")
    if candidate.is_absolute() or candidate.exists():
        return candidate
    fallback = _REPO_ROOT / candidate
    return fallback if fallback.exists() else candidate


def _check_dir(folder: Path) -> None:
    missing = [n for n in ("config.json", "tokenizer.json") if not (folder / n).is_file()]
    if not folder.is_dir() or missing:
        raise ModelNotFoundError(f"no trained model in {folder} (run `prokai nlp train`)")


class Classifier:
    """Shop detection and message intents over one model folder (`shop/` and `intent/` inside)."""

    def __init__(
        self, model_dir: Path | str, batch_size: int = 32, shop_threshold: float = 0.5, calibrated: bool = True
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # keep stderr for our one-line errors

        self.model_dir = Path(model_dir)
        self.batch_size = batch_size
        self.shop_threshold = shop_threshold
        self._lock = threading.Lock()
        self._torch = torch
        self._models: dict[str, Any] = {}
        self._tokenizers: dict[str, Any] = {}
        digests: dict[str, str] = {}
        for task in TASKS:
            folder = self.model_dir / task
            _check_dir(folder)
            digest = hashlib.sha256((folder / "tokenizer.json").read_bytes()).hexdigest()
            shared = next((t for t, d in digests.items() if d == digest), None)
            digests[task] = digest
            self._tokenizers[task] = (
                self._tokenizers[shared]
                if shared
                else AutoTokenizer.from_pretrained(folder, local_files_only=True)
            )
            model = AutoModelForSequenceClassification.from_pretrained(folder, local_files_only=True)
            model.eval()
            self._models[task] = model
        self._check_labels("shop", SHOP_LABELS)
        self._check_labels("intent", INTENT_LABELS)
        from prokai.nlp.calibrate import read_temperature

        # Shop scores are calibrated (`calibrate.py`); intents are argmax'd, so they need none.
        self.shop_temperature = read_temperature(self.model_dir / "shop") if calibrated else 1.0

    def _check_labels(self, task: str, expected: tuple[str, ...]) -> None:
        id2label = self._models[task].config.id2label
        found = tuple(id2label[i] for i in range(len(id2label)))
        if found != expected:
            raise ModelNotFoundError(
                f"{self.model_dir / task}: labels {found} differ from the code's {expected}"
            )

    def _logits(self, task: str, texts: Sequence[str]) -> list[list[float]]:
        """Raw logits per text, in input order (length-sorted batches inside)."""
        torch = self._torch
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[list[float]] = [[] for _ in texts]
        tokenizer, model = self._tokenizers[task], self._models[task]
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                enc = tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=MAX_LENGTH,
                    return_tensors="pt",
                )
                logits = model(**enc).logits.float().tolist()
                for i, row in zip(idx, logits, strict=True):
                    out[i] = row
        return out

    def _probabilities(self, task: str, texts: Sequence[str], temperature: float = 1.0) -> list[list[float]]:
        """Softmax probabilities of logits / `temperature` per text, in input order."""
        torch = self._torch
        rows = self._logits(task, texts)
        if not rows:
            return []
        return torch.softmax(torch.tensor(rows) / temperature, dim=-1).tolist()

    def shop_margins(self, texts: Sequence[str]) -> list[float]:
        """The shop logit minus the not-shop logit per text (uncalibrated; what calibration fits)."""
        shop_index = SHOP_LABELS.index(SHOP)
        return [row[shop_index] - row[1 - shop_index] for row in self._logits("shop", texts)]

    def shop_scores(self, texts: Sequence[str]) -> list[float]:
        """P(text comes from a drug shop) for each text, calibrated when the model folder says how."""
        shop_index = SHOP_LABELS.index(SHOP)
        return [p[shop_index] for p in self._probabilities("shop", texts, self.shop_temperature)]

    def is_shop(self, texts: Sequence[str]) -> list[bool]:
        """Shop decision at the configured threshold."""
        return [s >= self.shop_threshold for s in self.shop_scores(texts)]

    def intents(self, texts: Sequence[str]) -> list[IntentResult]:
        """The intent of each message (see `prokai.nlp.labels.INTENT_LABELS`)."""
        results = []
        for probs in self._probabilities("intent", texts):
            best = max(range(len(probs)), key=probs.__getitem__)
            scores = {label: round(p, 6) for label, p in zip(INTENT_LABELS, probs, strict=True)}
            results.append(IntentResult(INTENT_LABELS[best], probs[best], scores))
        return results

    def classify(self, texts: Sequence[str], with_intent: bool = True) -> list[dict[str, Any]]:
        """`prokai classify` records (without id): label, score and optionally intent."""
        scores = self.shop_scores(texts)
        intents = self.intents(texts) if with_intent else None
        out = []
        for i, score in enumerate(scores):
            rec: dict[str, Any] = {
                "label": SHOP if score >= self.shop_threshold else "not_shop",
                "score": round(score, 4),
            }
            if intents is not None:
                rec["intent"] = intents[i].label
                rec["intent_score"] = round(intents[i].score, 4)
            out.append(rec)
        return out


_CACHE: dict[tuple[str, int, float], Classifier] = {}
_CACHE_LOCK = threading.Lock()


def get_classifier(
    model_dir: Path | str | None = None, batch_size: int | None = None, shop_threshold: float | None = None
) -> Classifier:
    """The process-wide classifier for `model_dir` (default: `nlp.model_dir` from the settings)."""
    if model_dir is None or batch_size is None or shop_threshold is None:
        from prokai.config import load_settings

        nlp = load_settings().nlp
        model_dir = nlp.model_dir if model_dir is None else model_dir
        batch_size = nlp.batch_size if batch_size is None else batch_size
        shop_threshold = nlp.shop_threshold if shop_threshold is None else shop_threshold
    folder = resolve_model_dir(model_dir).resolve()
    key = (str(folder), batch_size, shop_threshold)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = Classifier(folder, batch_size, shop_threshold)
        return _CACHE[key]
