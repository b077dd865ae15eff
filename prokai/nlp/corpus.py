"""Unlabeled Russian and Kazakh text for masked-LM pre-training, from Debian packages.

No model hub is reachable, so the encoder cannot start from a published checkpoint. What Debian
ships is ordinary, licensed, reproducible text: Russian fortunes, Russian man pages, the Russian
Debian FAQ, the Russian and Kazakh translations of LibreOffice, Firefox ESR and Thunderbird, and
the Kazakh hunspell word list. `build_corpus` downloads the `.deb` files with `apt-get download`
(no installation, no root needed beyond what apt allows), unpacks them with `dpkg-deb -x` and
turns each into plain lines. `prokai nlp corpus` writes the result; `prokai nlp train
--pretrain-corpus FILE` pre-trains on it.

Held-out texts never enter the corpus: the caller drops every line whose `text_key` equals a
held-out case (see `train.py`), so the pre-training data cannot leak an evaluation text.
"""

from __future__ import annotations

import gettext
import gzip
import html.parser
import json
import random
import re
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SOURCES", "Source", "build_corpus", "corpus_card"]


@dataclass(frozen=True)
class Source:
    """One Debian package and how to read text out of it."""

    package: str
    lang: str
    licence: str
    reader: str  # a key of READERS


SOURCES: tuple[Source, ...] = (
    Source("fortunes-ru", "ru", "GPL-2", "fortunes"),
    Source("manpages-ru", "ru", "GPL-3+ (translations; the man pages' own free licences)", "manpages"),
    Source("debian-faq-ru", "ru", "verbatim/modified copying permitted (SPI notice)", "html"),
    Source("libreoffice-l10n-ru", "ru", "MPL-2.0", "gettext"),
    Source("libreoffice-l10n-kk", "kk", "MPL-2.0", "gettext"),
    Source("firefox-esr-l10n-ru", "ru", "MPL-2.0", "langpack"),
    Source("firefox-esr-l10n-kk", "kk", "MPL-2.0", "langpack"),
    Source("thunderbird-l10n-ru", "ru", "MPL-2.0", "langpack"),
    Source("thunderbird-l10n-kk", "kk", "MPL-2.0", "langpack"),
    Source("hunspell-kk", "kk", "GPL-2+ or LGPL-2.1+ or MPL-1.1+", "hunspell"),
)

_CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")
_SPACES = re.compile(r"\s+")
_PLACEHOLDER = re.compile(r"\{[^}]*\}|%\d*\$?[sdS@]|&[a-z]+;|<[^>]+>|\$\w+|~\w|\\[nt]")


