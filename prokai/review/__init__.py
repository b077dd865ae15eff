"""The prosecutors' admin bot (python-telegram-bot 22).

What other code calls:

    from prokai.review.bot import running_bot, build_application
    from prokai.review.notify import notify_pending
    from prokai.review.decisions import decide

Modules: `access` (allow-list and roles), `decisions` (confirm/reject, race-safe), `notify`
(notifications of new requisites), `handlers` (the Telegram handlers), `bot` (building and
running the bot), `charts` (the /stats PNG), `sandbox_round` (a review round on the sandbox's Bot
API). What the bot reads and the words it shows are in `prokai.readmodels` (shared with the
exports); the jobs it starts run through `prokai.ops`; the long-running `prokai run` that starts
the bot beside the scheduler is `prokai.daemon`.
"""
