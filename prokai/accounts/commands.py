"""`prokai accounts …` (login, list, check, archive) and `prokai vault …` (keygen, status, rekey,
export, import). Telethon and the SimBox driver are imported inside the commands."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from prokai.cliutil import EXIT_FAILURE, EXIT_USAGE, database, fail, progress_display, settings

if TYPE_CHECKING:
    from prokai.accounts.clients import Endpoint
    from prokai.accounts.vault import Vault
    from prokai.config import Settings

accounts_app = typer.Typer(
    name="accounts", help="Telegram sessions on seized SIMs: login, list, check, archive.", no_args_is_help=True
)
vault_app = typer.Typer(
    name="vault", help="The encrypted session vault: keygen, status, rekey, export, import.", no_args_is_help=True
)


def _vault(cfg: Settings, old_key_files: list[Path] | None = None) -> Vault:
    from prokai.accounts.vault import Vault, VaultError

    texts = []
    for path in old_key_files or []:
        try:
            texts.append(path.read_text(encoding="utf-8").strip())
        except OSError as exc:
            fail(f"old key file {path}: {exc.strerror}", EXIT_USAGE)
    try:
        return Vault.from_settings(cfg, texts)
    except VaultError as exc:
        fail(str(exc), EXIT_USAGE)


def _endpoint(cfg: Settings, sandbox: str | None) -> Endpoint | None:
    from prokai.accounts.clients import Endpoint, endpoint_from_settings
    from prokai.config import ConfigError

    if sandbox:
        host, _, port = sandbox.rpartition(":")
        if not host or not port.isdigit():
            fail(f"--sandbox {sandbox}: expected HOST:PORT", EXIT_USAGE)
        from prokai.sandbox.crypto import public_key_pem

        return Endpoint(host, int(port), cfg.telegram.dc_id, public_key_pem().decode())
    try:
        return endpoint_from_settings(cfg)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)


def _print_rows(rows: list[dict[str, Any]], as_json: bool, columns: list[str], title: str) -> None:
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in columns:
        fixed = col in ("iccid", "phone", "id", "state", "outcome")
        table.add_column(col, no_wrap=fixed, overflow="fold")
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    Console().print(table)


# --- accounts -------------------------------------------------------------------------------


@accounts_app.command("login")
def login_cmd(
    ctx: typer.Context,
    sim: list[str] = typer.Option(None, "--sim", help="ICCID of a SIM to log in (repeatable)."),
    all_sims: bool = typer.Option(False, "--all", help="Log in every SIM in the SimBox."),
    passwords: Path | None = typer.Option(None, "--passwords", help="Two-step passwords from the case file."),
    port: list[str] = typer.Option(None, "--port", "-p", help="A modem tty (repeatable; default: simbox.ports)."),
    site: list[str] = typer.Option(None, "--site", help="SIMs held at this node's SimBox (`prokai site` there; "
                                   "repeatable). Default without local ports: the SIMs' own sites."),
    sandbox: str | None = typer.Option(None, "--sandbox", help="Log in to a local sandbox at HOST:PORT."),
    relogin: bool = typer.Option(False, "--relogin", help="Also log in SIMs whose session is in the vault."),
    as_json: bool = typer.Option(False, "--json", help="One JSON line per SIM instead of a table."),
) -> None:
    """Log in Telegram on seized SIMs with the login codes that arrive by SMS (resumable).

    The SimBox is this node's (--port, simbox.ports) or another node's: with --site, or when this
    node has no ports, the codes are read at the site holding each SIM (`prokai site` there).
    """
    from prokai.accounts.passwords import PasswordBook, PasswordFileError
    from prokai.inventory.commands import port_specs

    if bool(sim) == all_sims:
        fail("give --sim ICCID (repeatable) or --all", EXIT_USAGE)
    cfg = settings(ctx)
    vault = _vault(cfg)
    endpoint = _endpoint(cfg, sandbox)
    try:
        book = PasswordBook.load(passwords or cfg.secrets.passwords_file)
    except PasswordFileError as exc:
        fail(str(exc), EXIT_USAGE)
    specs = [] if site else port_specs(ctx, port, None, required=False)
    db = database(ctx)
    sites = list(site or [])
    if not specs and not sites:
        from prokai.cluster.sites import live_sites, site_of

        sites = sorted(set(site_of(db, sim).values())) if sim else live_sites(db, cfg.cluster.heartbeat_s)
        if not sites:
            fail("no SimBox ports on this node and no site serving one: give --port PATH, set simbox.ports, "
                 "or run `prokai site` on the node holding the SimBox", EXIT_USAGE)
    report = asyncio.run(_login(cfg, db, vault, endpoint, book, specs, sites, sim or None, relogin))
    rows = [r.to_json() for r in report.results]
    _print_rows(rows, as_json, ["iccid", "phone", "outcome", "state", "code_via", "detail"], "Login")
    if not report.ok:
        raise typer.Exit(EXIT_FAILURE)


async def _login(cfg: Settings, db: Any, vault: Any, endpoint: Any, book: Any, specs: list[Any],
                 sites: list[str], iccids: list[str] | None, relogin: bool) -> Any:
    from prokai.accounts.login import LoginRunner, LoginTarget
    from simbox.pool import Pool, PoolOptions

    modems: Any
    if specs:
        modems = Pool(specs, PoolOptions(command_timeout=cfg.simbox.command_timeout_s, probe_timeout=2.0,
                                         watchdog_interval=None, sweep_interval=None))
        await modems.start()
    else:
        from prokai.cluster.sites import RemoteModems, SiteUnavailable

        modems = RemoteModems(cfg.cluster, sites)
        try:
            await modems.start()
        except SiteUnavailable as exc:
            await modems.stop()
            fail(str(exc), EXIT_FAILURE)
    try:
        with progress_display() as progress:
            overall = progress.add_task("SIMs", total=None)
            rows: dict[str, Any] = {}

            def start(t: LoginTarget) -> None:
                rows[t.iccid] = progress.add_task(f"{t.phone or t.iccid}: starting", total=1)

            def status(t: LoginTarget, text: str) -> None:
                if t.iccid in rows:
                    progress.update(rows[t.iccid], description=f"{t.phone or t.iccid}: {text}")

            def done(r: Any) -> None:
                if r.iccid in rows:
                    progress.update(rows[r.iccid], description=f"{r.phone or r.iccid}: {r.outcome}", completed=1)
                progress.advance(overall)

            runner = LoginRunner(db, cfg, modems, vault=vault, endpoint=endpoint, passwords=book,
                                 on_start=start, on_status=status, on_done=done, relogin=relogin)
            try:
                targets = runner.targets(iccids)
            except KeyError as exc:
                fail(str(exc.args[0]), EXIT_USAGE)
            progress.update(overall, total=len(targets))
            return await runner.run([t.iccid for t in targets])
    finally:
        await modems.stop()


@accounts_app.command("list")
def list_cmd(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="One JSON line per account.")
) -> None:
    """Accounts with their states, cooldowns, leases and last use."""
    from prokai.accounts.health import listing
    from prokai.accounts.state import utcnow

    rows = listing(database(ctx), utcnow(), settings(ctx))
    if not as_json:  # compact cells for the table
        for row in rows:
            row["cooldowns"] = ", ".join(f"{k} until {v[:16].replace('T', ' ')}" for k, v in row["cooldowns"].items())
            row["last_used_at"] = (row["last_used_at"] or "")[:16].replace("T", " ")
            row["session"] = "yes" if row["session"] else "no"
            row["proxy_changed"] = "CHANGED" if row["proxy_changed"] else ""
    _print_rows(rows, as_json, ["id", "phone", "username", "state", "reason", "session", "cooldowns", "leased_by",
                                "last_used_at", "proxy", "proxy_changed"], "Accounts")
    changed = [r["phone"] for r in rows if r["proxy_changed"]]
    if changed:
        typer.echo(f"warning: accounts.proxies names another proxy for {', '.join(changed)}; their sessions keep the "
                   "proxy they logged in through (a new IP looks like a stolen session): log them in again to move",
                   err=True)


@accounts_app.command("check")
def check_cmd(
    ctx: typer.Context,
    account: list[str] = typer.Option(None, "--account", "-a", help="Phone, id or @username (repeatable)."),
    sandbox: str | None = typer.Option(None, "--sandbox", help="The sandbox at HOST:PORT (new sessions only)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON line per account."),
) -> None:
    """Connect each session: is it alive, and what restrictions does the account see."""
    from prokai.accounts.health import check_accounts
    from prokai.accounts.pool import AccountPool

    cfg = settings(ctx)
    pool = AccountPool(database(ctx), cfg, vault=_vault(cfg), endpoint=_endpoint(cfg, sandbox), watchdog=False)
    try:
        results = asyncio.run(check_accounts(pool, account or None))
    except KeyError as exc:
        fail(str(exc.args[0]), EXIT_USAGE)
    _print_rows([r.to_json() for r in results], as_json, ["phone", "state", "alive", "detail", "restrictions"], "Check")


@accounts_app.command("archive")
def archive_cmd(
    ctx: typer.Context,
    account: list[str] = typer.Option(None, "--account", "-a", help="Phone, id or @username (default: every seized one)."),
    no_media: bool = typer.Option(False, "--no-media", help="Do not download media (no hashes)."),
    campaign: int | None = typer.Option(None, "--campaign", help="Add the shops found to this campaign as targets."),
    as_json: bool = typer.Option(False, "--json", help="One JSON line per account."),
) -> None:
    """Archive what seized accounts hold (incremental): dialogs, contacts, messages as evidence, shops found."""
    from prokai.accounts.archive import archive_accounts, shops_to_campaign
    from prokai.accounts.pool import AccountPool

    cfg = settings(ctx)
    if campaign is not None:
        from prokai.store.models import Campaign

        with database(ctx).session() as s:
            if s.get(Campaign, campaign) is None:
                fail(f"no campaign {campaign}", EXIT_USAGE)
    pool = AccountPool(database(ctx), cfg, vault=_vault(cfg), watchdog=True)
    try:
        reports = asyncio.run(archive_accounts(pool, account or None, media=not no_media and cfg.accounts.archive_media))
    except KeyError as exc:
        fail(str(exc.args[0]), EXIT_USAGE)
    rows = [r.to_json() for r in reports]
    _print_rows(rows, as_json, ["phone", "ok", "dialogs", "new_messages", "requisites", "shops", "detail"], "Archive")
    if campaign is not None:
        added = shops_to_campaign(database(ctx), campaign)
        typer.echo(f"campaign {campaign}: {added} new target(s) from the archive", err=True)
    if not all(r.ok for r in reports):
        raise typer.Exit(EXIT_FAILURE)


@accounts_app.command("reset")
def reset_cmd(
    ctx: typer.Context,
    account: str = typer.Argument(..., help="Phone, id or @username."),
    yes: bool = typer.Option(False, "--yes", help="Confirm (the reset is audited)."),
) -> None:
    """Forget an account's 2FA tries, cooldowns and stale lease so the next login run retries it."""
    from prokai.accounts.vault import VaultError
    from prokai.accounts.vaultops import reset_account

    if not yes:
        fail("add --yes to reset (2FA tries and cooldowns are forgotten; audited)", EXIT_USAGE)
    try:
        acc = reset_account(database(ctx), account)
    except VaultError as exc:
        fail(str(exc), EXIT_USAGE)
    typer.echo(f"{acc.phone}: reset, state {acc.state}")


