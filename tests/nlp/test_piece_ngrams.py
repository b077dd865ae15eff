"""Word-piece embeddings composed from character n-grams while training, plain once saved."""

from __future__ import annotations

import torch
from transformers import AutoModelForSequenceClassification

from prokai.nlp import piece_ngrams
from prokai.nlp.modeling import SPECIAL_TOKENS, EncoderSize, build_model

VOCAB = {tok: i for i, tok in enumerate([*SPECIAL_TOKENS, "закладка", "закладку", "##ку", "ку", "город"])}


def _columns(matrix: torch.Tensor, row: int) -> set[int]:
    rows, cols = matrix.indices()
    return set(cols[rows == row].tolist())


def test_pieces_that_share_ngrams_share_columns_and_specials_get_none() -> None:
    m = piece_ngrams.ngram_matrix(VOCAB, len(VOCAB))
    a, b, city = _columns(m, VOCAB["закладка"]), _columns(m, VOCAB["закладку"]), _columns(m, VOCAB["город"])
    assert len(a & b) >= 10  # <з, <за, ..., закла, кладк: every n-gram but the last letter's
    assert not a & city
    # A continuation piece (##ку) and a word-initial one (ку) are not the same features.
    assert _columns(m, VOCAB["##ку"]) != _columns(m, VOCAB["ку"])
    assert all(not _columns(m, VOCAB[t]) for t in SPECIAL_TOKENS)
    for row in (VOCAB["закладка"], VOCAB["город"]):  # each row has unit norm
        assert abs(float(m.to_dense()[row].norm()) - 1.0) < 1e-5


def test_baked_model_saves_as_an_ordinary_model_with_the_same_outputs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = build_model(EncoderSize(hidden=32, layers=1, heads=2, intermediate=64), len(VOCAB), ("a", "b"), 1)
    piece_ngrams.attach(model, VOCAB)
    with torch.no_grad():  # as if trained: the n-gram vectors are no longer small
        model.get_input_embeddings().parametrizations.weight[0].grams.normal_()
    model.eval()
    ids = torch.tensor([[2, 5, 6, 9, 3]])
    before = model(input_ids=ids).logits
    piece_ngrams.bake(model)
    assert not any("parametrizations" in key for key in model.state_dict())
    model.save_pretrained(tmp_path)
    loaded = AutoModelForSequenceClassification.from_pretrained(tmp_path).eval()
    assert torch.allclose(loaded(input_ids=ids).logits, before, atol=1e-5)