def _clean(line: str) -> str | None:
    """One corpus line: placeholders and markup dropped, whitespace folded; None if not text."""
    line = _SPACES.sub(" ", _PLACEHOLDER.sub(" ", line)).strip()
    if len(line) < 4 or len(_CYRILLIC.findall(line)) < max(3, len(line) // 4):
        return None  # too short, or mostly Latin/markup (an untranslated string, a command line)
    return line[:300]


def _fortunes(root: Path) -> Iterator[str]:
    for path in sorted(root.glob("usr/share/games/fortunes/ru/*")):
        if path.suffix == ".dat" or path.is_symlink() or not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        for quote in text.split("\n%\n"):
            # A fortune is one or a few lines; the author's "-- Name" line is not text.
            yield " ".join(ln for ln in quote.splitlines() if not ln.strip().startswith("--"))


_ROFF_ESCAPE = re.compile(r"\\f[BIRP]|\\f\(..|\\\(..|\\[-&e|^0 ]|\\\*\(..|\\\*.|\\s[+-]?\d")


def _manpages(root: Path) -> Iterator[str]:
    for path in sorted(root.glob("usr/share/man/ru/**/*.gz")):
        try:
            text = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        except (OSError, EOFError):
            continue
        para: list[str] = []
        for line in text.splitlines():
            if line.startswith((".", "'")):  # a roff request ends the running paragraph
                if para:
                    yield " ".join(para)
                    para = []
                continue
            para.append(_ROFF_ESCAPE.sub("", line))
        if para:
            yield " ".join(para)


class _TextOfHtml(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("p", "li", "dt", "dd", "h1", "h2", "h3", "pre", "td", "br", "div"):
            self.blocks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.blocks.append(data)


def _html(root: Path) -> Iterator[str]:
    for path in sorted(root.glob("usr/share/doc/**/*.html")):
        parser = _TextOfHtml()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        yield from "".join(parser.blocks).split("\n")


def _gettext(root: Path) -> Iterator[str]:
    for path in sorted(root.glob("**/*.mo")):
        with path.open("rb") as fh:
            catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
        for value in catalog.values():
            if isinstance(value, str):
                yield value


def _langpack(root: Path) -> Iterator[str]:
    for xpi in sorted(root.glob("**/*.xpi")):
        with zipfile.ZipFile(xpi) as zf:
            for name in sorted(zf.namelist()):
                if not name.endswith((".ftl", ".properties", ".dtd")):
                    continue
                for line in zf.read(name).decode("utf-8", errors="replace").splitlines():
                    line = line.strip()
                    if not line or line.startswith(("#", "-", "<!--")):
                        continue
                    # Fluent `key = value`, properties `key=value`, DTD `<!ENTITY key "value">`.
                    if line.startswith("<!ENTITY"):
                        m = re.search(r'"([^"]*)"', line)
                        yield m.group(1) if m else ""
                    elif line.startswith("."):  # a Fluent attribute: `.label = …`, `.accesskey = О`
                        name, _, value = line[1:].partition("=")
                        if not re.search(r"key|style|width|height", name):
                            yield value
                    elif "=" in line:
                        yield line.split("=", 1)[1]
                    else:
                        yield line  # a continuation line of a multi-line Fluent value


def _hunspell(root: Path) -> Iterator[str]:
    """The Kazakh word list, as lines of 8 words in a fixed shuffled order (vocabulary, not syntax)."""
    for path in sorted(root.glob("usr/share/hunspell/*.dic")):
        lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()[1:]
        words = [ln.split("/", 1)[0].strip() for ln in lines if ln.strip()]
        random.Random(len(words)).shuffle(words)
        for i in range(0, len(words), 8):
            yield " ".join(words[i : i + 8])


READERS: dict[str, Callable[[Path], Iterator[str]]] = {
    "fortunes": _fortunes,
    "manpages": _manpages,
    "html": _html,
    "gettext": _gettext,
    "langpack": _langpack,
    "hunspell": _hunspell,
}


def _fetch(package: str, cache: Path) -> Path:
    """The unpacked package under `cache` (downloaded with apt-get and unpacked once)."""
    target = cache / "unpacked" / package
    if target.is_dir():
        return target
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{package}_*.deb"))
    if not found:
        subprocess.run(["apt-get", "download", package], cwd=debs, check=True, capture_output=True)
        found = sorted(debs.glob(f"{package}_*.deb"))
    if not found:
        raise RuntimeError(f"apt-get download {package} produced no .deb")
    tmp = target.with_suffix(".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dpkg-deb", "-x", str(found[-1]), str(tmp)], check=True)
    tmp.rename(target)
    return target


def build_corpus(cache: Path, sources: tuple[Source, ...] = SOURCES) -> tuple[list[str], dict[str, int]]:
    """Every distinct clean line of every source, and the line count per package."""
    seen: set[str] = set()
    lines: list[str] = []
    counts: dict[str, int] = {}
    for src in sources:
        root = _fetch(src.package, cache)
        n = 0
        for raw in READERS[src.reader](root):
            line = _clean(raw)
            if line is None or line in seen:
                continue
            seen.add(line)
            lines.append(line)
            n += 1
        counts[src.package] = n
    return lines, counts


def corpus_card(counts: dict[str, int], path: Path) -> str:
    """The data card section: what was used, how much, under which licence."""
    rows = "\n".join(
        f"| `{s.package}` | {s.lang} | {counts.get(s.package, 0):,} | {s.licence} |" for s in SOURCES
    )
    return (
        "## Pre-training corpus (unlabeled)\n\n"
        f"Built by `prokai nlp corpus -o {path}` from Debian bookworm packages (downloaded with "
        "`apt-get download`, unpacked with `dpkg-deb -x`, nothing installed). Lines are deduplicated, "
        "placeholders and markup removed, lines that are mostly not Cyrillic dropped; any line equal "
        "to a held-out text is dropped before pre-training.\n\n"
        "| package | language | lines | licence |\n|---|---|---|---|\n"
        f"{rows}\n\n"
        f"Total: {sum(counts.values()):,} lines. `aspell-kk` ships its word list only in compiled "
        "form, so the Kazakh words come from `hunspell-kk`.\n"
    )


def write_corpus(lines: list[str], counts: dict[str, int], out: Path) -> None:
    """The corpus as text (one line each) and its counts beside it (`<out>.json`)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.with_suffix(out.suffix + ".json").write_text(json.dumps(counts, indent=2) + "\n", encoding="utf-8")
