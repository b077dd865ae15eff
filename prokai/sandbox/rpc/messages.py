"""messages.* and channels.*: send, history, dialogs, read, bots and their buttons, channels."""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from prokai.sandbox.faults import RpcFault
from prokai.sandbox.model import ChannelRecord, StoredMessage, UserRecord
from prokai.sandbox.rpc import CallContext, rpc
from prokai.sandbox.rpc.peers import input_channel, input_peer, input_user, peer_key, tl_peer
from prokai.sandbox.views import Refs, tl_channel, tl_message


def _box_messages(ctx: CallContext, me: UserRecord, peer: UserRecord | ChannelRecord) -> list[StoredMessage]:
    if isinstance(peer, ChannelRecord):
        return list(peer.box.messages.values())
    return [m for m in me.box.messages.values() if m.chat_user_id == peer.id]


def _check_can_write(me: UserRecord, peer: UserRecord | ChannelRecord, ctx: CallContext,
                     method: str = "messages.SendMessage") -> UserRecord:
    """Whether `me` may write into the chat with `peer`: a channel is read-only; PEER_FLOOD for a
    restricted account writing to someone who never wrote first, and (limits profile) for one
    that opens more new chats than its age allows; the per-chat rate."""
    if isinstance(peer, ChannelRecord):
        raise RpcFault(403, "CHAT_WRITE_FORBIDDEN")
    limiter = ctx.world.limiter
    if limiter is not None:
        limiter.check_chat(method, me, peer.id)
    restricted = limiter.restricted(me) if limiter is not None else me.peer_flood
    if restricted and (not peer.is_bot or limiter is not None):
        wrote_first = any(not m.out and m.chat_user_id == peer.id for m in me.box.messages.values())
        if not wrote_first:
            raise RpcFault(400, "PEER_FLOOD")
    if limiter is not None and peer.id not in me.contacts and not any(
        m.chat_user_id == peer.id for m in me.box.messages.values()
    ):
        limiter.new_chat(me, peer)
    return peer


@rpc(functions.messages.SendMessageRequest, writes=True)
async def send_message(ctx: CallContext, req: Any) -> Any:
    """Private message to a user or bot; returns UpdateShortSentMessage like Telegram."""
    me = ctx.me()
    if not req.message or not req.message.strip():
        raise RpcFault(400, "MESSAGE_EMPTY")
    if len(req.message) > 4096:
        raise RpcFault(400, "MESSAGE_TOO_LONG")
    peer = _check_can_write(me, input_peer(ctx, req.peer), ctx)
    msg_id = ctx.world.send_private(me.id, peer.id, req.message, exclude=ctx.conn, entities=req.entities or ())
    msg = me.box.messages[msg_id]
    return types.UpdateShortSentMessage(
        id=msg_id, pts=me.box.pts, pts_count=1, date=msg.date, out=True, entities=list(msg.entities) or None
    )


@rpc(functions.messages.StartBotRequest, writes=True)
async def start_bot(ctx: CallContext, req: Any) -> Any:
    """'/start <param>' to a bot."""
    me = ctx.me()
    bot = input_user(ctx, req.bot)
    if not bot.is_bot:
        raise RpcFault(400, "BOT_INVALID")
    _check_can_write(me, bot, ctx, "messages.StartBot")
    text = f"/start {req.start_param}".strip() if req.start_param else "/start"
    msg_id = ctx.world.send_private(me.id, bot.id, text, exclude=ctx.conn)
    msg = me.box.messages[msg_id]
    refs = Refs(ctx.world, me.id)
    refs.message(msg)
    update = types.UpdateNewMessage(tl_message(msg, ctx.world.dc_id), me.box.pts, 1)
    return types.Updates(
        updates=[types.UpdateMessageID(id=msg_id, random_id=req.random_id), update],
        users=refs.users, chats=refs.chats, date=msg.date, seq=0,
    )


def _timestamp(value: Any) -> int:
    """TL dates arrive as datetime (epoch = unset) or int."""
    if value is None:
        return 0
    return value if isinstance(value, int) else int(value.timestamp())


