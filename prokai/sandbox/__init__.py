"""A local Telegram-compatible world for tests, demos and rehearsals (see README.md here).

- `prokai.sandbox.server.SandboxServer`: the MTProto server stock Telethon connects to.
- `prokai.sandbox.world.World`: accounts on SIM numbers, bots, channels, codes, faults, clock.
- `prokai.sandbox.bots`: the `Bot` interface scenario bots implement (buttons, edits, images).
- `prokai.sandbox.connect.configure`: the one helper pointing a stock client at the sandbox.
- `prokai.sandbox.botapi`: the Bot API server for the admin bot (python-telegram-bot).
"""
