"""Property-based: random text never crashes the extractor, every emitted value passes its
validator, and every span lies inside the input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prokai.extract import KINDS, extract, extract_window
from prokai.extract.validate import is_valid

PIECES = [
    "4400 4301 2345 6789", "5555555555554444", "+7 777 123 45 67", "Kaspi перевод", "карта",
    "KZ86125KZT5004100100", "TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", "Ef_lZ1T4NCb2mwkme9h2rJfESCE0W34ma9lWp7-_uY3zXDvq",
    "четыре", "ноль", "сорок", "**", "\u200b", "🔥", "25 000 ₸", "заказ №", "O", "l", "-", "\n",
]
texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=25).map("".join),
    st.lists(st.sampled_from("0123456789 -.Oo|*"), max_size=60).map("".join),
)


def _check(text: str) -> None:
    for f in extract(text):
        assert f.kind in KINDS
        assert 0 <= f.start < f.end <= len(text)
        assert 0.0 < f.confidence <= 1.0
        assert is_valid(f.kind, f.value), (f.kind, f.value)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_random_text_never_crashes_and_values_validate(text: str) -> None:
    _check(text)


@settings(max_examples=100, deadline=None)
@given(st.lists(texts, max_size=5))
def test_window_never_crashes(msgs: list[str]) -> None:
    for f in extract_window(msgs):
        assert is_valid(f.kind, f.value)
        for idx, s, e in f.parts or []:
            assert 0 <= s < e <= len(msgs[idx])
