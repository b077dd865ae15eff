"""Input parsing of `prokai classify`: JSON lines, plain lines, and bad lines named by number."""

from __future__ import annotations

from prokai.nlp.classify_io import BadLine, Item, parse_lines


def test_json_and_plain_lines_and_errors_keep_order() -> None:
    lines = [
        '{"id": "a1", "text": "Меф 1г"}\n',
        "просто текст\n",
        "\n",
        '{"id": 5, "text": 3}\n',
        "{broken json\n",
        '["not", "an", "object"]\n',
        '{"text": "без id"}\n',
    ]
    out = list(parse_lines(lines))
    assert out[0] == Item(1, "a1", "Меф 1г")
    assert out[1] == Item(2, 2, "просто текст")
    assert isinstance(out[2], BadLine) and out[2].lineno == 4 and "text" in out[2].reason
    assert isinstance(out[3], BadLine) and out[3].lineno == 5 and "JSON" in out[3].reason
    # A line starting with "[" is plain text, not JSON.
    assert out[4] == Item(6, 6, '["not", "an", "object"]')
    assert out[5] == Item(7, 7, "без id")
