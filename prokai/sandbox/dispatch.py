"""Run one RPC: unwrap invokeWithLayer/initConnection, apply account state and faults, call."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from telethon.tl import functions

from prokai.sandbox.faults import RpcFault, method_name
from prokai.sandbox.rpc import HANDLERS, CallContext, load_all

if TYPE_CHECKING:
    from prokai.sandbox.world import AuthKeyRecord, Subscriber, World

log = logging.getLogger(__name__)
load_all()

_WRAPPERS = (
    functions.InvokeWithLayerRequest,
    functions.InitConnectionRequest,
    functions.InvokeWithoutUpdatesRequest,
    functions.InvokeAfterMsgRequest,
    functions.InvokeAfterMsgsRequest,
)


async def call(world: World, key: AuthKeyRecord, conn: Subscriber, request: Any) -> Any:
    """Handle `request` for the connection; returns the result or raises RpcFault."""
    while isinstance(request, _WRAPPERS):
        if isinstance(request, functions.InvokeWithLayerRequest):
            key.layer = request.layer
        elif isinstance(request, functions.InitConnectionRequest):
            key.device = f"{request.device_model} / {request.system_version}"
            key.app_version = request.app_version
        request = request.query
    method = HANDLERS.get(getattr(request, "CONSTRUCTOR_ID", -1))
    if key.dead_reason is not None:
        code = 406 if key.dead_reason == "AUTH_KEY_DUPLICATED" else 401
        reason = key.dead_reason
        # once reported, the key is simply not logged in any more
        key.user_id = None
        key.dead_reason = None if reason == "SESSION_REVOKED" else "AUTH_KEY_UNREGISTERED"
        raise RpcFault(code, reason)
    user = world.users.get(key.user_id) if key.user_id is not None else None
    try:
        world.faults.check(request, user.id if user else None)
    except RpcFault as fault:
        # injected session errors have the same consequence as real ones: the key is logged out
        if fault.message == "SESSION_REVOKED":
            key.user_id = None
        elif fault.message == "AUTH_KEY_DUPLICATED":
            key.user_id = None
            key.dead_reason = "AUTH_KEY_UNREGISTERED"
        raise
    if method is None:
        log.warning("sandbox does not implement %s", method_name(request))
        raise RpcFault(400, "METHOD_NOT_SUPPORTED_BY_SANDBOX")
    if method.needs_user:
        if user is None:
            raise RpcFault(401, "AUTH_KEY_UNREGISTERED")
        if user.banned:
            raise RpcFault(401, "USER_DEACTIVATED_BAN")
        if method.writes and user.frozen:
            raise RpcFault(420, "FROZEN_METHOD_INVALID")
        if world.limiter is not None:
            world.limiter.check_call(limit_name(request), user)
    return await method.handler(CallContext(world, key, conn, request), request)


def limit_name(request: Any) -> str:
    """`contacts.ResolveUsername` style name the limits profile keys its rules by."""
    return method_name(request).removesuffix("Request")
