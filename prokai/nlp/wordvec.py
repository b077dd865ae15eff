"""Pretrained Russian word vectors (navec, shipped inside the `natasha` PyPI package) for the encoder.

No Russian or Kazakh transformer encoder can be installed from a package, but `natasha` ships
`navec_news_v1_1B_250K_300d_100q.tar`: 250,000 Russian word forms embedded in 300 dimensions,
trained on a billion words of news. Training uses them in two steps:

1. `expansion_words`: the navec words nearest (cosine) to the words of the training texts are
   added to the WordPiece vocabulary as whole words, so a synonym or inflection that never
   occurs in the training data still gets its own token instead of being cut into pieces.
2. `init_embeddings`: every vocabulary entry that is a navec word starts from its vector
   (projected to the encoder's width with PCA) and stays frozen in training; the rest (word
   pieces, Kazakh words, emoji) are learned as before. Frozen rows keep unseen words where the
   news corpus put them, next to the training words the classifier did learn about.

The vectors end up inside `model.safetensors`; nothing here is needed at inference time.
The package is only found on disk (`importlib.util.find_spec`), never imported.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from tokenizers import Tokenizer

NAVEC_FILE = "data/emb/navec_news_v1_1B_250K_300d_100q.tar"
_WORD = re.compile(r"^[а-я]{2,24}$")


class WordVectorsMissing(RuntimeError):
    """The `natasha` package (which carries the navec file) is not installed."""


def navec_path() -> Path:
    """Where the installed `natasha` package keeps the navec news vectors."""
    spec = importlib.util.find_spec("natasha")
    if spec is None or not spec.submodule_search_locations:
        raise WordVectorsMissing(
            "word vectors need the 'natasha' package (pip install -e '.[train]'), or train with --no-word-vectors"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / NAVEC_FILE
    if not path.is_file():
        raise WordVectorsMissing(f"{path}: navec vectors not found in the natasha package")
    return path


class WordVectors:
    """navec vectors of the plain Cyrillic word forms (`ё` folded to `е`), unit-normalised."""

    def __init__(self, path: Path | None = None) -> None:
        import numpy as np
        from navec import Navec

        navec = Navec.load(str(path or navec_path()))
        full = navec.pq.unpack().astype(np.float32)
        index: dict[str, int] = {}
        for i, word in enumerate(navec.vocab.words):
            folded = word.replace("ё", "е")
            if _WORD.match(folded) and folded not in index:
                index[folded] = i
        self.words: list[str] = sorted(index)
        self.matrix: np.ndarray = full[[index[w] for w in self.words]]
        norms = np.linalg.norm(self.matrix, axis=1, keepdims=True)
        self.unit: np.ndarray = self.matrix / np.maximum(norms, 1e-6)
        self.row: dict[str, int] = {w: i for i, w in enumerate(self.words)}

    def expansion_words(self, corpus_words: Iterable[str], limit: int) -> list[str]:
        """Up to `limit` navec words nearest to `corpus_words` that the corpus does not contain."""
        import numpy as np

        seen = set(corpus_words)
        seeds = sorted(w for w in seen if w in self.row)
        if not seeds or limit <= 0:
            return []
        seed_unit = self.unit[[self.row[w] for w in seeds]]
        best = np.full(len(self.words), -1.0, dtype=np.float32)
        for start in range(0, len(self.words), 8192):
            sims = self.unit[start : start + 8192] @ seed_unit.T
            best[start : start + 8192] = sims.max(axis=1)
        order = sorted(range(len(self.words)), key=lambda i: (-float(best[i]), self.words[i]))
        return [self.words[i] for i in order if self.words[i] not in seen][:limit]

    def init_embeddings(self, embedding: Any, vocab: dict[str, int], seed: int) -> Any:
        """Set the rows of `embedding` (torch Embedding) whose token is a navec word; returns their mask."""
        import numpy as np
        import torch

        hits = sorted((i, self.row[tok]) for tok, i in vocab.items() if tok in self.row)
        mask = torch.zeros(embedding.weight.shape[0], dtype=torch.bool)
        if not hits:
            return mask
        rows = self.matrix[[r for _, r in hits]]
        centred = rows - rows.mean(axis=0)
        # PCA to the encoder's width (deterministic: SVD of the selected vectors).
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        width = embedding.weight.shape[1]
        projected = centred @ vt[:width].T
        # Same spread as the freshly initialised rows, so the layer norm sees one scale.
        target = float(embedding.weight.detach().std())
        projected *= target / max(float(projected.std()), 1e-6)
        with torch.no_grad():
            ids = torch.tensor([i for i, _ in hits])
            embedding.weight[ids] = torch.from_numpy(projected.astype(np.float32))
            mask[ids] = True
        return mask


def corpus_words(texts: Iterable[str]) -> set[str]:
    """The plain Cyrillic words of `texts`, normalised like the tokenizer does."""
    from prokai.nlp.modeling import normalize

    out: set[str] = set()
    for text in texts:
        out.update(w for w in re.findall(r"[а-я]+", normalize(text)) if _WORD.match(w))
    return out


def extend_vocab(tok: Tokenizer, words: Iterable[str]) -> Tokenizer:
    """`tok` with `words` added to its WordPiece vocabulary as whole-word entries."""
    from tokenizers import models

    vocab = dict(tok.get_vocab(with_added_tokens=False))
    for word in words:
        if word not in vocab:
            vocab[word] = len(vocab)
    tok.model = models.WordPiece(vocab=vocab, unk_token="[UNK]", max_input_chars_per_word=40)
    return tok