# --- vault ----------------------------------------------------------------------------------


@vault_app.command("keygen")
def keygen_cmd(out: Path = typer.Option(..., "--out", "-o", help="File to write the new key to (mode 0600).")) -> None:
    """Write a new random vault key to a file (point secrets.vault_key_file or PROKAI_VAULT_KEY at it)."""
    from prokai.accounts.vault import key_id, new_key_text, parse_key

    if out.exists():
        fail(f"{out} exists; refusing to overwrite a key", EXIT_USAGE)
    text = new_key_text()
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        fail(f"{out}: {exc.strerror}", EXIT_USAGE)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(text + "\n")
    typer.echo(f"wrote a new vault key to {out} (key id {key_id(parse_key(text))})")


@vault_app.command("status")
def status_cmd(ctx: typer.Context) -> None:
    """The current key id and how many sessions each key seals."""
    from prokai.accounts.vaultops import key_usage

    vault = _vault(settings(ctx))
    typer.echo(f"current key: {vault.current_id}")
    for kid, count in sorted(key_usage(database(ctx)).items()):
        mark = "current" if kid == vault.current_id else ("loaded" if vault.knows(kid) else "NOT LOADED")
        typer.echo(f"{kid}: {count} session(s) ({mark})")


@vault_app.command("rekey")
def rekey_cmd(
    ctx: typer.Context,
    old_key_file: list[Path] = typer.Option(None, "--old-key-file", help="A previous key (repeatable; or PROKAI_VAULT_OLD_KEYS)."),
) -> None:
    """Re-encrypt every session with the current key (set the new key as PROKAI_VAULT_KEY first)."""
    from prokai.accounts.vaultops import rekey

    vault = _vault(settings(ctx), old_key_file)
    report = rekey(database(ctx), vault)
    typer.echo(f"rekeyed {report.rekeyed} session(s) to key {vault.current_id}; {report.current} already current")
    if report.failed:
        fail(f"{len(report.failed)} session(s) not rekeyed: {report.failed[0]}", EXIT_FAILURE)