def _page(msgs: list[StoredMessage], req: Any) -> list[StoredMessage]:
    msgs = sorted(msgs, key=lambda m: m.id, reverse=True)
    offset_date = _timestamp(getattr(req, "offset_date", None))  # messages.search has none
    if offset_date and not req.offset_id:  # offset_id wins when both are given (Telethon sends both)
        msgs = [m for m in msgs if m.date < offset_date]
    start = sum(1 for m in msgs if m.id >= req.offset_id) if req.offset_id else 0
    start += req.add_offset or 0
    end = start + (req.limit or 100)
    start = max(0, start)
    page = msgs[start:max(start, end)]
    if req.max_id:
        page = [m for m in page if m.id < req.max_id]
    if req.min_id:
        page = [m for m in page if m.id > req.min_id]
    return page


@rpc(functions.messages.GetHistoryRequest)
async def get_history(ctx: CallContext, req: Any) -> Any:
    """A page of a private chat or channel, newest first."""
    me = ctx.me()
    peer = input_peer(ctx, req.peer)
    msgs = _box_messages(ctx, me, peer)
    page = _page(msgs, req)
    refs = Refs(ctx.world, me.id)
    for m in page:
        refs.message(m)
        if m.views is not None:  # a channel post counts each account that loaded it once
            m.viewers.add(me.id)
            m.views = len(m.viewers)
    tl = [tl_message(m, ctx.world.dc_id) for m in page]
    if isinstance(peer, ChannelRecord):
        refs.channel(peer.id)
        return types.messages.ChannelMessages(
            pts=peer.box.pts, count=len(msgs), messages=tl, topics=[], chats=refs.chats, users=refs.users
        )
    return types.messages.MessagesSlice(count=len(msgs), messages=tl, topics=[], chats=refs.chats, users=refs.users)


def _message_empty(mid: int) -> Any:
    # Telethon patches MessageEmpty with its high-level Message __init__; set the TL fields directly
    empty = types.MessageEmpty.__new__(types.MessageEmpty)
    empty.id = mid
    empty.peer_id = None
    return empty


def _message_list(ctx: CallContext, me: UserRecord, box_msgs: dict[int, StoredMessage], ids: list[Any]) -> tuple[list[Any], Refs]:
    refs = Refs(ctx.world, me.id)
    out: list[Any] = []
    for item in ids:
        mid = getattr(item, "id", item)
        msg = box_msgs.get(mid) if isinstance(mid, int) else None
        if msg is None:
            out.append(_message_empty(mid if isinstance(mid, int) else 0))
        else:
            refs.message(msg)
            out.append(tl_message(msg, ctx.world.dc_id))
    return out, refs


@rpc(functions.messages.GetMessagesRequest)
async def get_messages(ctx: CallContext, req: Any) -> Any:
    """Messages of the caller's own box by id."""
    me = ctx.me()
    out, refs = _message_list(ctx, me, me.box.messages, req.id)
    return types.messages.Messages(messages=out, topics=[], chats=refs.chats, users=refs.users)


@rpc(functions.channels.GetMessagesRequest)
async def get_channel_messages(ctx: CallContext, req: Any) -> Any:
    """Channel posts by id."""
    me = ctx.me()
    channel = input_channel(ctx, req.channel)
    out, refs = _message_list(ctx, me, channel.box.messages, req.id)
    refs.channel(channel.id)
    return types.messages.ChannelMessages(
        pts=channel.box.pts, count=len(channel.box.messages), messages=out, topics=[],
        chats=refs.chats, users=refs.users,
    )


def _dialog_rows(ctx: CallContext, me: UserRecord) -> list[tuple[StoredMessage, UserRecord | ChannelRecord]]:
    tops: dict[int, StoredMessage] = {}
    for msg in me.box.messages.values():
        assert msg.chat_user_id is not None
        cur = tops.get(msg.chat_user_id)
        if cur is None or msg.id > cur.id:
            tops[msg.chat_user_id] = msg
    rows: list[tuple[StoredMessage, UserRecord | ChannelRecord]] = [
        (m, ctx.world.users[uid]) for uid, m in tops.items()
    ]
    for cid in me.channels:
        channel = ctx.world.channels[cid]
        if channel.box.messages:
            rows.append((channel.box.messages[max(channel.box.messages)], channel))
    rows.sort(key=lambda r: (r[0].date, r[0].id), reverse=True)
    return rows


