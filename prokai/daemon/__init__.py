"""The long-running process, `prokai run`: the scheduler with its registered jobs (the nightly
sweep and the network update after it in `sweeps` / `network_jobs`, notifications, health checks)
and the admin bot (`prokai.review`) started beside it; `fastforward` drives the scheduler on
sandbox time for the demo. The top layer: it imports the bot, the crawler and the accounts, and
none of them imports it.
"""
