"""users.*, contacts.*: who is who, usernames."""

from __future__ import annotations

import re
from typing import Any

from telethon.tl import functions, types

from prokai.sandbox.faults import RpcFault
from prokai.sandbox.model import ChannelRecord
from prokai.sandbox.rpc import CallContext, rpc
from prokai.sandbox.rpc.peers import input_user
from prokai.sandbox.views import Refs, tl_channel, tl_photo, tl_user

# What Telegram accepts as a username: a letter first, then letters, digits and underscores,
# 5-32 characters (4 for collectible ones), no trailing underscore (limits.tginfo.me).
USERNAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,30}[A-Za-z0-9]")


@rpc(functions.users.GetUsersRequest)
async def get_users(ctx: CallContext, req: Any) -> Any:
    """Vector<User>; unknown users are skipped."""
    me = ctx.me()
    out = []
    for item in req.id:
        try:
            out.append(tl_user(input_user(ctx, item), me.id, ctx.world.dc_id))
        except RpcFault:
            continue
    return out


@rpc(functions.users.GetFullUserRequest)
async def get_full_user(ctx: CallContext, req: Any) -> Any:
    """users.UserFull with the profile's about text (bots: description)."""
    me = ctx.me()
    user = input_user(ctx, req.id)
    bot_info = types.BotInfo(
        user_id=user.id, description=user.about,
        commands=[types.BotCommand(command=c, description=d) for c, d in user.commands],
    ) if user.is_bot else None
    full = types.UserFull(
        id=user.id,
        settings=types.PeerSettings(),
        notify_settings=types.PeerNotifySettings(),
        common_chats_count=0,
        about=user.about or None,
        bot_info=bot_info,
        profile_photo=tl_photo(user.photo, ctx.world.dc_id) if user.photo else None,
    )
    return types.users.UserFull(full_user=full, chats=[], users=[tl_user(user, me.id, ctx.world.dc_id)])


@rpc(functions.contacts.ResolveUsernameRequest)
async def resolve_username(ctx: CallContext, req: Any) -> Any:
    """@username -> user or channel; USERNAME_NOT_OCCUPIED otherwise."""
    me = ctx.me()
    if not USERNAME_RE.fullmatch(req.username.lstrip("@")):
        raise RpcFault(400, "USERNAME_INVALID")
    target = ctx.world.usernames.get(req.username.lower().lstrip("@"))
    if target is None:
        raise RpcFault(400, "USERNAME_NOT_OCCUPIED")
    kind, ident = target
    if kind == "channel":
        channel: ChannelRecord = ctx.world.channels[ident]
        return types.contacts.ResolvedPeer(
            peer=types.PeerChannel(ident), chats=[tl_channel(channel, me.id, ctx.world.dc_id)], users=[]
        )
    return types.contacts.ResolvedPeer(
        peer=types.PeerUser(ident), chats=[], users=[tl_user(ctx.world.users[ident], me.id, ctx.world.dc_id)]
    )


@rpc(functions.contacts.ResolvePhoneRequest)
async def resolve_phone(ctx: CallContext, req: Any) -> Any:
    """+phone -> user (sandbox: every account is findable by phone)."""
    me = ctx.me()
    user = ctx.world.user_by_phone(req.phone)
    if user is None:
        raise RpcFault(400, "PHONE_NOT_OCCUPIED")
    return types.contacts.ResolvedPeer(peer=types.PeerUser(user.id), chats=[], users=[tl_user(user, me.id, ctx.world.dc_id)])


@rpc(functions.contacts.GetContactsRequest)
async def get_contacts(ctx: CallContext, req: Any) -> Any:
    """The account's contacts (those it imported); Telethon resolves +phone entities here."""
    me = ctx.me()
    users = [ctx.world.users[uid] for uid in sorted(me.contacts) if uid in ctx.world.users]
    tl = []
    for user in users:
        item = tl_user(user, me.id, ctx.world.dc_id)
        item.contact = True
        item.phone = user.phone
        tl.append(item)
    return types.contacts.Contacts(
        contacts=[types.Contact(user_id=u.id, mutual=False) for u in users], saved_count=0, users=tl
    )


@rpc(functions.contacts.ImportContactsRequest)
async def import_contacts(ctx: CallContext, req: Any) -> Any:
    """Add phone numbers as contacts; numbers with an account come back as users."""
    me = ctx.me()
    imported, users = [], []
    for contact in req.contacts:
        user = ctx.world.user_by_phone(contact.phone)
        if user is None or user.id == me.id:  # no account on that number: simply not imported
            continue
        me.contacts.add(user.id)
        imported.append(types.ImportedContact(user_id=user.id, client_id=contact.client_id))
        item = tl_user(user, me.id, ctx.world.dc_id)
        item.contact = True
        item.phone = user.phone
        users.append(item)
    return types.contacts.ImportedContacts(imported=imported, popular_invites=[], retry_contacts=[], users=users)


@rpc(functions.contacts.SearchRequest)
async def search(ctx: CallContext, req: Any) -> Any:
    """Public users, bots and channels whose username, name or title contains the query."""
    me = ctx.me()
    q = req.q.lower().lstrip("@")
    if len(q) < 3:
        raise RpcFault(400, "QUERY_TOO_SHORT")
    peers: list[Any] = []
    users: list[Any] = []
    chats: list[Any] = []
    for key, (kind, ident) in sorted(ctx.world.usernames.items()):
        if len(peers) >= max(1, req.limit or 20):
            break
        if kind == "user":
            user = ctx.world.users[ident]
            if q in key or q in f"{user.first_name} {user.last_name}".lower():
                peers.append(types.PeerUser(ident))
                users.append(tl_user(user, me.id, ctx.world.dc_id))
        else:
            channel = ctx.world.channels[ident]
            if q in key or q in channel.title.lower():
                peers.append(types.PeerChannel(ident))
                chats.append(tl_channel(channel, me.id, ctx.world.dc_id))
    return types.contacts.Found(my_results=[], results=peers, chats=chats, users=users)


def refs_for(ctx: CallContext) -> Refs:
    """A Refs collector for the calling user."""
    return Refs(ctx.world, ctx.key.user_id)


@rpc(functions.photos.GetUserPhotosRequest)
async def get_user_photos(ctx: CallContext, req: Any) -> Any:
    """The user's profile photos (the sandbox keeps the current one)."""
    ctx.me()
    user = input_user(ctx, req.user_id)
    photos = [tl_photo(user.photo, ctx.world.dc_id)] if user.photo else []
    return types.photos.Photos(photos=photos, users=[])
