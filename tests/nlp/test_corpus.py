"""The pre-training corpus readers, on package layouts built here the way the .deb files lay them out."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

from prokai.nlp.corpus import READERS, _clean


def test_clean_drops_placeholders_markup_and_latin_lines() -> None:
    assert _clean("Открыть  %1$s  в <b>новом</b> окне") == "Открыть в новом окне"
    assert _clean("--enable-foo=bar") is None
    assert _clean("ОК") is None  # too short to teach anything


def test_fortunes_split_on_percent_lines_without_author(tmp_path: Path) -> None:
    d = tmp_path / "usr/share/games/fortunes/ru"
    d.mkdir(parents=True)
    (d / "life").write_text("Первая мысль\nдлинная.\n\t\t-- Автор\n%\nВторая мысль.\n", encoding="utf-8")
    (d / "life.dat").write_bytes(b"\x00\x01")
    assert list(READERS["fortunes"](tmp_path)) == ["Первая мысль длинная.", "Вторая мысль."]


def test_manpages_keep_text_and_drop_roff_requests(tmp_path: Path) -> None:
    d = tmp_path / "usr/share/man/ru/man1"
    d.mkdir(parents=True)
    (d / "ls.1.gz").write_bytes(gzip.compress(".TH LS 1\n.SH ОПИСАНИЕ\nВыводит \\fBсписок\\fR файлов\nкаталога.\n".encode()))
    assert [_clean(x) for x in READERS["manpages"](tmp_path)] == ["Выводит список файлов каталога."]


def test_langpack_reads_fluent_properties_and_dtd(tmp_path: Path) -> None:
    xpi = tmp_path / "usr/lib/ext/langpack-kk.xpi"
    xpi.parent.mkdir(parents=True)
    with zipfile.ZipFile(xpi, "w") as zf:
        zf.writestr("a.ftl", "# comment\nmenu-open = Ашу\n    .accesskey = А\n")
        zf.writestr("b.properties", "save=Сақтау\n")
        zf.writestr("c.dtd", '<!ENTITY close.label "Жабу">\n')
        zf.writestr("d.png", b"\x89PNG")
    assert sorted(x.strip() for x in READERS["langpack"](tmp_path)) == ["Ашу", "Жабу", "Сақтау"]
