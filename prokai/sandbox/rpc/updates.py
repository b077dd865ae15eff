"""updates.*: state and differences, from each box's pts-ordered update log."""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from prokai.sandbox.rpc import CallContext, rpc
from prokai.sandbox.rpc.peers import input_channel
from prokai.sandbox.views import Refs

CHANNEL_DIFF_TIMEOUT_S = 30


@rpc(functions.updates.GetStateRequest)
async def get_state(ctx: CallContext, req: Any) -> Any:
    """The account box's pts."""
    me = ctx.me()
    return types.updates.State(pts=me.box.pts, qts=0, date=ctx.world.clock.now_int(), seq=0, unread_count=0)


def _split(entries: list[tuple[int, int, Any]], refs: Refs) -> tuple[list[Any], list[Any]]:
    new_messages: list[Any] = []
    other: list[Any] = []
    for _, _, update in entries:
        message = getattr(update, "message", None)
        if isinstance(update, (types.UpdateNewMessage, types.UpdateNewChannelMessage)):
            new_messages.append(message)
        else:
            other.append(update)
        if message is not None:
            peer = message.peer_id
            if isinstance(peer, types.PeerUser):
                refs.user(peer.user_id)
            elif isinstance(peer, types.PeerChannel):
                refs.channel(peer.channel_id)
            if isinstance(message.from_id, types.PeerUser):
                refs.user(message.from_id.user_id)
        peer = getattr(update, "peer", None)
        if isinstance(peer, types.PeerUser):
            refs.user(peer.user_id)
    return new_messages, other


@rpc(functions.updates.GetDifferenceRequest)
async def get_difference(ctx: CallContext, req: Any) -> Any:
    """Everything in the box after the client's pts."""
    me = ctx.me()
    now = ctx.world.clock.now_int()
    oldest = me.box.log[0][0] - me.box.log[0][1] if me.box.log else me.box.pts
    if req.pts > me.box.pts or req.pts < oldest:
        # a state from before a world rebuild, or older than the kept log: start over from ours
        return types.updates.DifferenceTooLong(pts=me.box.pts)
    entries = [e for e in me.box.log if e[0] > req.pts]
    if not entries:
        return types.updates.DifferenceEmpty(date=now, seq=0)
    refs = Refs(ctx.world, me.id)
    refs.user(me.id)
    new_messages, other = _split(entries, refs)
    state = types.updates.State(pts=me.box.pts, qts=0, date=now, seq=0, unread_count=0)
    return types.updates.Difference(
        new_messages=new_messages, new_encrypted_messages=[], other_updates=other,
        chats=refs.chats, users=refs.users, state=state,
    )


@rpc(functions.updates.GetChannelDifferenceRequest)
async def get_channel_difference(ctx: CallContext, req: Any) -> Any:
    """A channel's posts after the client's channel pts."""
    me = ctx.me()
    channel = input_channel(ctx, req.channel)
    entries = [e for e in channel.box.log if e[0] > req.pts][: max(1, req.limit or 100)]
    if not entries:
        return types.updates.ChannelDifferenceEmpty(pts=channel.box.pts, final=True, timeout=CHANNEL_DIFF_TIMEOUT_S)
    refs = Refs(ctx.world, me.id)
    refs.channel(channel.id)
    new_messages, other = _split(entries, refs)
    final = entries[-1][0] >= channel.box.pts
    return types.updates.ChannelDifference(
        pts=entries[-1][0], new_messages=new_messages, other_updates=other,
        chats=refs.chats, users=refs.users, final=final, timeout=CHANNEL_DIFF_TIMEOUT_S,
    )
