"""Obfuscation and noise applied to generated text: what shops do to dodge filters, and typos.

Applied with the same probability to every class, so noise itself is never a label cue.
"""

from __future__ import annotations

import random

# Cyrillic letters and the Latin/digit look-alikes shops substitute for them.
_SWAPS: dict[str, tuple[str, ...]] = {
    "а": ("a", "@"),
    "е": ("e", "3"),
    "о": ("o", "0"),
    "р": ("p",),
    "с": ("c",),
    "х": ("x",),
    "у": ("y",),
    "к": ("k",),
    "м": ("m",),
    "т": ("t", "T"),
    "н": ("H",),
    "в": ("B",),
    "з": ("3",),
    "б": ("6",),
}
_TAIL_EMOJI = ("🔥", "✅", "👇", "💯", "⚡️", "🚀", "👌", "❗️", "🤝", "😉", "🙂", "📍", "💸")


def _obfuscate_word(word: str, rng: random.Random) -> str:
    style = rng.random()
    if style < 0.5:
        chars = [rng.choice(_SWAPS[c]) if c in _SWAPS and rng.random() < 0.4 else c for c in word]
        return "".join(chars)
    if style < 0.75:
        sep = rng.choice((".", "*", "-", " ", "_"))
        return sep.join(word)
    if style < 0.9:
        return word.upper()
    return word[: len(word) // 2] + "\u200b" + word[len(word) // 2 :]


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.4:
        return word[:i] + word[i + 1 :]
    if kind < 0.8:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i] + word[i:]


def add_noise(text: str, rng: random.Random, strength: float = 1.0) -> str:
    """`text` with a few random obfuscations, typos, case changes and emoji (deterministic per rng)."""
    words = text.split(" ")
    out = []
    for word in words:
        r = rng.random()
        if r < 0.06 * strength and len(word) >= 3 and word.isalpha():
            word = _obfuscate_word(word, rng)
        elif r < 0.12 * strength and word.isalpha():
            word = _typo(word, rng)
        out.append(word)
    result = " ".join(out)
    r = rng.random()
    if r < 0.1:
        result = result.lower()
    elif r < 0.13:
        result = result.upper()
    if rng.random() < 0.15:
        result = result.replace(".", "").replace(",", "").replace("!", "")
    if rng.random() < 0.2:
        result = f"{result} {rng.choice(_TAIL_EMOJI)}"
    if rng.random() < 0.08:
        result = f"{rng.choice(_TAIL_EMOJI)} {result}"
    return result