def _passphrase(confirm: bool) -> str:
    text = os.environ.get("PROKAI_TRANSFER_PASSPHRASE")
    if text:
        return text
    if not sys.stdin.isatty():
        fail("set PROKAI_TRANSFER_PASSPHRASE (no terminal to ask for the transfer passphrase)", EXIT_USAGE)
    value: str = typer.prompt("Transfer passphrase", hide_input=True, confirmation_prompt=confirm)
    return value


@vault_app.command("export")
def export_cmd(
    ctx: typer.Context,
    account: str = typer.Argument(..., help="Phone, id or @username."),
    out: Path = typer.Option(..., "--out", "-o", help="File to write (mode 0600)."),
    keep: bool = typer.Option(False, "--keep", help="Keep the session here too (it must not be used on both nodes)."),
) -> None:
    """Export one session, sealed with a transfer passphrase, to move the account to another node."""
    from prokai.accounts.vault import VaultError
    from prokai.accounts.vaultops import export_session

    vault = _vault(settings(ctx))
    if out.exists():
        fail(f"{out} exists; refusing to overwrite", EXIT_USAGE)
    passphrase = _passphrase(confirm=True)
    try:
        doc = export_session(database(ctx), vault, account, passphrase, keep=keep)
    except VaultError as exc:
        fail(str(exc), EXIT_USAGE)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(doc)
    typer.echo(f"exported {account} to {out}" + ("" if keep else "; the local copy is dropped (needs_relogin here)"))


@vault_app.command("import")
def import_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A file written by `prokai vault export`."),
    force: bool = typer.Option(False, "--force", help="Replace a session this node already has."),
) -> None:
    """Import one exported session and seal it with this node's key."""
    from prokai.accounts.vault import VaultError
    from prokai.accounts.vaultops import import_session

    vault = _vault(settings(ctx))
    try:
        doc = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{file}: cannot read: {exc}", EXIT_USAGE)
    passphrase = _passphrase(confirm=False)
    try:
        acc = import_session(database(ctx), vault, doc, passphrase, force=force)
    except VaultError as exc:
        fail(str(exc), EXIT_USAGE)
    typer.echo(f"imported {acc.phone} (state {acc.state})")


def register(app: typer.Typer) -> None:
    """Add `accounts` and `vault` to the root CLI."""
    app.add_typer(accounts_app)
    app.add_typer(vault_app)
