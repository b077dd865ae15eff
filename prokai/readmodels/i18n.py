"""Every text a reviewer reads in the bot, in Russian (default), Kazakh and English.

`t(lang, key, **values)` formats one entry. Texts are plain (no HTML) unless the key ends in
`_html`; values put into `_html` texts are escaped by the caller (`html.escape`).
"""

from __future__ import annotations

from typing import Literal, cast

from prokai.extract.kinds import BANK_KINDS

Lang = Literal["ru", "kk", "en"]
LANGS: tuple[Lang, ...] = ("ru", "kk", "en")
DEFAULT_LANG: Lang = "ru"

TEXTS: dict[str, dict[Lang, str]] = {
    "refused": {
        "ru": "Извините, этот бот доступен только уполномоченным сотрудникам прокуратуры.",
        "kk": "Кешіріңіз, бұл бот тек прокуратураның уәкілетті қызметкерлеріне қолжетімді.",
        "en": "Sorry, this bot is only available to authorised prosecution staff.",
    },
    "role_denied": {
        "ru": "Эта команда доступна только операторам и администраторам.",
        "kk": "Бұл команда тек операторлар мен әкімшілерге қолжетімді.",
        "en": "This command is only available to operators and admins.",
    },
    "help": {
        "ru": (
            "ProkAi — проверка реквизитов.\n"
            "/pending — очередь на проверку\n"
            "/search <карта|IBAN|телефон|кошелёк|@магазин> — поиск\n"
            "/shop @имя — реквизиты магазина по времени\n"
            "/links <реквизит|@магазин> — семья магазинов, связи и схема\n"
            "/stats — статистика и график\n"
            "/export — списки для запросов на арест (по банкам) и кошельки (по сетям)\n"
            "/campaigns — кампании\n"
            "/sweep — запустить ночной обход сейчас (операторы)\n"
            "/lang ru|kk|en — язык"
        ),
        "kk": (
            "ProkAi — деректемелерді тексеру.\n"
            "/pending — тексеру кезегі\n"
            "/search <карта|IBAN|телефон|әмиян|@дүкен> — іздеу\n"
            "/shop @атауы — дүкеннің деректемелері уақыт бойынша\n"
            "/links <деректеме|@дүкен> — дүкендер отбасы, байланыстар және сызба\n"
            "/stats — статистика және график\n"
            "/export — тыйым салу сұраулары үшін тізімдер (банк бойынша) және әмияндар (желі бойынша)\n"
            "/campaigns — науқандар\n"
            "/sweep — түнгі айналымды қазір іске қосу (операторлар)\n"
            "/lang ru|kk|en — тіл"
        ),
        "en": (
            "ProkAi — requisite review.\n"
            "/pending — the review queue\n"
            "/search <card|IBAN|phone|wallet|@shop> — search\n"
            "/shop @name — a shop's requisites over time\n"
            "/links <requisite|@shop> — the shop family, its ties and a picture\n"
            "/stats — statistics and a chart\n"
            "/export — freeze-request lists (by bank) and wallets (by chain)\n"
            "/campaigns — campaigns\n"
            "/sweep — run the nightly sweep now (operators)\n"
            "/lang ru|kk|en — language"
        ),
    },
    "notify_html": {
        "ru": (
            "<b>Новый реквизит #{id}</b>\n"
            "Вид: {kind}\nЗначение: <code>{value}</code>\nБанк/сеть: {bank}\nМагазин: {shop}\n"
            "Когда: {when}\nСумма: {amount}\nСтатус: {status}\n\n<i>Переписка:</i>\n{excerpt}"
        ),
        "kk": (
            "<b>Жаңа деректеме #{id}</b>\n"
            "Түрі: {kind}\nМәні: <code>{value}</code>\nБанк/желі: {bank}\nДүкен: {shop}\n"
            "Уақыты: {when}\nСомасы: {amount}\nКүйі: {status}\n\n<i>Хат алмасу:</i>\n{excerpt}"
        ),
        "en": (
            "<b>New requisite #{id}</b>\n"
            "Kind: {kind}\nValue: <code>{value}</code>\nBank/network: {bank}\nShop: {shop}\n"
            "When: {when}\nAmount: {amount}\nStatus: {status}\n\n<i>Conversation:</i>\n{excerpt}"
        ),
    },
    "btn_confirm": {"ru": "✅ Подтвердить", "kk": "✅ Растау", "en": "✅ Confirm"},
    "btn_reject": {"ru": "❌ Отклонить", "kk": "❌ Қабылдамау", "en": "❌ Reject"},
    "btn_evidence": {"ru": "📄 Доказательства", "kk": "📄 Дәлелдер", "en": "📄 Evidence"},
    "btn_later": {"ru": "⏳ Позже", "kk": "⏳ Кейінірек", "en": "⏳ Later"},
    "btn_prev": {"ru": "◀ Назад", "kk": "◀ Артқа", "en": "◀ Back"},
    "btn_next": {"ru": "Далее ▶", "kk": "Әрі қарай ▶", "en": "Next ▶"},
    "decided_html": {
        "ru": "\n\n<b>Решение: {decision}</b> — {name}",
        "kk": "\n\n<b>Шешім: {decision}</b> — {name}",
        "en": "\n\n<b>Decision: {decision}</b> — {name}",
    },
    "ack_decided": {
        "ru": "Реквизит #{id}: {decision}.",
        "kk": "Деректеме #{id}: {decision}.",
        "en": "Requisite #{id}: {decision}.",
    },
    "ack_same": {
        "ru": "Реквизит #{id} уже {decision} ({name}). Ничего не изменено.",
        "kk": "Деректеме #{id} бұрын {decision} ({name}). Ештеңе өзгерген жоқ.",
        "en": "Requisite #{id} was already {decision} ({name}). Nothing changed.",
    },
    "ack_lost": {
        "ru": "Реквизит #{id} уже {decision}: решение принял(а) {name}.",
        "kk": "Деректеме #{id} бұрын {decision}: шешімді {name} қабылдады.",
        "en": "Requisite #{id} was already {decision} by {name}.",
    },
    "ack_later": {
        "ru": "Отложено: реквизит #{id} остаётся в очереди.",
        "kk": "Кейінге қалдырылды: деректеме #{id} кезекте қалады.",
        "en": "Postponed: requisite #{id} stays in the queue.",
    },
    "not_found": {
        "ru": "Реквизит #{id} не найден.",
        "kk": "Деректеме #{id} табылмады.",
        "en": "Requisite #{id} not found.",
    },
    "evidence_caption": {
        "ru": "Переписка #{conversation} по реквизиту #{id}: {messages} сообщ., звенья цепочки {first}–{last}, хеш последнего {hash}",
        "kk": "#{id} деректеме бойынша #{conversation} хат алмасу: {messages} хабар, тізбек буындары {first}–{last}, соңғысының хеші {hash}",
        "en": "Conversation #{conversation} for requisite #{id}: {messages} messages, chain links {first}–{last}, last hash {hash}",
    },
    "evidence_image": {
        "ru": "Изображение из сообщения #{message} (SHA-256 {hash})",
        "kk": "#{message} хабарламадағы сурет (SHA-256 {hash})",
        "en": "Image from message #{message} (SHA-256 {hash})",
    },
    "evidence_none": {
        "ru": "По реквизиту #{id} нет сохранённой переписки.",
        "kk": "#{id} деректеме бойынша сақталған хат алмасу жоқ.",
        "en": "No stored conversation for requisite #{id}.",
    },
    "evidence_sent": {"ru": "Отправляю доказательства", "kk": "Дәлелдер жіберілуде", "en": "Sending evidence"},
    "pending_header": {
        "ru": "Ожидают проверки: {total} (стр. {page} из {pages})",
        "kk": "Тексеруді күтуде: {total} ({page}/{pages} бет)",
        "en": "Awaiting review: {total} (page {page} of {pages})",
    },
    "pending_empty": {"ru": "Очередь пуста.", "kk": "Кезек бос.", "en": "The queue is empty."},
    "search_usage": {
        "ru": "Использование: /search <карта|IBAN|телефон|кошелёк|@магазин>",
        "kk": "Қолданылуы: /search <карта|IBAN|телефон|әмиян|@дүкен>",
        "en": "Usage: /search <card|IBAN|phone|wallet|@shop>",
    },
    "search_none": {
        "ru": "Ничего не найдено по запросу «{query}».",
        "kk": "«{query}» сұрауы бойынша ештеңе табылмады.",
        "en": "Nothing found for “{query}”.",
    },
    "search_header": {
        "ru": "Найдено по запросу «{query}»: {count}",
        "kk": "«{query}» сұрауы бойынша табылды: {count}",
        "en": "Found for “{query}”: {count}",
    },
    "shop_usage": {"ru": "Использование: /shop @имя", "kk": "Қолданылуы: /shop @атауы", "en": "Usage: /shop @name"},
    "shop_none": {
        "ru": "Магазин {name} не найден.",
        "kk": "{name} дүкені табылмады.",
        "en": "Shop {name} not found.",
    },
    "shop_header": {
        "ru": "Магазин {name} (#{id}, {status}), впервые {first}, последний раз {last}. Реквизиты:",
        "kk": "{name} дүкені (#{id}, {status}), алғаш {first}, соңғы рет {last}. Деректемелер:",
        "en": "Shop {name} (#{id}, {status}), first seen {first}, last seen {last}. Requisites:",
    },
    "shop_empty": {"ru": "Реквизитов пока нет.", "kk": "Деректемелер әлі жоқ.", "en": "No requisites yet."},
    "stats_header": {
        "ru": "Реквизиты: всего {total}, подтверждено {confirmed}, отклонено {rejected}, ожидают {pending}",
        "kk": "Деректемелер: барлығы {total}, расталған {confirmed}, қабылданбаған {rejected}, күтуде {pending}",
        "en": "Requisites: {total} in all, {confirmed} confirmed, {rejected} rejected, {pending} pending",
    },
    "stats_by_day": {"ru": "По дням", "kk": "Күндер бойынша", "en": "By day"},
    "stats_by_bank": {"ru": "По банкам/сетям", "kk": "Банктер/желілер бойынша", "en": "By bank/network"},
    "stats_by_kind": {"ru": "По видам", "kk": "Түрлері бойынша", "en": "By kind"},
    "stats_chart": {
        "ru": "Новые реквизиты по дням",
        "kk": "Күндер бойынша жаңа деректемелер",
        "en": "New requisites by day",
    },
    "export_caption_banks": {
        "ru": "Подтверждённые реквизиты по банкам для запросов на арест: {count}",
        "kk": "Тыйым салу сұраулары үшін банктер бойынша расталған деректемелер: {count}",
        "en": "Confirmed requisites by bank for freeze requests: {count}",
    },
    "export_caption_wallets": {
        "ru": "Подтверждённые кошельки по сетям: {count}",
        "kk": "Желілер бойынша расталған әмияндар: {count}",
        "en": "Confirmed wallets by chain: {count}",
    },
    "export_empty": {
        "ru": "Подтверждённых реквизитов пока нет.",
        "kk": "Расталған деректемелер әлі жоқ.",
        "en": "No confirmed requisites yet.",
    },
    "campaigns_none": {"ru": "Кампаний нет.", "kk": "Науқандар жоқ.", "en": "No campaigns."},
    "campaign_line": {
        "ru": "#{id} {name} — дело {case}, {status}; целей {targets}, реквизитов {requisites}",
        "kk": "#{id} {name} — іс {case}, {status}; нысаналар {targets}, деректемелер {requisites}",
        "en": "#{id} {name} — case {case}, {status}; {targets} targets, {requisites} requisites",
    },
    "sweep_started": {
        "ru": "Ночной обход запущен ({name}).",
        "kk": "Түнгі айналым іске қосылды ({name}).",
        "en": "The nightly sweep was started ({name}).",
    },
    "sweep_running": {
        "ru": "Обход уже идёт, второй не запускаю.",
        "kk": "Айналым жүріп жатыр, екіншісі іске қосылмайды.",
        "en": "A sweep is already running; not starting another.",
    },
    "sweep_unavailable": {
        "ru": "Обход недоступен: модуль обхода не настроен.",
        "kk": "Айналым қолжетімсіз: айналым модулі бапталмаған.",
        "en": "Sweep unavailable: no sweep is configured.",
    },
    "lang_usage": {"ru": "Использование: /lang ru|kk|en", "kk": "Қолданылуы: /lang ru|kk|en", "en": "Usage: /lang ru|kk|en"},
    "lang_set": {"ru": "Язык: русский.", "kk": "Тіл: қазақша.", "en": "Language: English."},
    "health_alert": {
        "ru": "⚠ Проверка состояния: {problems}",
        "kk": "⚠ Күй тексеру: {problems}",
        "en": "⚠ Health check: {problems}",
    },
    "error": {
        "ru": "Внутренняя ошибка, попробуйте позже.",
        "kk": "Ішкі қате, кейінірек қайталаңыз.",
        "en": "Internal error, please try again later.",
    },
    "status_pending": {"ru": "ожидает", "kk": "күтуде", "en": "pending"},
    "status_confirmed": {"ru": "подтверждён", "kk": "расталды", "en": "confirmed"},
    "status_rejected": {"ru": "отклонён", "kk": "қабылданбады", "en": "rejected"},
    "kind_card": {"ru": "карта", "kk": "карта", "en": "card"},
    "kind_iban": {"ru": "IBAN", "kk": "IBAN", "en": "IBAN"},
    "kind_phone": {"ru": "телефон", "kk": "телефон", "en": "phone"},
    "kind_wallet": {"ru": "кошелёк {chain}", "kk": "{chain} әмияны", "en": "{chain} wallet"},
    "unknown": {"ru": "—", "kk": "—", "en": "—"},
    # --- /links: shop families (prokai.network) ---
    "links_usage": {
        "ru": "Использование: /links <карта|IBAN|телефон|кошелёк|@магазин>",
        "kk": "Қолданылуы: /links <карта|IBAN|телефон|әмиян|@дүкен>",
        "en": "Usage: /links <card|IBAN|phone|wallet|@shop>",
    },
    "links_none": {
        "ru": "Связей по запросу «{query}» не найдено.",
        "kk": "«{query}» сұрауы бойынша байланыстар табылмады.",
        "en": "No links found for “{query}”.",
    },
    "links_header": {
        "ru": "Семья {id} (основатель {founder}): магазинов {count}",
        "kk": "{id} отбасы (негізін қалаушы {founder}): дүкендер саны {count}",
        "en": "Family {id} (founded by {founder}): {count} shop(s)",
    },
    "links_more": {"ru": "… и ещё {count}", "kk": "… және тағы {count}", "en": "… and {count} more"},
    "links_evidence": {"ru": "Связи:", "kk": "Байланыстар:", "en": "Ties:"},
    "links_alone": {
        "ru": "– других магазинов с ним не связывает ничего",
        "kk": "– оны басқа дүкендермен ештеңе байланыстырмайды",
        "en": "– nothing ties it to another shop",
    },
    "links_requisites": {
        "ru": "Реквизиты по приоритету ареста:",
        "kk": "Тыйым салу басымдығы бойынша деректемелер:",
        "en": "Requisites by freeze priority:",
    },
    "links_requisite_line": {
        "ru": "{rank}. {kind} {value} — {bank}, {status}; магазинов {shops}, последний раз {last}",
        "kk": "{rank}. {kind} {value} — {bank}, {status}; дүкендер {shops}, соңғы рет {last}",
        "en": "{rank}. {kind} {value} — {bank}, {status}; {shops} shop(s), last seen {last}",
    },
    "links_requisite_head": {
        "ru": "{kind} {value}: выдавали {shops}; получатель: {holders}",
        "kk": "{kind} {value}: берген дүкендер {shops}; алушы: {holders}",
        "en": "{kind} {value}: handed out by {shops}; holder: {holders}",
    },
    "links_picture": {"ru": "Схема семьи {id}", "kk": "{id} отбасының сызбасы", "en": "Family {id}"},
    "links_left_out": {
        "ru": "(не показано реквизитов: {count})",
        "kk": "(көрсетілмеген деректемелер: {count})",
        "en": "({count} requisites not drawn)",
    },
    "tie_requisite": {
        "ru": "{what}: выдавали {shops} ({first} … {last})",
        "kk": "{what}: {shops} берген ({first} … {last})",
        "en": "{what}: handed out by {shops} ({first} … {last})",
    },
    "tie_operator": {
        "ru": "{source} указывает оператора {what} (с {first})",
        "kk": "{source} операторы ретінде {what} көрсетеді ({first} бастап)",
        "en": "{source} names {what} as its operator (since {first})",
    },
    "tie_operator_shared": {
        "ru": "общий оператор {what}: {shops} (с {first})",
        "kk": "ортақ оператор {what}: {shops} ({first} бастап)",
        "en": "shared operator {what}: {shops} (since {first})",
    },
    "tie_backup_of": {
        "ru": "{source} называет {what} своим резервным ботом (с {first})",
        "kk": "{source} {what} ботын өзінің қосалқы боты деп атайды ({first} бастап)",
        "en": "{source} names {what} as its backup (since {first})",
    },
    "tie_operator_of": {
        "ru": "оператор {source} направляет покупателей в {what} (с {first})",
        "kk": "{source} операторы сатып алушыларды {what} жібереді ({first} бастап)",
        "en": "operator {source} sends buyers to {what} (since {first})",
    },
    "tie_backup_of_shared": {
        "ru": "общий резервный бот {what}: {shops} (с {first})",
        "kk": "ортақ қосалқы бот {what}: {shops} ({first} бастап)",
        "en": "shared backup {what}: {shops} (since {first})",
    },
    "tie_renamed_to_shared": {
        "ru": "новое имя {what} объявляют {shops} ({first})",
        "kk": "жаңа атау {what}: {shops} хабарлайды ({first})",
        "en": "new name {what} announced by {shops} ({first})",
    },
    "tie_renamed_to": {
        "ru": "{source} объявляет новое имя {what} ({first})",
        "kk": "{source} жаңа атауы {what} екенін хабарлайды ({first})",
        "en": "{source} announces {what} as its new name ({first})",
    },
    "tie_showcase": {
        "ru": "{source} ссылается на {what} (витрина, с {first})",
        "kk": "{source} {what} сілтемесін береді (витрина, {first} бастап)",
        "en": "{source} links to {what} (showcase, since {first})",
    },
    "report_families": {"ru": "Семьи магазинов", "kk": "Дүкен отбасылары", "en": "Shop families"},
    "col_family": {"ru": "Семья", "kk": "Отбасы", "en": "Family"},
    "col_members": {"ru": "Магазины", "kk": "Дүкендер", "en": "Shops"},
    "col_ties": {"ru": "Связи", "kk": "Байланыстар", "en": "Ties"},
    # --- the campaign report (PDF) ---
    "report_title": {"ru": "Отчёт по кампании", "kk": "Науқан бойынша есеп", "en": "Campaign report"},
    "report_case": {
        "ru": "Дело {case}: {basis}",
        "kk": "Іс {case}: {basis}",
        "en": "Case {case}: {basis}",
    },
    "report_campaign": {
        "ru": "Кампания #{id} «{name}», статус {status}; создана {created}, начата {started}, завершена {finished}",
        "kk": "#{id} «{name}» науқаны, күйі {status}; құрылды {created}, басталды {started}, аяқталды {finished}",
        "en": "Campaign #{id} “{name}”, status {status}; created {created}, started {started}, finished {finished}",
    },
    "report_generated": {"ru": "Сформирован {when}", "kk": "Жасалған уақыты {when}", "en": "Generated {when}"},
    "report_shops": {"ru": "Магазины", "kk": "Дүкендер", "en": "Shops"},
    "report_requisites": {"ru": "Реквизиты", "kk": "Деректемелер", "en": "Requisites"},
    "report_timeline": {"ru": "Хронология", "kk": "Хронология", "en": "Timeline"},
    "report_chain": {"ru": "Цепочка доказательств", "kk": "Дәлелдер тізбегі", "en": "Evidence chain"},
    "report_chain_ok": {
        "ru": "Цепочка цела: проверено записей {checked}; вершина №{seq}, хеш {hash}",
        "kk": "Тізбек бүтін: {checked} жазба тексерілді; шыңы №{seq}, хеші {hash}",
        "en": "Chain intact: {checked} records verified; head #{seq}, hash {hash}",
    },
    "report_chain_broken": {
        "ru": "ЦЕПОЧКА НАРУШЕНА: {reason}",
        "kk": "ТІЗБЕК БҰЗЫЛҒАН: {reason}",
        "en": "CHAIN BROKEN: {reason}",
    },
    "report_none": {"ru": "Нет данных.", "kk": "Деректер жоқ.", "en": "None."},
    "col_shop": {"ru": "Магазин", "kk": "Дүкен", "en": "Shop"},
    "col_kind": {"ru": "Вид", "kk": "Түрі", "en": "Kind"},
    "col_status": {"ru": "Статус", "kk": "Күйі", "en": "Status"},
    "col_first": {"ru": "Впервые", "kk": "Алғаш", "en": "First seen"},
    "col_last": {"ru": "Последний раз", "kk": "Соңғы рет", "en": "Last seen"},
    "col_value": {"ru": "Значение", "kk": "Мәні", "en": "Value"},
    "col_bank": {"ru": "Банк/сеть", "kk": "Банк/желі", "en": "Bank/network"},
    "col_seen": {"ru": "Раз", "kk": "Рет", "en": "Seen"},
    "col_when": {"ru": "Когда", "kk": "Қашан", "en": "When"},
    "col_event": {"ru": "Событие", "kk": "Оқиға", "en": "Event"},
    "ev_campaign": {"ru": "кампания: {what}", "kk": "науқан: {what}", "en": "campaign: {what}"},
    "ev_conversation": {"ru": "начат диалог с {shop}", "kk": "{shop} дүкенімен диалог басталды", "en": "conversation with {shop} started"},
    "ev_sighting": {"ru": "{shop} выдал {kind} {value}", "kk": "{shop} {kind} {value} берді", "en": "{shop} gave {kind} {value}"},
    "ev_review": {"ru": "{name}: {value} — {decision}", "kk": "{name}: {value} — {decision}", "en": "{name}: {value} — {decision}"},
    "ev_shop_status": {"ru": "{shop}: {status}", "kk": "{shop}: {status}", "en": "{shop}: {status}"},
}


def as_lang(value: str | None) -> Lang:
    """`value` if it is a supported language code, else the default (Russian)."""
    return cast(Lang, value) if value in LANGS else DEFAULT_LANG


def t(lang: str | None, key: str, **values: object) -> str:
    """The text `key` in `lang` (falling back to Russian), formatted with `values`."""
    entry = TEXTS[key]
    text = entry.get(as_lang(lang)) or entry[DEFAULT_LANG]
    return text.format(**values) if values else text


def kind_label(lang: str | None, kind: str) -> str:
    """A requisite kind as reviewers read it: "карта", "IBAN", "кошелёк TRX"."""
    if kind in BANK_KINDS:  # each bank kind has its own text; wallets are named by chain
        return t(lang, f"kind_{kind}")
    return t(lang, "kind_wallet", chain=kind.upper())


def status_label(lang: str | None, status: str) -> str:
    """A requisite status as reviewers read it."""
    key = f"status_{status}"
    return t(lang, key) if key in TEXTS else status
