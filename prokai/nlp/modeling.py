"""Tokenizer and model architecture: a compact BERT-like encoder trained from scratch.

The tokenizer is a WordPiece model trained with the `tokenizers` package on the project's own data.
Its normalizer folds case, `ё`, Latin look-alike letters (`a e o p c x y k m i`) into Cyrillic and
drops emoji variation selectors, so obfuscated spellings (`мeф` with a Latin `e`) tokenize like
the plain ones. It also folds scripts: Kazakh and Russian are typed in Cyrillic, in Latin
(the official Kazakh Latin alphabets of 2018-2021 or informal transliteration) and with Kazakh
letters replaced by Russian ones, so all of these become one reduced Cyrillic spelling
(`Qai qalada alasyn?` and `Қай қалада аласың?` both read `каи калада аласун?`). It lives
inside `tokenizer.json`, so `AutoTokenizer.from_pretrained(dir)` applies it too. Heavy imports
stay inside the functions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tokenizers import Tokenizer

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
MAX_LENGTH = 128

# Latin letters that look like Cyrillic ones (after lowercasing), folded to the Cyrillic letter.
LOOKALIKES: dict[str, str] = {
    "a": "а",
    "e": "е",
    "o": "о",
    "p": "р",
    "c": "с",
    "x": "х",
    "y": "у",
    "k": "к",
    "m": "м",
    "i": "і",
    "ё": "е",
    "\ufe0f": "",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
}


@dataclass(frozen=True)
class EncoderSize:
    """Hyper-parameters of the encoder."""

    vocab_size: int = 8000
    hidden: int = 128
    layers: int = 2
    heads: int = 4
    intermediate: int = 512
    max_positions: int = MAX_LENGTH + 2
    # "bert": BERT with the [CLS] pooler; "modernbert": ModernBERT layers (RoPE, GeGLU) with mean
    # pooling over the tokens. Both load with AutoModelForSequenceClassification.
    arch: str = "bert"


# Script folding (the tokenizer's normalizer only; `normalize` and the baselines keep the script).
# Order: Latin digraphs (before the look-alikes fold their letters), the look-alikes, the other
# Latin letters, then Kazakh and rarer Russian letters to a reduced Cyrillic.
# Latin `y` is already `у` (a look-alike), so `ы` folds to `у` too: Kazakh Latin `alasyn` and
# Cyrillic `аласың` meet; `p` stays the look-alike `р`, as obfuscated Russian uses it.
LATIN_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("sh", "ш"),
    ("ch", "ч"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ya", "я"),
    ("yu", "ю"),
)
LATIN_LETTERS: dict[str, str] = {
    "ş": "ш", "ç": "ч", "ğ": "г", "ǵ": "г", "ñ": "н", "ń": "н", "ä": "а", "á": "а",
    "ö": "о", "ó": "о", "ü": "у", "ú": "у", "ū": "у", "ı": "и", "ý": "у", "q": "к",
    "w": "у", "j": "ж", "z": "з", "n": "н", "s": "с", "h": "х", "t": "т", "d": "д",
    "l": "л", "r": "р", "b": "б", "v": "в", "g": "г", "f": "ф", "u": "у",
}  # fmt: skip
CYRILLIC_FOLD: dict[str, str] = {
    "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х",
    "і": "и", "ы": "у", "й": "и", "щ": "ш", "э": "е", "ъ": "", "ь": "",
}  # fmt: skip


def _normalizer(fold_scripts: bool) -> Any:
    from tokenizers import normalizers

    steps: list[Any] = [normalizers.NFKC(), normalizers.Lowercase()]
    pairs = list(LATIN_DIGRAPHS) if fold_scripts else []
    pairs += LOOKALIKES.items()
    if fold_scripts:
        pairs += [*LATIN_LETTERS.items(), *CYRILLIC_FOLD.items()]
    steps += [normalizers.Replace(src, dst) for src, dst in pairs]
    return normalizers.Sequence(steps)


def _pre_tokenizer() -> Any:
    from tokenizers import Regex, pre_tokenizers

    return pre_tokenizers.Sequence(
        [
            pre_tokenizers.WhitespaceSplit(),
            # Every character that is neither a word character nor space stands alone:
            # punctuation, currency signs and emoji.
            pre_tokenizers.Split(Regex(r"[^\w\s]"), behavior="isolated"),
            pre_tokenizers.Digits(individual_digits=True),
        ]
    )


@functools.cache
def _shared_normalizer() -> Any:
    return _normalizer(fold_scripts=False)


def normalize(text: str) -> str:
    """The tokenizer's normalization without script folding (case, `ё`, look-alikes), for code
    that matches keywords and for the baselines."""
    result: str = _shared_normalizer().normalize_str(text)
    return result


def train_tokenizer(texts: Iterable[str], vocab_size: int, fold_scripts: bool = True) -> Tokenizer:
    """A WordPiece tokenizer trained on `texts` (deterministic for the same input order); its
    normalizer folds scripts unless `fold_scripts` is false."""
    from tokenizers import Tokenizer, decoders, models, processors, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=40))
    tok.normalizer = _normalizer(fold_scripts)
    tok.pre_tokenizer = _pre_tokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    cls_id = tok.token_to_id("[CLS]")
    sep_id = tok.token_to_id("[SEP]")
    if cls_id is None or sep_id is None:  # pragma: no cover - the trainer always adds them
        raise RuntimeError("tokenizer training lost the special tokens")
    tok.post_processor = processors.BertProcessing(("[SEP]", sep_id), ("[CLS]", cls_id))
    tok.decoder = decoders.WordPiece()
    return tok


def wrap_tokenizer(tok: Tokenizer) -> Any:
    """The `tokenizers` object wrapped for transformers (saved with `save_pretrained`)."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=MAX_LENGTH,
    )


def build_model(size: EncoderSize, vocab_size: int, labels: tuple[str, ...], seed: int) -> Any:
    """A freshly initialised sequence classifier (`size.arch`) with `labels` as classes."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    # What both architectures share: the encoder's size and the label mapping.
    common: dict[str, Any] = {
        "vocab_size": vocab_size,
        "hidden_size": size.hidden,
        "num_hidden_layers": size.layers,
        "num_attention_heads": size.heads,
        "intermediate_size": size.intermediate,
        "max_position_embeddings": size.max_positions,
        "pad_token_id": 0,
        "num_labels": len(labels),
        "id2label": dict(enumerate(labels)),
        "label2id": {label: i for i, label in enumerate(labels)},
    }
    if size.arch == "modernbert":
        from transformers import ModernBertConfig, ModernBertForSequenceClassification

        mconfig = ModernBertConfig(  # type: ignore[call-arg]
            **common,
            global_attn_every_n_layers=1,
            classifier_pooling="mean",
            embedding_dropout=0.1,
            mlp_dropout=0.1,
            attention_dropout=0.1,
            cls_token_id=2,
            sep_token_id=3,
            bos_token_id=2,
            eos_token_id=3,
        )
        torch.manual_seed(seed)
        return ModernBertForSequenceClassification(mconfig)
    if size.arch != "bert":
        raise ValueError(f"unknown encoder architecture {size.arch!r} (bert or modernbert)")

    config = BertConfig(**common, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
    torch.manual_seed(seed)
    return BertForSequenceClassification(config)
