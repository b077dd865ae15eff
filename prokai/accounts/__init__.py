"""Telegram sessions on seized SIMs: logins with SimBox codes, the session vault, the account
pool with leases, health checks and the archive of seized accounts. See `README.md` here.

Telethon is imported lazily by the modules that need it; importing this package is cheap.
"""
