"""`prokai sandbox scenarios try ID`: see a scenario work before shipping it.

Starts a private in-process sandbox with the scenarios, logs in one buyer with stock Telethon,
follows each of the scenario's walks and prints every message the shop sent (text, buttons,
pictures), then whether the requisite received is the ground truth's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telethon import TelegramClient
from telethon.sessions import StringSession

from prokai.sandbox.connect import configure
from prokai.sandbox.shops.harness import shop_sandbox
from prokai.sandbox.shops.loader import LoadedScenario
from prokai.sandbox.shops.truth import ground_truth
from prokai.sandbox.shops.walk import Walker, WalkError, button_rows

API_ID = 2040
API_HASH = "b18441a1ff607e10a989891a5462e627"


def describe(msg: Any) -> str:
    """One shop message as a readable block: text, [picture], [buttons]."""
    parts = []
    if getattr(msg, "photo", None):
        parts.append("[picture]")
    if msg.message:
        parts.append(msg.message)
    rows = button_rows(msg)
    if rows:
        parts.append("  ".join("[" + " | ".join(b.text for b in row) + "]" for row in rows))
    edited = " (edited)" if msg.edit_date else ""
    return f"  shop{edited}: " + "\n        ".join("\n".join(parts).splitlines() or [""])


async def try_scenario(scenarios: list[LoadedScenario], scenario_id: str, echo: Callable[[str], Any]) -> bool:
    """Walk every walk of one scenario; True when each ends with the ground-truth requisite."""
    sc = next(s for s in scenarios if s.id == scenario_id)
    ok = True
    async with shop_sandbox(scenarios=scenarios, accounts=max(1, len(sc.spec.walks))) as sb:
        if not sc.spec.walks:
            echo(f"{sc.id}: no walks to try (kind: {sc.spec.kind})")
            return True
        for i, walk in enumerate(sc.spec.walks):
            client = TelegramClient(StringSession(), API_ID, API_HASH, flood_sleep_threshold=0)
            configure(client, sb.server.host, sb.server.port, sb.server.dc_id)
            await client.connect()
            phone = sb.phones[i]
            await client.send_code_request(phone)
            await client.sign_in(phone, sb.world.codes[phone.lstrip("+")].code)
            echo(f"== {sc.id}: walk {i + 1} via {walk.via} (pool {walk.pool})")
            try:
                res = await Walker(client, sb.shops).walk(sc, walk)
            except WalkError as exc:
                echo(f"  FAILED: {exc}")
                ok = False
                await client.disconnect()
                continue
            for step, msgs in res.steps:
                echo(f"buyer: {step}")
                for msg in msgs:
                    echo(describe(msg))
            truth = ground_truth([sc], sb.today(), sb.shops.start_date)
            values = [r["value"] for s in truth["shops"] for r in s["requisites"] if r["pool"] == walk.pool]
            if res.handout is None:
                echo("  RESULT: no requisite was handed out")
                ok = False
            else:
                good = res.handout.requisite.value in values
                ok = ok and good
                echo(f"  RESULT: {res.handout.requisite.kind} {res.handout.requisite.value} "
                     f"({'in' if good else 'NOT in'} the ground truth for {sb.today().isoformat()})")
            await client.disconnect()
    return ok