@rpc(functions.messages.GetDialogsRequest)
async def get_dialogs(ctx: CallContext, req: Any) -> Any:
    """Private chats and joined channels, most recent first."""
    me = ctx.me()
    rows = _dialog_rows(ctx, me)
    total = len(rows)
    if req.offset_peer is not None and not isinstance(req.offset_peer, types.InputPeerEmpty):
        try:
            anchor = peer_key(input_peer(ctx, req.offset_peer))
            keys = [peer_key(r[1]) for r in rows]
            if anchor in keys:
                rows = rows[keys.index(anchor) + 1 :]
        except RpcFault:
            pass
    page = rows[: req.limit or 100]
    refs = Refs(ctx.world, me.id)
    dialogs, messages = [], []
    for top, peer in page:
        key = peer_key(peer)
        read_in = me.read_inbox.get(key, 0)
        msgs = _box_messages(ctx, me, peer)
        unread = sum(1 for m in msgs if not m.out and m.id > read_in)
        dialogs.append(
            types.Dialog(
                peer=tl_peer(peer), top_message=top.id, read_inbox_max_id=read_in,
                read_outbox_max_id=me.read_outbox.get(key, 0), unread_count=unread,
                unread_mentions_count=0, unread_reactions_count=0, unread_poll_votes_count=0,
                notify_settings=types.PeerNotifySettings(),
                pts=peer.box.pts if isinstance(peer, ChannelRecord) else None,
            )
        )
        messages.append(tl_message(top, ctx.world.dc_id))
        refs.message(top)
        if isinstance(peer, ChannelRecord):
            refs.channel(peer.id)
        else:
            refs.user(peer.id)
    if len(page) < len(rows):
        return types.messages.DialogsSlice(
            count=total, dialogs=dialogs, messages=messages, chats=refs.chats, users=refs.users
        )
    return types.messages.Dialogs(dialogs=dialogs, messages=messages, chats=refs.chats, users=refs.users)


@rpc(functions.messages.ReadHistoryRequest)
async def read_history(ctx: CallContext, req: Any) -> Any:
    """Mark a private chat read; the other party sees its messages read."""
    me = ctx.me()
    peer = input_peer(ctx, req.peer)
    if isinstance(peer, ChannelRecord):
        raise RpcFault(400, "PEER_ID_INVALID")
    pts = ctx.world.read_private(me.id, peer.id, req.max_id)
    return types.messages.AffectedMessages(pts=pts, pts_count=1)


@rpc(functions.messages.SetTypingRequest)
async def set_typing(ctx: CallContext, req: Any) -> Any:
    """Typing indicators are accepted and dropped."""
    ctx.me()
    return True


@rpc(functions.messages.GetBotCallbackAnswerRequest, writes=True)
async def get_bot_callback_answer(ctx: CallContext, req: Any) -> Any:
    """Press an inline button: the bot answers, or BOT_RESPONSE_TIMEOUT in sandbox time."""
    me = ctx.me()
    peer = input_peer(ctx, req.peer)
    if isinstance(peer, ChannelRecord) or req.data is None:
        raise RpcFault(400, "DATA_INVALID")
    if ctx.world.limiter is not None:
        ctx.world.limiter.check_chat("messages.GetBotCallbackAnswer", me, peer.id)
    answer = await ctx.world.press_button(me.id, peer.id, req.msg_id, req.data)
    if answer is None:
        return types.messages.BotCallbackAnswer(cache_time=0)
    return types.messages.BotCallbackAnswer(
        cache_time=0, alert=answer.alert or None, has_url=bool(answer.url) or None,
        message=answer.text, url=answer.url,
    )


# ---------------------------------------------------------------------- channels


def _channel_updates(ctx: CallContext, channel: ChannelRecord, me: UserRecord) -> Any:
    return types.Updates(
        updates=[types.UpdateChannel(channel_id=channel.id)], users=[],
        chats=[tl_channel(channel, me.id, ctx.world.dc_id)], date=ctx.world.clock.now_int(), seq=0,
    )


@rpc(functions.channels.JoinChannelRequest, writes=True)
async def join_channel(ctx: CallContext, req: Any) -> Any:
    """Subscribe to a channel."""
    me = ctx.me()
    channel = input_channel(ctx, req.channel)
    ctx.world.join_channel(me.id, channel.id)
    return _channel_updates(ctx, channel, me)


