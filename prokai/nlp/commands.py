"""CLI: `prokai classify [FILE|-]` and `prokai nlp train|evaluate|generate-data`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO

import typer

from prokai.cliutil import EXIT_FAILURE, EXIT_USAGE, fail, settings

nlp_app = typer.Typer(
    help="Shop-detection and intent classifiers: data, training, evaluation.", no_args_is_help=True
)


def _model_dir(ctx: typer.Context, given: Path | None) -> Path:
    from prokai.nlp.infer import resolve_model_dir

    return resolve_model_dir(given if given is not None else settings(ctx).nlp.model_dir)


def classify(
    ctx: typer.Context,
    file: str = typer.Argument(
        "-", help='Input file of JSON lines {"id", "text"} or plain text lines; - for stdin.'
    ),
    model_dir: Path | None = typer.Option(None, "--model-dir", help="Model folder (default: nlp.model_dir)."),
    threshold: float | None = typer.Option(
        None, "--threshold", min=0.0, max=1.0, help="Shop score threshold (default: nlp.shop_threshold)."
    ),
    intent: bool = typer.Option(True, "--intent/--no-intent", help="Also report each message's intent."),
) -> None:
    """Label each input line shop / not_shop (with score and intent), one JSON line per input."""
    from prokai.cliutil import bounded_lines
    from prokai.nlp.classify_io import BadLine, Item, parse_lines
    from prokai.nlp.infer import ModelNotFoundError, get_classifier

    nlp = settings(ctx).nlp
    try:
        # Bytes, decoded line by line: a bad line is reported, the rest go on.
        stream: IO[bytes] = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115
    except OSError as exc:
        fail(f"{file}: cannot read: {exc.strerror}", EXIT_USAGE)
    try:
        clf = get_classifier(
            _model_dir(ctx, model_dir), nlp.batch_size, nlp.shop_threshold if threshold is None else threshold
        )
    except ModelNotFoundError as exc:
        fail(str(exc))
    bad = 0
    pending: list[Item] = []

    def flush() -> None:
        for item, rec in zip(
            pending, clf.classify([i.text for i in pending], with_intent=intent), strict=True
        ):
            sys.stdout.write(json.dumps({"id": item.id, **rec}, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        pending.clear()

    try:
        for entry in parse_lines(bounded_lines(stream)):
            if isinstance(entry, BadLine):
                flush()  # keep output in input order
                typer.echo(f"error: line {entry.lineno}: {entry.reason}", err=True)
                bad += 1
                continue
            pending.append(entry)
            if len(pending) >= 256:
                flush()
        flush()
    except UnicodeDecodeError:
        fail(f"{file}: not UTF-8 text", EXIT_USAGE)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if bad:
        fail(f"{bad} bad input line(s) skipped", EXIT_FAILURE)


@nlp_app.command("generate-data")
def generate_data(
    out: Path = typer.Option(
        Path("data/nlp"), "--out", "-o", help="Folder for the JSON-lines splits and the data card."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (default: the training seed)."),
) -> None:
    """Write the generated train/val/test splits (and the held-out cases) as JSON lines."""
    from prokai.nlp.datagen import DEFAULT_SEED, build_datasets, data_card, heldout, write_jsonl

    seed = DEFAULT_SEED if seed is None else seed
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"{out}: cannot create: {exc.strerror}", EXIT_USAGE)
    datasets = build_datasets(seed)
    for task, ds in datasets.items():
        for split, items in (
            ("train", ds.train),
            ("val", ds.val),
            ("test", ds.test),
            ("heldout", heldout(task)),
        ):
            n = write_jsonl(out / f"{task}_{split}.jsonl", items)
            typer.echo(f"{out / f'{task}_{split}.jsonl'}: {n} examples")
    (out / "DATA_CARD.md").write_text(data_card(datasets, seed), encoding="utf-8")
    typer.echo(f"{out / 'DATA_CARD.md'}")


@nlp_app.command("calibrate")
def calibrate_cmd(
    ctx: typer.Context,
    model_dir: Path | None = typer.Option(None, "--model-dir", help="Model folder (default: nlp.model_dir)."),
) -> None:
    """Fit the shop score's temperature on the development split; write shop/calibration.json."""
    from prokai.nlp.calibrate import calibrate_shop_model
    from prokai.nlp.infer import ModelNotFoundError

    folder = _model_dir(ctx, model_dir)
    try:
        rec = calibrate_shop_model(folder)
    except ModelNotFoundError as exc:
        fail(str(exc), EXIT_USAGE)
    typer.echo(
        f"{folder / 'shop'}: temperature {rec['temperature']} on {rec['examples']} dev texts"
        f" (NLL {rec['nll_before']:.4f} -> {rec['nll_after']:.4f})"
    )


