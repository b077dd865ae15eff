"""The committed models load offline (sockets refused) and get clear cases right."""

from __future__ import annotations

import json
import threading

import pytest
from typer.testing import CliRunner

from prokai.cli import app
from prokai.nlp.labels import INTENT_LABELS, SHOP_LABELS

from .conftest import MODELS

CLEAR_SHOPS = [
    "❄️ Snow Shop ❄️ Мефедрон VHQ 1г — 18 000 ₸, клады по всей Алмате. Заказ через бота @snow_kz_bot",
    "Есть шишки и гаш, клад в Медеуском, кидай на каспи 20к и скину координаты",
    "Требуются закладчики в Астане, оплата от 200 000 ₸ в неделю, пиши оператору",
    "Меф бар, 1 грамм 15 000 ₸, клад Бостандық ауданында. Төлем Kaspi",
]
CLEAR_NOT_SHOPS = [
    "В Алматы задержали закладчика, изъято 30 свёртков с мефедроном. Возбуждено уголовное дело",
    "Kaspi: Перевод 5 000 ₸ на карту *1234 выполнен",
    "Доставка пиццы по Астане за 30 минут, оплата картой курьеру",
    "Собрали сосновые шишки на даче для поделок с детьми",
    "Прокуратура есірткі насихаттайтын 40 интернет-ресурсты бұғаттады",
]
CLEAR_INTENTS = [
    ("Решите пример, чтобы продолжить: 7 + 5 = ?", "captcha"),
    ("Выберите город:\nАлматы | Астана | Шымкент", "choose_city"),
    ("Выберите район:\nМедеуский | Ауэзовский | Турксибский", "choose_district"),
    ("Выберите товар:\n❄️ Мефедрон\n🍁 Шишки", "choose_product"),
    ("Выберите фасовку:\n0.5 г | 1 г | 2 г", "choose_amount"),
    ("Выберите способ оплаты:\nKaspi | Halyk | BTC", "choose_payment"),
    ("Оплатите 25 000 ₸ на карту 4400 4301 2345 6789 в течение 30 минут", "payment_details"),
    ("Ожидайте, оператор проверяет оплату", "wait_confirm"),
    ("Вы заблокированы в этом боте", "refusal_ban"),
    ("Откуда вы узнали о нашем магазине?", "question"),
    ("Спасибо за покупку! Ждём вас снова", "other"),
    ("Қаланы таңдаңыз:\nАлматы | Астана", "choose_city"),
    ("Төлем әдісін таңдаңыз:\nKaspi | BTC", "choose_payment"),
]


def test_loads_offline_with_transformers_auto_classes(no_network: None) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    for task, labels in (("shop", SHOP_LABELS), ("intent", INTENT_LABELS)):
        model = AutoModelForSequenceClassification.from_pretrained(MODELS / task, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(MODELS / task, local_files_only=True)
        assert tuple(model.config.id2label[i] for i in range(len(labels))) == labels
        assert tokenizer("Мeф 1г")["input_ids"][0] == tokenizer.cls_token_id



@pytest.mark.parametrize(
    "spellings",
    [
        # Kazakh in Cyrillic, on a Russian keyboard, in the 2021 Latin alphabet, informal Latin.
        ("Қай қалада аласың?", "Кай калада аласын?", "Qaı qalada alasyń?", "qai qalada alasyn?"),
        ("Төлем қалай жасайсың?", "Толем калай жасайсын?", "Tólem qalaı jasaısyń?", "tolem qalai zhasaisyn?"),
        # Obfuscated Russian (Latin look-alikes) and its plain spelling.
        ("Выбeритe paйoн", "Выберите район"),
    ],
)
def test_tokenizer_reads_every_script_the_same(spellings: tuple[str, ...], no_network: None) -> None:
    from transformers import AutoTokenizer

    from prokai.nlp.modeling import normalize

    tokenizer = AutoTokenizer.from_pretrained(MODELS / "intent", local_files_only=True)
    pieces = [tokenizer.tokenize(text) for text in spellings]
    assert all(p == pieces[0] for p in pieces), pieces
    assert "[UNK]" not in pieces[0]
    # The baselines' normalization keeps the script: only the tokenizer folds it.
    assert normalize("Қай қалада") == "қай қалада"

def test_clear_cases_right_with_sockets_blocked(no_network: None) -> None:
    from prokai.nlp.infer import Classifier

    clf = Classifier(MODELS)  # a fresh load, under the blocked network
    scores = clf.shop_scores(CLEAR_SHOPS + CLEAR_NOT_SHOPS)
    assert all(s >= 0.5 for s in scores[: len(CLEAR_SHOPS)]), scores
    assert all(s < 0.5 for s in scores[len(CLEAR_SHOPS) :]), scores
    got = [r.label for r in clf.intents([t for t, _ in CLEAR_INTENTS])]
    assert got == [label for _, label in CLEAR_INTENTS]


def test_results_do_not_depend_on_batching_or_threads(shipped_classifier) -> None:  # type: ignore[no-untyped-def]
    texts = CLEAR_SHOPS + CLEAR_NOT_SHOPS + [t for t, _ in CLEAR_INTENTS]
    alone = [shipped_classifier.shop_scores([t])[0] for t in texts]
    together = shipped_classifier.shop_scores(texts)
    assert together == pytest.approx(alone, abs=1e-4)
    results: dict[int, list[str]] = {}

    def work(k: int) -> None:
        results[k] = [r.label for r in shipped_classifier.intents(texts[k:] + texts[:k])]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = [r.label for r in shipped_classifier.intents(texts)]
    for k, labels in results.items():
        assert labels == expected[k:] + expected[:k]


def test_get_classifier_loads_once() -> None:
    from prokai.nlp import get_classifier

    assert get_classifier(MODELS) is get_classifier(MODELS)


def test_classify_cli_contract(tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"id": "m1", "text": CLEAR_SHOPS[0]}, ensure_ascii=False)
        + "\n{not json\n"
        + CLEAR_NOT_SHOPS[1]
        + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["classify", str(src), "--model-dir", str(MODELS)])
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["m1", 3]
    assert out[0]["label"] == "shop" and out[1]["label"] == "not_shop"
    assert all(0 <= o["score"] <= 1 and o["intent"] in INTENT_LABELS for o in out)
    assert "error: line 2: invalid JSON" in result.stderr


def test_classify_cli_missing_file_and_missing_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["classify", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2 and "cannot read" in result.stderr
    (tmp_path / "in.txt").write_text("x\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["classify", str(tmp_path / "in.txt"), "--model-dir", str(tmp_path)])
    assert result.exit_code == 1 and "prokai nlp train" in result.stderr