def _by_invite(ctx: CallContext, invite_hash: str) -> ChannelRecord:
    for channel in ctx.world.channels.values():
        if channel.invite_hash and channel.invite_hash == invite_hash:
            return channel
    raise RpcFault(400, "INVITE_HASH_INVALID")


@rpc(functions.messages.CheckChatInviteRequest)
async def check_chat_invite(ctx: CallContext, req: Any) -> Any:
    """What an invite link leads to (without joining)."""
    me = ctx.me()
    channel = _by_invite(ctx, req.hash)
    if me.id in channel.members:
        return types.ChatInviteAlready(chat=tl_channel(channel, me.id, ctx.world.dc_id))
    return types.ChatInvite(
        title=channel.title, photo=types.PhotoEmpty(id=0), participants_count=len(channel.members), color=0,
        channel=True, broadcast=True, about=channel.about or None,
    )


@rpc(functions.messages.ImportChatInviteRequest, writes=True)
async def import_chat_invite(ctx: CallContext, req: Any) -> Any:
    """Join a channel by its invite link hash."""
    me = ctx.me()
    channel = _by_invite(ctx, req.hash)
    if me.id in channel.members:
        raise RpcFault(400, "USER_ALREADY_PARTICIPANT")
    ctx.world.join_channel(me.id, channel.id)
    return _channel_updates(ctx, channel, me)


@rpc(functions.channels.LeaveChannelRequest)
async def leave_channel(ctx: CallContext, req: Any) -> Any:
    """Unsubscribe."""
    me = ctx.me()
    channel = input_channel(ctx, req.channel)
    channel.members.discard(me.id)
    me.channels.discard(channel.id)
    return _channel_updates(ctx, channel, me)


@rpc(functions.channels.ReadHistoryRequest)
async def read_channel(ctx: CallContext, req: Any) -> Any:
    """Mark channel posts read."""
    me = ctx.me()
    channel = input_channel(ctx, req.channel)
    ctx.world.read_channel(me.id, channel.id, req.max_id)
    return True


@rpc(functions.channels.GetFullChannelRequest)
async def get_full_channel(ctx: CallContext, req: Any) -> Any:
    """ChannelFull with the description (`about`)."""
    me = ctx.me()
    channel = input_channel(ctx, req.channel)
    read_in = me.read_inbox.get(("channel", channel.id), 0)
    full = types.ChannelFull(
        id=channel.id, about=channel.about, read_inbox_max_id=read_in, read_outbox_max_id=0,
        unread_count=sum(1 for mid in channel.box.messages if mid > read_in) if me.id in channel.members else 0,
        chat_photo=types.PhotoEmpty(id=0), notify_settings=types.PeerNotifySettings(), bot_info=[],
        pts=channel.box.pts, participants_count=len(channel.members),
    )
    return types.messages.ChatFull(full_chat=full, chats=[tl_channel(channel, me.id, ctx.world.dc_id)], users=[])


@rpc(functions.channels.GetChannelsRequest)
async def get_channels(ctx: CallContext, req: Any) -> Any:
    """Channels by InputChannel."""
    me = ctx.me()
    return types.messages.Chats(chats=[tl_channel(input_channel(ctx, c), me.id, ctx.world.dc_id) for c in req.id])


@rpc(functions.messages.GetPeerDialogsRequest)
async def get_peer_dialogs(ctx: CallContext, req: Any) -> Any:
    """Dialog rows for specific peers."""
    me = ctx.me()
    wanted = set()
    for p in req.peers:
        wanted.add(peer_key(input_peer(ctx, getattr(p, "peer", p))))
    dialogs = await get_dialogs(ctx, functions.messages.GetDialogsRequest(
        offset_date=None, offset_id=0, offset_peer=types.InputPeerEmpty(), limit=1000, hash=0))
    keep = [d for d in dialogs.dialogs if (("channel", d.peer.channel_id) if isinstance(d.peer, types.PeerChannel)
            else ("user", d.peer.user_id)) in wanted]
    state = types.updates.State(pts=me.box.pts, qts=0, date=ctx.world.clock.now_int(), seq=0, unread_count=0)
    return types.messages.PeerDialogs(
        dialogs=keep, messages=dialogs.messages, chats=dialogs.chats, users=dialogs.users, state=state
    )


