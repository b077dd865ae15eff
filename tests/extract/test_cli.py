"""`prokai extract [FILE|-]` as the contract in DESIGN.md says, run as a real process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

SHOP_LINES = [
    {"id": "m1", "text": "Здравствуйте! Оплата 25 000 ₸ на Kaspi Gold 4400 4301 2345 6789, у вас 30 минут"},
    {"id": "m2", "text": "Выберите район: Алмалинский / Бостандыкский"},
    {"id": "m3", "text": "Переведите по номеру +7 777 123 45 67 (Kaspi перевод), затем пришлите чек"},
    {"id": "m4", "text": "USDT TRC20: TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW сумма 300 USDT"},
    {"id": "m5", "text": "Оплачено картой 4400 43** **** 6789, спасибо"},
    {"id": "m6", "text": "Реквизиты: KZ86 125K ZT50 0410 0100"},
    {"id": "m7", "text": "BTC bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 0.002 BTC"},
    {"id": "m8", "text": "По вопросам звоните оператору +7 701 234 56 78"},
]
EXPECTED = {
    "m1": [("card", "4400430123456789")], "m2": [], "m3": [("phone", "+77771234567")],
    "m4": [("trx", "TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW")], "m5": [],
    "m6": [("iban", "KZ86125KZT5004100100")], "m7": [("btc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")],
    "m8": [],
}


def run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "prokai", "extract", *args], input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)


def test_shop_messages_file(tmp_path: Path) -> None:
    src = tmp_path / "shop.jsonl"
    src.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in SHOP_LINES) + "\n", encoding="utf-8")
    proc = run([str(src)])
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["id"] for o in out] == [x["id"] for x in SHOP_LINES]
    for o, src_line in zip(out, SHOP_LINES, strict=True):
        got = [(r["kind"], r["value"]) for r in o["requisites"]]
        assert got == EXPECTED[o["id"]], o
        for r in o["requisites"]:
            assert {"kind", "value", "start", "end"} <= set(r)
            span = src_line["text"][r["start"] : r["end"]]
            if r["kind"] == "phone":
                assert re.sub(r"\D", "", span)[-10:] == r["value"][-10:]
            else:
                assert span.replace(" ", "") == r["value"]


def test_plain_text_lines_from_stdin_get_line_numbers() -> None:
    proc = run(["-"], stdin="привет\nкарта 5555 5555 5555 4444\n")
    assert proc.returncode == 0
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["id"] for o in out] == [1, 2]
    assert out[1]["requisites"][0]["value"] == "5555555555554444"
    assert out[1]["requisites"][0]["start"] == 6


def test_bad_lines_reported_with_line_number_rest_processed() -> None:
    stdin = "\n".join([
        json.dumps({"id": 1, "text": "карта 4242 4242 4242 4242"}),
        "{not json",
        json.dumps({"id": 3}),
        json.dumps({"id": 4, "text": "TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW"}),
    ]) + "\n"
    proc = run(["-"], stdin=stdin)
    assert proc.returncode == 1
    assert [json.loads(x)["id"] for x in proc.stdout.splitlines()] == [1, 4]
    errors = proc.stderr.strip().splitlines()
    assert errors[0].startswith("error: line 2:")
    assert errors[1].startswith("error: line 3:")
    assert errors[-1] == "error: 2 bad input line(s)"


def test_invalid_utf8_line_is_reported(tmp_path: Path) -> None:
    src = tmp_path / "bad.txt"
    src.write_bytes(b"ok line\n\xff\xfe broken\nkarta 4242424242424242\n")
    proc = run([str(src)])
    assert proc.returncode == 1
    assert "line 2: not UTF-8" in proc.stderr
    assert len(proc.stdout.splitlines()) == 2


def test_missing_file_and_help() -> None:
    proc = run(["/nonexistent/file.jsonl"])
    assert proc.returncode == 2 and proc.stderr.strip() == "error: no such file: /nonexistent/file.jsonl"
    helped = run(["--help"])
    assert helped.returncode == 0 and "requisites" in helped.stdout


def test_streaming_output_before_input_ends() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "prokai", "extract", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps({"id": "a", "text": "карта 4242 4242 4242 4242"}) + "\n")
    proc.stdin.flush()
    first = proc.stdout.readline()  # answered while stdin is still open
    assert json.loads(first)["id"] == "a"
    proc.stdin.close()
    assert proc.wait(timeout=60) == 0


def test_bad_image_lines_are_reported(tmp_path: Path) -> None:
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a png at all")
    stdin = "\n".join([
        json.dumps({"id": "a", "image": str(tmp_path / "missing.png")}),
        json.dumps({"id": "b", "image": str(junk)}),
        json.dumps({"id": "c", "text": "карта 4242 4242 4242 4242"}),
    ]) + "\n"
    proc = run(["-"], stdin=stdin)
    assert proc.returncode == 1
    assert [json.loads(x)["id"] for x in proc.stdout.splitlines()] == ["c"]
    assert "line 1: cannot read image" in proc.stderr and "line 2: cannot read image" in proc.stderr


def test_over_long_line_is_one_error_and_the_rest_go_on(tmp_path: Path) -> None:
    src = tmp_path / "big.jsonl"
    long_text = "Оплата на карту 4400 4301 2345 6789. " * 30_000  # ~1 MB, one line
    lines = [json.dumps({"id": "a", "text": "карта 5555 5555 5555 4444"}),
             json.dumps({"id": "big", "text": long_text}, ensure_ascii=False),
             json.dumps({"id": "b", "text": "Kaspi перевод по номеру 8 701 234 56 78"})]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run([str(src), "--max-line-bytes", "100000"])
    assert proc.returncode == 1
    assert [json.loads(x)["id"] for x in proc.stdout.splitlines()] == ["a", "b"]
    errors = proc.stderr.strip().splitlines()
    assert errors[0] == "error: line 2: longer than 100000 bytes (--max-line-bytes); skipped"
    assert len(errors) == 2  # and the summary line


def test_long_line_is_read_whole_in_windows(tmp_path: Path) -> None:
    src = tmp_path / "long.txt"
    src.write_text("Оплата на карту 4400 4301 2345 6789. " * 4_000 + "\n", encoding="utf-8")
    proc = run([str(src)])
    assert proc.returncode == 0, proc.stderr
    [out] = [json.loads(x) for x in proc.stdout.splitlines()]
    assert len(out["requisites"]) == 4_000
    assert {r["value"] for r in out["requisites"]} == {"4400430123456789"}
    starts = [r["start"] for r in out["requisites"]]
    assert starts == sorted(set(starts)) and starts[1] - starts[0] == 37
