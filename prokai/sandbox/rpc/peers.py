"""Resolve Telethon Input* peers to world records (checking access hashes like Telegram)."""

from __future__ import annotations

from typing import Any

from telethon.tl import types

from prokai.sandbox.faults import RpcFault
from prokai.sandbox.model import ChannelRecord, UserRecord
from prokai.sandbox.rpc import CallContext


def input_user(ctx: CallContext, peer: Any) -> UserRecord:
    """InputUser / InputPeerUser / self -> user record."""
    if isinstance(peer, (types.InputUserSelf, types.InputPeerSelf)):
        return ctx.me()
    if isinstance(peer, (types.InputUser, types.InputPeerUser)):
        user = ctx.world.users.get(peer.user_id)
        if user is None or (peer.access_hash != user.access_hash and user.id != ctx.key.user_id):
            raise RpcFault(400, "USER_ID_INVALID")
        return user
    raise RpcFault(400, "USER_ID_INVALID")


def input_channel(ctx: CallContext, peer: Any) -> ChannelRecord:
    """InputChannel / InputPeerChannel -> channel record."""
    if isinstance(peer, (types.InputChannel, types.InputPeerChannel)):
        channel = ctx.world.channels.get(peer.channel_id)
        if channel is None or peer.access_hash != channel.access_hash:
            raise RpcFault(400, "CHANNEL_INVALID")
        return channel
    raise RpcFault(400, "CHANNEL_INVALID")


def input_peer(ctx: CallContext, peer: Any) -> UserRecord | ChannelRecord:
    """Any InputPeer -> record."""
    if isinstance(peer, (types.InputPeerChannel, types.InputChannel)):
        return input_channel(ctx, peer)
    if isinstance(peer, (types.InputPeerUser, types.InputPeerSelf, types.InputUser, types.InputUserSelf)):
        return input_user(ctx, peer)
    raise RpcFault(400, "PEER_ID_INVALID")


def peer_key(rec: UserRecord | ChannelRecord) -> tuple[str, int]:
    """('user'|'channel', id) key used for read markers."""
    return ("channel", rec.id) if isinstance(rec, ChannelRecord) else ("user", rec.id)


def tl_peer(rec: UserRecord | ChannelRecord) -> Any:
    """PeerUser / PeerChannel."""
    if isinstance(rec, ChannelRecord):
        return types.PeerChannel(channel_id=rec.id)
    return types.PeerUser(user_id=rec.id)
