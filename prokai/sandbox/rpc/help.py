"""help.*: the config Telethon asks for on every connect."""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from prokai.sandbox.rpc import CallContext, rpc


@rpc(functions.help.GetConfigRequest, needs_user=False)
async def get_config(ctx: CallContext, req: Any) -> Any:
    """A Config naming this server as the only DC."""
    now = ctx.world.clock.now_int()
    server = getattr(ctx.conn, "server", None)
    host = server.host if server else "127.0.0.1"
    port = server.port if server else 0
    return types.Config(
        date=now, expires=now + 3600, test_mode=False, this_dc=ctx.world.dc_id,
        dc_options=[types.DcOption(id=ctx.world.dc_id, ip_address=host, port=port)],
        dc_txt_domain_name="sandbox.invalid", chat_size_max=200, megagroup_size_max=200000,
        forwarded_count_max=100, online_update_period_ms=210000, offline_blur_timeout_ms=5000,
        offline_idle_timeout_ms=30000, online_cloud_timeout_ms=300000, notify_cloud_delay_ms=30000,
        notify_default_delay_ms=1500, push_chat_period_ms=60000, push_chat_limit=2,
        edit_time_limit=172800, revoke_time_limit=2147483647, revoke_pm_time_limit=2147483647,
        rating_e_decay=2419200, stickers_recent_limit=200, channels_read_media_period=604800,
        call_receive_timeout_ms=20000, call_ring_timeout_ms=90000, call_connect_timeout_ms=30000,
        call_packet_timeout_ms=10000, me_url_prefix="https://t.me/", caption_length_max=1024,
        message_length_max=4096, webfile_dc_id=ctx.world.dc_id,
    )


@rpc(functions.help.GetNearestDcRequest, needs_user=False)
async def get_nearest_dc(ctx: CallContext, req: Any) -> Any:
    """Always this DC."""
    return types.NearestDc(country="KZ", this_dc=ctx.world.dc_id, nearest_dc=ctx.world.dc_id)
