"""Character n-gram sharing for word-piece embeddings (training only; the saved model is plain).

A from-scratch encoder learns one embedding per word piece, so a piece seen a few times stays
poorly trained, and `закладку` and `закладочку` share nothing. Here, while training, each piece's
embedding is its own free row plus the mean-scaled sum of its character n-grams' vectors (the
fastText idea), so pieces that share n-grams share parameters. Before saving, the composed
matrix is written back as an ordinary embedding matrix: the shipped model is an ordinary
transformers model and needs no custom code.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.nn.utils import parametrize

from prokai.nlp.modeling import SPECIAL_TOKENS


def ngram_matrix(vocab: dict[str, int], rows: int, n_min: int = 2, n_max: int = 5) -> torch.Tensor:
    """A sparse (`rows` x n-grams) matrix: row i spreads piece i over its character n-grams.

    A word-initial piece is read with `<` in front (`<закл`), a continuation piece (`##ад`)
    without, so prefixes and inner n-grams stay apart. Each row also holds a feature of its own
    (the whole piece) and is scaled by 1/sqrt(number of features). Special tokens get no row.
    """
    grams: dict[str, int] = {}
    index: list[list[int]] = [[], []]
    values: list[float] = []
    for piece, i in sorted(vocab.items(), key=lambda kv: kv[1]):
        if piece in SPECIAL_TOKENS:
            continue
        s = piece[2:] if piece.startswith("##") else "<" + piece
        feats = {s[k : k + n] for n in range(n_min, n_max + 1) for k in range(len(s) - n + 1)}
        feats.add("=" + piece)
        for f in sorted(feats):
            index[0].append(i)
            index[1].append(grams.setdefault(f, len(grams)))
            values.append(1.0 / math.sqrt(len(feats)))
    return torch.sparse_coo_tensor(torch.tensor(index), torch.tensor(values), (rows, len(grams))).coalesce()


class PieceNgrams(torch.nn.Module):
    """Parametrization of an embedding matrix: its free rows plus their pieces' n-gram vectors."""

    def __init__(self, matrix: torch.Tensor, dim: int) -> None:
        super().__init__()
        self.matrix = matrix
        self.grams = torch.nn.Parameter(torch.randn(matrix.shape[1], dim) * 0.02)

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        """The composed embedding matrix."""
        return weight + torch.sparse.mm(self.matrix, self.grams)


def attach(model: Any, vocab: dict[str, int]) -> None:
    """Compose `model`'s input embeddings from n-grams of the pieces in `vocab` while it trains."""
    embeddings = model.get_input_embeddings()
    rows, dim = embeddings.weight.shape
    parametrize.register_parametrization(embeddings, "weight", PieceNgrams(ngram_matrix(vocab, rows), dim))


def bake(model: Any) -> None:
    """Write the composed matrix back as the plain embedding weight (before saving)."""
    embeddings = model.get_input_embeddings()
    if parametrize.is_parametrized(embeddings, "weight"):
        parametrize.remove_parametrizations(embeddings, "weight", leave_parametrized=True)
