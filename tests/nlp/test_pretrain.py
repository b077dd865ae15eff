"""Masked-LM pre-training helpers: length batches and the sparse masked-LM loss."""

from __future__ import annotations

import random

import pytest


def test_length_batches_keep_every_text_once_in_batches_of_similar_length() -> None:
    from prokai.nlp.train import _length_batches

    texts = [("слово " * random.Random(i).randint(1, 40)).strip() + str(i) for i in range(1000)]
    batches = _length_batches(texts, 16, random.Random(1), window=10)
    assert sorted(t for b in batches for t in b) == sorted(texts)
    assert all(len(b) <= 16 for b in batches) and sum(len(b) < 16 for b in batches) <= 7
    # Within a batch the lengths are close: far less spread than in a random batch.
    spread = sum(max(map(len, b)) - min(map(len, b)) for b in batches) / len(batches)
    assert spread < 0.25 * (max(map(len, texts)) - min(map(len, texts)))


@pytest.mark.parametrize("arch", ["bert", "modernbert"])
def test_sparse_masked_lm_loss_equals_the_models_own_loss(arch: str) -> None:
    import torch
    from transformers import AutoModelForMaskedLM

    from prokai.nlp.modeling import EncoderSize, build_model
    from prokai.nlp.train import _masked_lm_loss

    size = EncoderSize(vocab_size=200, hidden=32, layers=1, heads=2, intermediate=64, arch=arch)
    model = AutoModelForMaskedLM.from_config(build_model(size, 200, ("a", "b"), 1).config)
    model.eval()
    gen = torch.Generator().manual_seed(3)
    ids = torch.randint(5, 200, (4, 12), generator=gen)
    mask = torch.ones_like(ids)
    mask[1, 8:] = 0
    labels = ids.masked_fill(torch.rand(ids.shape, generator=gen) > 0.3, -100)
    labels[1, 8:] = -100
    with torch.no_grad():
        ours = _masked_lm_loss(model, ids, mask, labels)
        theirs = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    assert ours is not None and torch.allclose(ours, theirs, atol=1e-5)
    assert _masked_lm_loss(model, ids, mask, torch.full_like(ids, -100)) is None