@nlp_app.command("corpus")
def corpus_cmd(
    out: Path = typer.Option(Path("data/pretrain/corpus.txt"), "--out", "-o", help="Corpus file to write."),
    cache: Path = typer.Option(
        Path("data/pretrain"), "--cache", help="Where the downloaded and unpacked .deb files are kept."
    ),
    card: Path = typer.Option(
        Path("models/PRETRAIN_DATA_CARD.md"), "--card", help="Data card to write (sources, lines, licences)."
    ),
) -> None:
    """Build the unlabeled pre-training corpus from Debian packages (apt-get download, no install)."""
    import subprocess

    from prokai.nlp.corpus import build_corpus, corpus_card, write_corpus

    try:
        lines, counts = build_corpus(cache)
    except (subprocess.CalledProcessError, RuntimeError, OSError) as exc:
        fail(f"cannot build the corpus: {exc}", EXIT_USAGE)
    write_corpus(lines, counts, out)
    card.parent.mkdir(parents=True, exist_ok=True)
    card.write_text("# Data card: pre-training corpus\n\n" + corpus_card(counts, out), encoding="utf-8")
    for package, n in counts.items():
        typer.echo(f"{package}: {n} lines", err=True)
    typer.echo(f"{out}: {len(lines)} lines")


@nlp_app.command("train")
def train_cmd(
    ctx: typer.Context,
    out: Path | None = typer.Option(None, "--out", "-o", help="Output folder (default: nlp.model_dir)."),
    epochs: int = typer.Option(4, "--epochs", min=1, help="Training epochs per task (the dev-best one is kept)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (default: fixed project seed)."),
    threads: int = typer.Option(2, "--threads", min=1, help="Torch CPU threads."),
    tiny: bool = typer.Option(False, "--tiny", help="Smoke run: a few hundred examples, a tiny encoder."),
    task: list[str] = typer.Option(
        ["shop", "intent"], "--task", help="Task(s) to train: shop, intent (repeatable)."
    ),
    pretrain_epochs: int = typer.Option(
        0, "--pretrain-epochs", min=0, help="Masked-LM pre-training epochs (0: train from scratch)."
    ),
    pretrain_corpus: Path | None = typer.Option(
        None, "--pretrain-corpus", help="Unlabeled text for pre-training (from `prokai nlp corpus`)."
    ),
    pretrain_task: list[str] = typer.Option(
        ["intent"], "--pretrain-task", help="Task(s) whose encoder starts from the pre-trained one."
    ),
) -> None:
    """Generate the data and train the tokenizer and both classifiers from scratch on CPU."""
    from prokai.nlp.datagen import DEFAULT_SEED, DataSizes
    from prokai.nlp.modeling import EncoderSize
    from prokai.nlp.train import TrainConfig, train

    unknown = [t for t in task if t not in ("shop", "intent")]
    if unknown or not task:
        fail(f"--task must be shop or intent, got {', '.join(unknown) or 'nothing'}", EXIT_USAGE)
    cfg = TrainConfig(
        seed=DEFAULT_SEED if seed is None else seed,
        epochs=epochs,
        threads=threads,
        tasks=tuple(dict.fromkeys(task)),
    )
    cfg.pretrain_epochs = pretrain_epochs
    cfg.pretrain_tasks = tuple(dict.fromkeys(pretrain_task))
    if pretrain_corpus is not None:
        if not pretrain_corpus.is_file():
            fail(f"{pretrain_corpus}: no such file (write it with `prokai nlp corpus -o FILE`)", EXIT_USAGE)
        cfg.pretrain_corpus = str(pretrain_corpus)
    if tiny:
        cfg.data = DataSizes(
            shop_train=300,
            shop_eval=60,
            intent_train_per_label=20,
            intent_eval_per_label=4,
            handwritten_repeat=1,
            handwritten_variants=0,
        )
        cfg.size = EncoderSize(vocab_size=1000, hidden=32, layers=1, heads=2, intermediate=64)
        cfg.pretrain_epochs = 1
    target = out if out is not None else Path(settings(ctx).nlp.model_dir)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"{target}: cannot create: {exc.strerror}", EXIT_USAGE)
    report = train(cfg, target, progress=lambda msg: typer.echo(msg, err=True))
    typer.echo(f"trained {', '.join(cfg.tasks)} into {target} in {report['seconds']:.0f}s")


@nlp_app.command("evaluate")
def evaluate_cmd(
    ctx: typer.Context,
    model_dir: Path | None = typer.Option(None, "--model-dir", help="Model folder (default: nlp.model_dir)."),
    card: Path | None = typer.Option(
        None, "--card", help="Model card to write (default: MODEL_CARD.md in the model folder)."
    ),
    metrics: Path | None = typer.Option(
        None, "--metrics", help="Metrics JSON to write (default: metrics.json in the model folder)."
    ),
    latency: bool = typer.Option(
        True,
        "--latency/--no-latency",
        help="Measure latency (not reproducible, kept out of the figures compared in tests).",
    ),
) -> None:
    """Evaluate the models and both baselines on the fixed test split and the held-out cases."""
    from prokai.nlp.evaluate import evaluate
    from prokai.nlp.infer import ModelNotFoundError

    folder = _model_dir(ctx, model_dir)
    try:
        result = evaluate(
            folder, card or folder / "MODEL_CARD.md", metrics or folder / "metrics.json", latency
        )
    except ModelNotFoundError as exc:
        fail(str(exc))
    typer.echo(result.summary())


def register(app: typer.Typer) -> None:
    """Add `classify` and the `nlp` group to the root app."""
    app.command("classify")(classify)
    app.add_typer(nlp_app, name="nlp")
