"""auth.* and account.*: login codes (app or SMS through the SimBox), sign-in, 2FA with SRP."""

from __future__ import annotations

import os
import struct
from typing import Any

from telethon.tl import functions, types

from prokai.sandbox.crypto import DH_PRIME_BYTES
from prokai.sandbox.faults import RpcFault
from prokai.sandbox.rpc import CallContext, rpc
from prokai.sandbox.srp import SrpAccount
from prokai.sandbox.views import tl_user
from prokai.sandbox.world import CODE_LENGTH, normalize_phone


def _sent_code(code: Any) -> Any:
    kind = types.auth.SentCodeTypeApp(CODE_LENGTH) if code.kind == "app" else types.auth.SentCodeTypeSms(CODE_LENGTH)
    return types.auth.SentCode(
        type=kind,
        phone_code_hash=code.phone_code_hash,
        next_type=types.auth.CodeTypeSms() if code.kind == "app" else None,
        timeout=60 if code.kind == "app" else None,
    )


@rpc(functions.auth.SendCodeRequest, needs_user=False)
async def send_code(ctx: CallContext, req: Any) -> Any:
    """Code to the account's other sessions if it has any, else by SMS to the SIM."""
    digits = normalize_phone(req.phone_number)
    if len(digits) < 8:
        raise RpcFault(400, "PHONE_NUMBER_INVALID")
    code = await ctx.world.send_code(digits)
    return _sent_code(code)


@rpc(functions.auth.ResendCodeRequest, needs_user=False)
async def resend_code(ctx: CallContext, req: Any) -> Any:
    """The same code again, now by SMS."""
    digits = normalize_phone(req.phone_number)
    rec = ctx.world.codes.get(digits)
    if rec is None or rec.phone_code_hash != req.phone_code_hash:
        raise RpcFault(400, "PHONE_CODE_EXPIRED")
    code = await ctx.world.send_code(digits, force_sms=True)
    return _sent_code(code)


@rpc(functions.auth.CancelCodeRequest, needs_user=False)
async def cancel_code(ctx: CallContext, req: Any) -> Any:
    """Forget the pending code."""
    ctx.world.consume_code(req.phone_number)
    return True


@rpc(functions.auth.SignInRequest, needs_user=False)
async def sign_in(ctx: CallContext, req: Any) -> Any:
    """Check the code; unoccupied number -> sign-up required; 2FA -> SESSION_PASSWORD_NEEDED."""
    world = ctx.world
    world.check_code(req.phone_number, req.phone_code_hash, req.phone_code or "")
    user = world.user_by_phone(req.phone_number)
    if user is None:
        return types.auth.AuthorizationSignUpRequired()
    if user.banned:
        raise RpcFault(400, "PHONE_NUMBER_BANNED")
    world.consume_code(req.phone_number)
    if user.password is not None:
        ctx.key.pending_user_id = user.id
        raise RpcFault(401, "SESSION_PASSWORD_NEEDED")
    world.bind_key(ctx.key, user)
    return types.auth.Authorization(user=tl_user(user, user.id))


@rpc(functions.auth.SignUpRequest, needs_user=False)
async def sign_up(ctx: CallContext, req: Any) -> Any:
    """Refused like Telegram refuses third-party sign-ups since 2023."""
    raise RpcFault(406, "UPDATE_APP_TO_LOGIN")


@rpc(functions.auth.LogOutRequest, needs_user=False)
async def log_out(ctx: CallContext, req: Any) -> Any:
    """Unbind the key."""
    ctx.key.user_id = None
    return types.auth.LoggedOut()


def _srp_account(ctx: CallContext, user_id: int) -> SrpAccount:
    user = ctx.world.users[user_id]
    if user.password is None:
        raise RpcFault(400, "PASSWORD_EMPTY")
    cached = user.srp_cache.get("account")
    if cached is None or user.srp_cache.get("password") != user.password:
        cached = SrpAccount(user.password)
        user.srp_cache["account"] = cached
        user.srp_cache["password"] = user.password
    return cached


def _password_user(ctx: CallContext) -> int:
    uid = ctx.key.pending_user_id or ctx.key.user_id
    if uid is None:
        raise RpcFault(401, "AUTH_KEY_UNREGISTERED")
    return uid


@rpc(functions.account.GetPasswordRequest, needs_user=False)
async def get_password(ctx: CallContext, req: Any) -> Any:
    """The SRP parameters and a fresh server challenge B."""
    uid = _password_user(ctx)
    user = ctx.world.users[uid]
    new_algo = types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow(
        salt1=os.urandom(8), salt2=os.urandom(16), g=3, p=DH_PRIME_BYTES
    )
    secure = types.SecurePasswordKdfAlgoPBKDF2HMACSHA512iter100000(salt=os.urandom(8))
    if user.password is None:
        return types.account.Password(
            new_algo=new_algo, new_secure_algo=secure, secure_random=os.urandom(32), has_password=False
        )
    acc = _srp_account(ctx, uid)
    b, big_b = acc.challenge()
    srp_id = struct.unpack("<q", os.urandom(8))[0]
    ctx.key.srp = {"id": srp_id, "b": b, "B": big_b, "user_id": uid}
    return types.account.Password(
        new_algo=new_algo, new_secure_algo=secure, secure_random=os.urandom(32), has_password=True,
        current_algo=acc.algo(), srp_B=big_b, srp_id=srp_id, hint=user.password_hint or None,
    )


@rpc(functions.auth.CheckPasswordRequest, needs_user=False)
async def check_password(ctx: CallContext, req: Any) -> Any:
    """Verify the SRP proof; right -> logged in, wrong -> PASSWORD_HASH_INVALID."""
    uid = _password_user(ctx)
    srp = ctx.key.srp
    check = req.password
    if not isinstance(check, types.InputCheckPasswordSRP) or not srp or srp.get("id") != check.srp_id:
        raise RpcFault(400, "SRP_ID_INVALID")
    ctx.key.srp = {}
    acc = _srp_account(ctx, uid)
    if not acc.verify(srp["b"], srp["B"], check.A, check.M1):
        raise RpcFault(400, "PASSWORD_HASH_INVALID")
    user = ctx.world.users[uid]
    if user.banned:
        raise RpcFault(401, "USER_DEACTIVATED_BAN")
    ctx.world.bind_key(ctx.key, user)
    return types.auth.Authorization(user=tl_user(user, user.id))


@rpc(functions.account.UpdateStatusRequest)
async def update_status(ctx: CallContext, req: Any) -> Any:
    """Online/offline: accepted."""
    return True
