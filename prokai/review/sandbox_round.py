"""One review round in the sandbox, for `make demo` and end-to-end tests.

    result = await sandbox_review_round(db, settings, confirm=1)

starts the sandbox Bot API server, runs the real admin bot against it, sends the notifications
for new requisites to a sandbox admin group, and has a sandbox prosecutor open the evidence of
and confirm the first `confirm` of them by pressing the buttons, as a person would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prokai.config import ReviewerSettings, Settings
from prokai.readmodels.i18n import t
from prokai.review.bot import running_bot
from prokai.review.notify import notify_pending
from prokai.sandbox.botapi import BotApiServer, make_token
from prokai.store.db import Database

DEMO_PROSECUTOR = ReviewerSettings(telegram_id=501, name="Demo Prosecutor", role="prosecutor")
DEMO_ADMIN_CHAT = -1001000000501


@dataclass
class ReviewRound:
    """What happened in the round."""

    notified: int
    confirmed: list[int] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    evidence_files: list[str] = field(default_factory=list)
    admin_chat_id: int = DEMO_ADMIN_CHAT


def _demo_settings(settings: Settings) -> Settings:
    out = settings.model_copy(deep=True)
    if not out.review.reviewers:
        out.review.reviewers = [DEMO_PROSECUTOR]
    if out.review.admin_chat_id is None:
        out.review.admin_chat_id = DEMO_ADMIN_CHAT
    return out


async def sandbox_review_round(db: Database, settings: Settings, confirm: int = 1, timeout: float = 10.0) -> ReviewRound:
    """Notify every new pending requisite in a sandbox admin group; a sandbox prosecutor opens the
    evidence of the first `confirm` and confirms them. Uses the first configured reviewer (or a
    demo prosecutor, id 501) and `review.admin_chat_id` (or a demo group)."""
    st = _demo_settings(settings)
    reviewer = st.review.reviewers[0]
    chat_id = st.review.admin_chat_id
    assert chat_id is not None
    token = make_token()
    async with BotApiServer("127.0.0.1", 0, token) as server:
        server.add_user(reviewer.telegram_id, reviewer.name.split()[0], started=True)
        server.add_group(chat_id, "Prosecutors", members=[reviewer.telegram_id])
        async with running_bot(st, db, token=token, base_url=server.url) as app:
            result = ReviewRound(notified=await notify_pending(app.bot, db, st), admin_chat_id=chat_id)
            cards = [await server.next_message(chat_id, timeout) for _ in range(result.notified)]
            for card in cards[:confirm]:
                data = card.button_data()
                evidence = next((d for d in data if d.startswith("e:")), None)
                if evidence:
                    press = await server.user_presses(reviewer.telegram_id, card.message_id, evidence, chat_id=chat_id)
                    if (await press.answered(timeout)).text == t(st.review.language, "evidence_sent"):
                        document = await server.next_message(chat_id, timeout)
                        result.evidence_files.append(document.file_name or "")
                confirm_data = next((d for d in data if d.startswith("c:")), None)
                if confirm_data is None:
                    continue
                press = await server.user_presses(reviewer.telegram_id, card.message_id, confirm_data, chat_id=chat_id)
                answer = await press.answered(timeout)
                result.answers.append(answer.text or "")
                result.confirmed.append(int(confirm_data.split(":", 1)[1].split("~", 1)[0]))  # data is signed
    return result
