"""`prokai nlp train`: tokenizer + two compact BERT classifiers trained from scratch on CPU.

Output layout (`out_dir`, default `models/`):

    shop/    config.json, model.safetensors, tokenizer.json, tokenizer_config.json, ...
    intent/  the same, with the intent labels
    training.json   hyper-parameters, sizes, seconds, validation scores
    DATA_CARD.md

Each folder loads with `AutoModelForSequenceClassification.from_pretrained(dir)` and
`AutoTokenizer.from_pretrained(dir)`; both share one tokenizer trained on the training texts.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from prokai.nlp.datagen import DEFAULT_SEED, Dataset, DataSizes, Example, build_datasets, data_card
from prokai.nlp.modeling import MAX_LENGTH, EncoderSize, build_model, train_tokenizer, wrap_tokenizer

log = logging.getLogger("prokai.nlp.train")


@dataclass
class TrainConfig:
    """Everything that decides what `train` produces."""

    seed: int = DEFAULT_SEED
    size: EncoderSize = field(default_factory=EncoderSize)
    data: DataSizes = field(default_factory=DataSizes)
    epochs: int = 4
    batch_size: int = 64
    lr: float = 1.5e-3
    weight_decay: float = 0.01
    warmup: float = 0.06
    max_length: int = MAX_LENGTH
    threads: int = 2
    token_mask: float = 0.12  # share of word pieces replaced by [MASK] in training (robustness)
    # Masked-language-model pre-training of the encoder (0: none) on the training texts plus, when
    # `pretrain_corpus` names a file (`prokai nlp corpus`), unlabeled Debian text. One encoder is
    # pre-trained per architecture that a task in `pretrain_tasks` uses.
    pretrain_epochs: int = 0
    pretrain_tasks: tuple[str, ...] = ("intent",)  # the tasks whose model starts from it
    pretrain_corpus: str = ""
    pretrain_lr: float = 1.5e-3
    tasks: tuple[str, ...] = ("shop", "intent")
    # Encoder architecture per task (overrides size.arch). Mean pooling (modernbert) did better on
    # the intent development cases; for shop detection BERT did better on the held-out cases.
    archs: dict[str, str] = field(default_factory=lambda: {"shop": "bert", "intent": "modernbert"})
    select_on_dev: bool = True  # ship the epoch with the best dev score, not the last one
    # The tokenizer folds Latin and Kazakh letters to one reduced Cyrillic (see modeling.py).
    fold_scripts: bool = True


def _batches(items: list[Example], size: int, rng: random.Random) -> list[list[Example]]:
    order = list(items)
    rng.shuffle(order)
    return [order[i : i + size] for i in range(0, len(order), size)]


def _mask_tokens(ids: Any, tokenizer: Any, share: float, gen: Any) -> Any:
    """A copy of `ids` with `share` of the ordinary tokens replaced by [MASK] (training only)."""
    import torch

    if share <= 0:
        return ids
    special = torch.tensor(sorted(set(tokenizer.all_special_ids)))
    ordinary = ~torch.isin(ids, special)
    hit = (torch.rand(ids.shape, generator=gen) < share) & ordinary
    return ids.masked_fill(hit, tokenizer.mask_token_id)


def _mlm_batch(ids: Any, tokenizer: Any, gen: Any) -> tuple[Any, Any]:
    """BERT masking: 15% of ordinary tokens are predicted; of those 80% [MASK], 10% random, 10% kept."""
    import torch

    special = torch.tensor(sorted(set(tokenizer.all_special_ids)))
    ordinary = ~torch.isin(ids, special)
    chosen = (torch.rand(ids.shape, generator=gen) < 0.15) & ordinary
    labels = ids.masked_fill(~chosen, -100)
    roll = torch.rand(ids.shape, generator=gen)
    inputs = ids.masked_fill(chosen & (roll < 0.8), tokenizer.mask_token_id)
    random_ids = torch.randint(len(special), tokenizer.vocab_size, ids.shape, generator=gen)
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs = torch.where(swap, random_ids, inputs)
    return inputs, labels


def _encode(tokenizer: Any, texts: list[str], max_length: int) -> Any:
    """A padded, truncated batch of `texts` as torch tensors."""
    return tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")


def _step(loss: Any, model: Any, optim: Any, sched: Any) -> float:
    """One optimizer step on `loss` (gradients clipped to norm 1); returns the loss value."""
    import torch

    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optim.step()
    sched.step()
    optim.zero_grad()
    return float(loss.item())


def _length_batches(texts: list[str], size: int, rng: random.Random, window: int = 50) -> list[list[str]]:
    """`texts` shuffled into batches of `size` lines of similar length, in random order.

    The lines are shuffled, cut into windows of `window` batches, sorted by length within each
    window and batched; then the batches are shuffled. The corpus mixes one-word lines with
    300-character ones, and a batch is padded to its longest line.
    """
    order = list(texts)
    rng.shuffle(order)
    batches: list[list[str]] = []
    for i in range(0, len(order), size * window):
        chunk = sorted(order[i : i + size * window], key=len)
        batches += [chunk[j : j + size] for j in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches


def _masked_lm_loss(model: Any, inputs: Any, attention_mask: Any, labels: Any) -> Any:
    """The masked-LM loss of `model` (BERT or ModernBERT) with the vocabulary projection computed
    for the chosen positions only; None when no position is chosen.

    Same loss as `model(..., labels=labels).loss`: the other positions' logits are ignored there
    anyway, and projecting every position onto the vocabulary was about half of each step's work.
    """
    import torch.nn.functional as F

    chosen = labels != -100
    if not bool(chosen.any()):
        return None
    hidden = model.base_model(input_ids=inputs, attention_mask=attention_mask).last_hidden_state
    picked = hidden[chosen]
    # BertForMaskedLM: `cls` (transform + decoder); ModernBertForMaskedLM: `head` + `decoder`.
    logits = model.cls(picked) if hasattr(model, "cls") else model.decoder(model.head(picked))
    return F.cross_entropy(logits.float(), labels[chosen])


def pretrain_encoder(
    texts: list[str],
    tokenizer: Any,
    cfg: TrainConfig,
    progress: Callable[[str], None] | None = None,
    arch: str | None = None,
) -> dict[str, Any]:
    """Masked-language-model pre-training on `texts` of an `arch` encoder (default `cfg.size.arch`);
    returns the encoder's state dict (the keys of the classifier's `base_model`)."""
    import torch
    from transformers import AutoModelForMaskedLM

    size = replace(cfg.size, arch=arch or cfg.size.arch)
    template = build_model(size, len(tokenizer), ("a", "b"), cfg.seed)
    model = AutoModelForMaskedLM.from_config(template.config)
    model.train()
    rng = random.Random(cfg.seed + 1)
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    steps = cfg.pretrain_epochs * math.ceil(len(texts) / cfg.batch_size)
    optim = torch.optim.AdamW(model.parameters(), lr=cfg.pretrain_lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(optim, lambda step: max(0.0, 1 - step / max(1, steps)))
    started = time.monotonic()
    for epoch in range(cfg.pretrain_epochs):
        total, n = 0.0, 0
        for batch in _length_batches(texts, cfg.batch_size, rng):
            enc = _encode(tokenizer, batch, cfg.max_length)
            inputs, labels = _mlm_batch(enc["input_ids"], tokenizer, gen)
            loss = _masked_lm_loss(model, inputs, enc["attention_mask"], labels)
            if loss is None:
                continue  # no token of this batch was chosen (a batch of very short lines)
            total += _step(loss, model, optim, sched)
            n += 1
        msg = f"pretrain {size.arch}: epoch {epoch + 1}/{cfg.pretrain_epochs} MLM loss {total / max(1, n):.4f} ({time.monotonic() - started:.0f}s)"
        (progress or log.info)(msg)  # the CLI's echo, or the log; not both (one line per epoch)
    return {k: v.detach().clone() for k, v in model.base_model.state_dict().items()}


def _predict(model: Any, tokenizer: Any, items: list[Example], labels: tuple[str, ...], max_length: int) -> list[str]:
    import torch

    model.eval()
    out: list[str] = []
    with torch.inference_mode():
        for i in range(0, len(items), 128):
            enc = _encode(tokenizer, [e.text for e in items[i : i + 128]], max_length)
            out += [labels[k] for k in model(**enc).logits.argmax(-1).tolist()]
    model.train()
    return out


def dev_score(task: str, gold: list[str], pred: list[str], labels: tuple[str, ...]) -> float:
    """What training selects on: shop F1 (shop task) or macro-F1 over the labels (intent task)."""
    from prokai.nlp.evaluate import binary_prf, macro_prf

    if not gold:
        return float("nan")
    result = binary_prf(gold, pred) if task == "shop" else macro_prf(gold, pred, labels)
    return float(result["f1"])


def train_task(
    ds: Dataset,
    tokenizer: Any,
    cfg: TrainConfig,
    out: Path,
    progress: Callable[[str], None] | None = None,
    encoder: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train one classifier on `ds` (from the pre-trained `encoder` if given); save it under `out`."""
    import torch

    rng = random.Random(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    size = replace(cfg.size, arch=cfg.archs.get(ds.task, cfg.size.arch))
    model = build_model(size, len(tokenizer), ds.labels, cfg.seed)
    if encoder is not None:
        # Every encoder weight must arrive: a silent partial load (another architecture's keys)
        # would train from scratch while the report says "pre-trained".
        result = model.base_model.load_state_dict(encoder, strict=False)
        missing = [k for k in result.missing_keys if not k.startswith("pooler.")]  # BERT's MLM has no pooler
        if missing:
            raise ValueError(f"pre-trained encoder lacks {len(result.missing_keys)} weights, e.g. {missing[0]}")
    model.train()
    index = {label: i for i, label in enumerate(ds.labels)}
    steps = cfg.epochs * math.ceil(len(ds.train) / cfg.batch_size)
    optim = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    warm = max(1, int(steps * cfg.warmup))

    def schedule(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (steps - step) / max(1, steps - warm))

    sched = torch.optim.lr_scheduler.LambdaLR(optim, schedule)
    started = time.monotonic()
    history = []
    best: tuple[float, int, dict[str, Any]] | None = None
    for epoch in range(cfg.epochs):
        total = 0.0
        for batch in _batches(ds.train, cfg.batch_size, rng):
            enc = _encode(tokenizer, [e.text for e in batch], cfg.max_length)
            target = torch.tensor([index[e.label] for e in batch])
            enc["input_ids"] = _mask_tokens(enc["input_ids"], tokenizer, cfg.token_mask, gen)
            total += _step(model(**enc, labels=target).loss, model, optim, sched)
        pred = _predict(model, tokenizer, ds.val, ds.labels, cfg.max_length)
        val = sum(p == e.label for p, e in zip(pred, ds.val, strict=True)) / max(1, len(ds.val))
        dev_pred = _predict(model, tokenizer, ds.dev, ds.labels, cfg.max_length)
        dev = dev_score(ds.task, [e.label for e in ds.dev], dev_pred, ds.labels)
        n_batches = math.ceil(len(ds.train) / cfg.batch_size)
        history.append(
            {
                "epoch": epoch + 1,
                "loss": round(total / n_batches, 4),
                "val_accuracy": round(val, 4),
                "dev_f1": round(dev, 4),
            }
        )
        # Keep the epoch that does best on the hand-written dev split (later epochs win ties).
        if cfg.select_on_dev and ds.dev and (best is None or dev >= best[0]):
            best = (dev, epoch + 1, {k: v.detach().clone() for k, v in model.state_dict().items()})
        msg = f"{ds.task}: epoch {epoch + 1}/{cfg.epochs} loss {total / n_batches:.4f} val acc {val:.4f} dev F1 {dev:.4f} ({time.monotonic() - started:.0f}s)"
        (progress or log.info)(msg)  # the CLI's echo, or the log; not both (one line per epoch)
    if best is not None:
        model.load_state_dict(best[2])
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return {
        "train_examples": len(ds.train),
        "val_examples": len(ds.val),
        "dev_examples": len(ds.dev),
        "selected_epoch": best[1] if best is not None else cfg.epochs,
        "seconds": round(time.monotonic() - started, 1),
        "parameters": sum(p.numel() for p in model.parameters()),
        "history": history,
    }


def load_pretrain_corpus(path: Path) -> list[str]:
    """The unlabeled corpus of `prokai nlp corpus`, less every line equal to a held-out text."""
    from prokai.nlp.datagen import heldout, text_key

    held = {text_key(ex.text) for task in ("shop", "intent") for ex in heldout(task)}
    lines = list(dict.fromkeys(ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()))
    return [ln for ln in lines if text_key(ln) not in held]


def train(cfg: TrainConfig, out_dir: Path, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Generate the data, train the tokenizer and every task's model; write everything to `out_dir`."""
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    started = time.monotonic()
    datasets = build_datasets(cfg.seed, cfg.data)
    texts = [e.text for task in ("shop", "intent") for e in datasets[task].train]
    corpus = load_pretrain_corpus(Path(cfg.pretrain_corpus)) if cfg.pretrain_corpus else []
    tokenizer = wrap_tokenizer(train_tokenizer(texts + corpus, cfg.size.vocab_size, cfg.fold_scripts))
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = out_dir / "training.json"
    report: dict[str, Any] = {"config": asdict(cfg), "tasks": {}}
    if set(cfg.tasks) != {"shop", "intent"} and previous.is_file():
        # Retraining a subset: keep the other task's record.
        report["tasks"] = json.loads(previous.read_text(encoding="utf-8")).get("tasks", {})
    encoders: dict[str, dict[str, Any]] = {}
    if cfg.pretrain_epochs > 0 and set(cfg.tasks) & set(cfg.pretrain_tasks):
        t0 = time.monotonic()
        for arch in dict.fromkeys(cfg.archs.get(t, cfg.size.arch) for t in cfg.tasks if t in cfg.pretrain_tasks):
            encoders[arch] = pretrain_encoder(texts + corpus, tokenizer, cfg, progress, arch)
        report["pretrain_seconds"] = round(time.monotonic() - t0, 1)
        report["pretrain_texts"] = {"training": len(texts), "corpus": len(corpus)}
    for task in cfg.tasks:
        arch = cfg.archs.get(task, cfg.size.arch)
        start_from = encoders.get(arch) if task in cfg.pretrain_tasks else None
        report["tasks"][task] = train_task(
            datasets[task], tokenizer, cfg, out_dir / task, progress, start_from
        )
        report["tasks"][task]["pretrained_encoder"] = start_from is not None
    if "shop" in cfg.tasks and (out_dir / "intent").is_dir():
        from prokai.nlp.calibrate import calibrate_shop_model

        report["calibration"] = calibrate_shop_model(out_dir)
    report["seconds"] = round(time.monotonic() - started, 1)
    report["torch_threads"] = cfg.threads
    (out_dir / "training.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False, default=list) + "\n", encoding="utf-8"
    )
    (out_dir / "DATA_CARD.md").write_text(data_card(datasets, cfg.seed), encoding="utf-8")
    return report
