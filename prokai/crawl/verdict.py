"""The crawler's verdict on a peer: its screens' text scores combined with what it did.

A text classifier judges lines; a shop is better known by its steps. What a drug shop's
conversation shows and legitimate look-alikes (tea by the 100 g, flowers to a district, pizza by
size) rarely show all at once:

- **gram grid**: a price grid by small weights (at most `GRAM_MAX` g, two or more of them, or one
  with its price) — tea and spice shops sell by the 50–1,000 g;
- **districts**: a step that asks for a district or micro-district, or offers two or more of them;
- **drop step**: a stash / dead-drop step (клад, закладка, тайник, прикоп, a photo of the stash;
  kk and en alike) — what no delivery business asks a buyer to choose;
- **requisite**: a checksum-valid requisite handed out at a payment step (the extractor validates
  every value before it counts).

The rule (`decide`):

1. text score ≥ threshold → shop (as before);
2. else a drop step with any other signal → shop;
3. else a requisite with a gram grid and districts → shop;
4. else not a shop.

While walking a bot, `keep_walking` holds the crawler on a peer whose text scores low but whose
steps already look like a shop's (a drop step, or a gram grid with districts), so it reaches the
payment step instead of leaving at the third screen. Delivery services with districts and
prices, and shops by weight without drops, need the text to decide: one signal never does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

GRAM_MAX = 5.0  # grams: the size of street doses; tea and spices are sold by the 50 g and up

_GRAMS = re.compile(
    r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,2})?)\s?(?:г|гр|грамм\w*|g|gr|gram\w*|гм)(?![a-zа-яёәғқңөұүһі])",
    re.IGNORECASE,
)
_PRICE = re.compile(r"\d[\d\s.,]{2,}\s?(?:₸|тг|тенге|руб|₽|\$|usd|usdt)|(?:₸|\$)\s?\d", re.IGNORECASE)
_DISTRICT_WORDS = re.compile(
    r"\bрайон\w*|\bр-н\b|\bмкр\b|микрорайон|\bауданы?\b|аудан\w*|\bшағын\s?аудан|\bdistricts?\b|\bneighbou?rhoods?\b",
    re.IGNORECASE,
)
_DISTRICT_NAME = re.compile(r"(?:ский|ской|цкий|ауданы|district)(?:\s+р-н)?\s*$", re.IGNORECASE)
_DROP = re.compile(
    # Words of the stash itself only: "магнит" (fridge magnets), "координаты" and "геопозиция"
    # (taxis, couriers) and kk "қойма" (a warehouse) are everyday words of the look-alikes.
    r"(?<![а-яё])клад(?:ы|а|ом|у|е|ов|ами|ах)?(?![а-яё])|кладмен\w*|закладк\w*|перезаклад\w*|тайник\w*|прикоп\w*"
    r"|фото\s+клада|көмілген\w*|\bstash(?:es)?\b|dead[\s-]?drops?|\bdrop\s?(?:spot|point|location)s?",
    re.IGNORECASE,
)


@dataclass
class Behaviour:
    """What a peer showed over its conversation, signal by signal, with the line that showed it."""

    evidence: dict[str, str] = field(default_factory=dict)  # signal -> the first text that showed it
    _grams: set[float] = field(default_factory=set)
    _district_labels: set[str] = field(default_factory=set)

    def observe(self, text: str, labels: Iterable[str] = ()) -> None:
        """Take in one screen: its text and its buttons' labels."""
        labels = [label for label in labels if label]
        for line in [text, *labels]:
            if not line:
                continue
            for raw in _GRAMS.findall(line):
                grams = float(raw.replace(",", "."))
                if 0 < grams <= GRAM_MAX:
                    self._grams.add(grams)
                    if len(self._grams) >= 2 or _PRICE.search(line):
                        self._note("gram_grid", line)
            if _DROP.search(line):
                self._note("drop_step", line)
        if text and _DISTRICT_WORDS.search(text):
            self._note("districts", text)
        self._district_labels.update(label for label in labels if _DISTRICT_NAME.search(label.strip()))
        if len(self._district_labels) >= 2:
            self._note("districts", ", ".join(sorted(self._district_labels)[:3]))

    def requisite(self, shown: str) -> None:
        """A checksum-valid requisite was handed out (at a payment step)."""
        self._note("requisite", shown)

    def _note(self, signal: str, line: str) -> None:
        self.evidence.setdefault(signal, line.strip()[:160])

    @property
    def signals(self) -> set[str]:
        """The signals seen so far."""
        return set(self.evidence)


@dataclass(frozen=True)
class Verdict:
    """Shop or not, the score the crawler records, and why."""

    shop: bool
    score: float
    reason: str


def keep_walking(behaviour: Behaviour) -> bool:
    """Whether a bot whose text scores low must still be walked to its payment step."""
    signals = behaviour.signals
    return "drop_step" in signals or {"gram_grid", "districts"} <= signals


def decide(text_score: float, behaviour: Behaviour, threshold: float) -> Verdict:
    """The verdict on a peer (the rule in this module's docstring)."""
    signals = behaviour.signals
    if text_score >= threshold:
        return Verdict(True, text_score, f"shop score {text_score:.2f}")
    by_behaviour = ("drop_step" in signals and len(signals) >= 2) or {"requisite", "gram_grid", "districts"} <= signals
    if by_behaviour:
        named = ", ".join(sorted(signals))
        # Recorded above the threshold so that ranking and review treat it as the shop it is.
        score = max(text_score, min(0.99, threshold + 0.1 * len(signals)))
        return Verdict(True, score, f"shop by its steps ({named}); text score {text_score:.2f}")
    return Verdict(False, text_score, f"shop score {text_score:.2f}")


__all__ = ["GRAM_MAX", "Behaviour", "Verdict", "decide", "keep_walking"]
