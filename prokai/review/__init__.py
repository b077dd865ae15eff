"""The prosecutors' admin bot (python-telegram-bot 22), the scheduler and `prokai run`.

What other code calls:

    from prokai.review.bot import running_bot, build_application
    from prokai.review.notify import notify_pending
    from prokai.review.decisions import decide
    from prokai.ops.scheduler import JobRegistry, build_scheduler

Modules: `i18n` (every user-facing text, ru/kk/en), `access` (allow-list and roles), `queries`
(read-only views for the bot), `decisions` (confirm/reject, race-safe), `notify` (notifications
of new requisites), `handlers` (the Telegram handlers), `bot` (building and running the bot),
`charts` (the /stats PNG), `scheduler` (APScheduler with a job store in the database), `service`
(the long-running process), `metrics` (Prometheus).
"""
