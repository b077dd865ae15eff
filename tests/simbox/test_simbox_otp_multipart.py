"""Login-code extraction (ru/kk/en) and multipart reassembly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simbox.multipart import Piece, Reassembler
from simbox.otp import extract_code, is_from
from simbox.pdu.codec import decode_pdu, encode_deliver_parts


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Telegram code: 12345", "12345"),
        ("Telegram code 98765\n\nYou can also tap on this link to log in:\nhttps://t.me/login/98765", "98765"),
        ("Код подтверждения Telegram: 54321. Никому не сообщайте этот код.", "54321"),
        ("Ваш код для входа в Telegram: 11223", "11223"),
        ("Telegram кодыңыз: 44556. Бұл кодты ешкімге бермеңіз.", "44556"),
        ("Растау коды: 778899", "778899"),
        ("Your login code: 67890 Do not give this code to anyone", "67890"),
        ("12345 is your Telegram code", "12345"),
        ("WhatsApp code 123-456", "123456"),
        ("Kod: 44556", "44556"),
        ("Оплата 5000 тг, баланс 12000", None),
        ("Позвоните +77051234567", None),
        ("", None),
    ],
)
def test_extract_code(text: str, code: str | None) -> None:
    assert extract_code(text) == code


def test_is_from() -> None:
    assert is_from("Telegram", "Code: 1")
    assert is_from("+42", "Telegram code 1")
    assert not is_from("Kaspi", "Код: 1234")


def _parts(text: str, ref: int = 5) -> list[Piece]:
    return [Piece(decode_pdu(p), ("SM", i + 1)) for i, p in enumerate(encode_deliver_parts("Telegram", text, ref=ref))]


def test_out_of_order_with_duplicates() -> None:
    text = "Код подтверждения Telegram: 12345. " * 5  # UCS2, three parts
    parts = _parts(text)
    assert len(parts) == 3
    r = Reassembler()
    assert r.add("sim", parts[2]) is None
    assert r.add("sim", parts[0]) is None
    assert r.add("sim", parts[2]) is None  # duplicate
    whole = r.add("sim", parts[1])
    assert whole is not None and whole.complete and whole.text == text
    assert sorted(whole.locations) == [("SM", 1), ("SM", 2), ("SM", 3), ("SM", 3)]  # the copy gets deleted too
    assert len(r) == 0


def test_same_reference_on_two_sims_or_senders_is_kept_apart() -> None:
    a, b = _parts("a" * 200, ref=9), _parts("b" * 200, ref=9)
    r = Reassembler()
    r.add("sim1", a[0])
    r.add("sim2", b[1])
    r.add("sim2", b[0])  # completes sim2's set only
    assert len(r) == 1


def test_incomplete_sets_are_released_after_the_timeout() -> None:
    now = [0.0]
    r = Reassembler(timeout=10, clock=lambda: now[0])
    parts = _parts("x" * 400)
    r.add("sim", parts[0])
    assert r.expire() == []
    now[0] = 11
    (partial,) = r.expire()
    assert not partial.complete and partial.missing == [2, 3] and partial.text == parts[0].sms.text


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_order_with_duplicates_gives_one_whole_message(data: st.DataObject) -> None:
    text = data.draw(st.text(alphabet="abcя€ ", min_size=161, max_size=700))
    parts = _parts(text, ref=data.draw(st.integers(0, 255)))
    order = data.draw(st.permutations(parts))
    extra = data.draw(st.lists(st.sampled_from(parts), max_size=4))
    r = Reassembler()
    done = [w for p in [*order, *extra] if (w := r.add("sim", p)) is not None]
    whole = [w for w in done if w.duplicate_of is None]
    assert len(whole) == 1 and whole[0].text == text and whole[0].complete
    pdus = tuple(p.sms.pdu for p in whole[0].pieces)
    assert all(w.duplicate_of == pdus for w in done if w.duplicate_of is not None)
    assert len(r) == 0  # no set left half-open by the late copies
