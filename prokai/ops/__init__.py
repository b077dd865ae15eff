"""Operations machinery below the admin bot and the daemon: job runs persisted in `job_runs`
(`jobs`: registry, runner, resumable checkpoints), the APScheduler wiring (`scheduler`) and the
counters behind `/metrics` (`metrics`). The bot (`prokai.review`) starts and shows jobs through
it; the daemon (`prokai.daemon`) registers the jobs and runs the scheduler.
"""
