"""The Bot API methods the sandbox serves, with Telegram's results and error descriptions."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from prokai.sandbox.botapi.errors import BotApiError, bad_request, forbidden
from prokai.sandbox.botapi.files import MAX_DOWNLOAD_BYTES, FileStore, StoredFile
from prokai.sandbox.botapi.markup import format_text, utf16_len
from prokai.sandbox.botapi.params import Params, Upload
from prokai.sandbox.botapi.updates import UpdateQueue
from prokai.sandbox.botapi.world import CallbackAnswer, SandboxChat, SandboxMessage, World

MAX_TEXT = 4096
MAX_CAPTION = 1024
CALLBACK_ANSWER_WINDOW_S = 15.0  # after this (real) time a callback query can no longer be answered
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a "
    "current content and reply markup of the message"
)
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
}


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is (getMe)."""

    id: int
    first_name: str
    username: str

    def to_api(self) -> dict[str, Any]:
        """As a Bot API User (the short form used in messages)."""
        return {"id": self.id, "is_bot": True, "first_name": self.first_name, "username": self.username}


Handler = Callable[[Params], Awaitable[Any]]


class BotApi:
    """Method implementations over the sandbox world; `handlers` maps lower-case names to them."""

    def __init__(self, bot: BotIdentity, world: World, files: FileStore, updates: UpdateQueue) -> None:
        self.bot = bot
        self.world = world
        self.files = files
        self.updates = updates
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.reply_keyboards: dict[int, dict[str, Any]] = {}
        self.profile: dict[tuple[str, str], str] = {}
        self.menu_buttons: dict[int, dict[str, Any]] = {}
        self.handlers: dict[str, Handler] = {
            name[len("m_") :]: getattr(self, name) for name in dir(self) if name.startswith("m_")
        }

    # --- serialization ------------------------------------------------------------------------

    def message_to_api(self, message: SandboxMessage, with_reply: bool = True) -> dict[str, Any]:
        """A sandbox message as a Bot API Message."""
        chat = self.world.chats[message.chat_id]
        sender = self.bot.to_api() if message.from_bot else self.world.users[message.from_id].to_api()
        out: dict[str, Any] = {
            "message_id": message.message_id,
            "from": sender,
            "chat": chat.to_api(self.world.users),
            "date": message.date,
        }
        if message.reply_to_message_id is not None and with_reply:
            replied = self.world.find_message(message.chat_id, message.reply_to_message_id)
            if replied is not None:
                out["reply_to_message"] = self.message_to_api(replied, with_reply=False)
        if message.edit_date is not None:
            out["edit_date"] = message.edit_date
        if message.text is not None:
            out["text"] = message.text
            if message.entities:
                out["entities"] = message.entities
        if message.photo:
            out["photo"] = [size.photo_size() for size in message.photo]
        if message.document is not None:
            out["document"] = message.document.document()
        if message.caption:
            out["caption"] = message.caption
            if message.caption_entities:
                out["caption_entities"] = message.caption_entities
        if message.media_group_id:
            out["media_group_id"] = message.media_group_id
        if message.reply_markup:
            out["reply_markup"] = message.reply_markup
        return out

    def chat_instance(self, chat_id: int) -> str:
        """A stable global identifier of the chat, as callback queries carry it."""
        return str((chat_id * 2654435761 + 97531) % (1 << 62))

    # --- helpers ------------------------------------------------------------------------------

    def _chat(self, p: Params, name: str = "chat_id") -> SandboxChat:
        ref = p.chat_id(name)
        if isinstance(ref, str):
            wanted = ref[1:].lower()
            for candidate in self.world.chats.values():
                if candidate.username and candidate.username.lower() == wanted:
                    return candidate
            raise bad_request("chat not found")
        found = self.world.chats.get(ref)
        if found is None:
            raise bad_request("chat not found")
        return found

    def _check_can_send(self, chat: SandboxChat) -> None:
        if chat.type == "private":
            user = self.world.users[chat.id]
            if user.blocked_bot:
                raise forbidden("bot was blocked by the user")
            if not user.started_bot:
                raise forbidden("bot can't initiate conversation with a user")
            return
        kind = "supergroup" if chat.type == "supergroup" else "group"
        if chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {kind} chat")
        if chat.bot_status == "left":
            raise forbidden(f"bot is not a member of the {kind} chat")

    def _message(self, p: Params, chat: SandboxChat, missing: str) -> SandboxMessage:
        if p.raw("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        message_id = p.integer("message_id", error="message identifier is not specified")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = self.world.find_message(chat.id, message_id)
        if message is None:
            raise bad_request(missing)
        return message

    def _text(
        self, p: Params, field: str, entities_field: str, limit: int, too_long: str
    ) -> tuple[str, list[Any]]:
        raw = p.string(field) or ""
        entities = p.json(entities_field, f"can't parse {entities_field} JSON object")
        if entities is not None and not isinstance(entities, list):
            raise bad_request(f"can't parse {entities_field} JSON object")
        text, ents = format_text(raw, p.string("parse_mode"), entities)
        if utf16_len(text) > limit:
            raise bad_request(too_long)
        return text, ents

    def _inline_markup(self, p: Params, chat: SandboxChat) -> dict[str, Any] | None:
        markup = p.json("reply_markup", "can't parse reply keyboard markup JSON object")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            if any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
                # A reply keyboard lives on the user's side, not on the message.
                self.reply_keyboards[chat.id] = markup
                return None
            raise bad_request("can't parse reply keyboard markup JSON object")
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('can\'t parse inline keyboard button: field "inline_keyboard" must be an Array')
        clean_rows: list[list[dict[str, Any]]] = []
        for row in rows:
            clean: list[dict[str, Any]] = []
            for button in row:
                clean.append(_check_button(button))
            if clean:
                clean_rows.append(clean)
        return {"inline_keyboard": clean_rows} if clean_rows else None

    def _reply_to(self, p: Params, chat: SandboxChat) -> int | None:
        params = p.json("reply_parameters", "can't parse reply parameters JSON object")
        if params is not None:
            if not isinstance(params, dict) or not isinstance(params.get("message_id"), int):
                raise bad_request("can't parse reply parameters JSON object")
            message_id: int | None = params["message_id"]
            allow = bool(params.get("allow_sending_without_reply", False))
        else:
            message_id = p.integer("reply_to_message_id")
            allow = p.boolean("allow_sending_without_reply")
        if not message_id:
            return None
        if self.world.find_message(chat.id, message_id) is None:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return message_id

    def _send(self, chat: SandboxChat, p: Params, **fields: Any) -> dict[str, Any]:
        markup = self._inline_markup(p, chat)
        reply_to = self._reply_to(p, chat)
        message = self.world.new_message(
            chat, self.bot.id, True, reply_markup=markup, reply_to_message_id=reply_to, **fields
        )
        self.world.log.record(chat.id, "message", message)
        return self.message_to_api(message)

    def _input_file(self, p: Params, field: str) -> Upload | StoredFile:
        upload = p.upload(field)
        if upload is not None:
            return upload
        ref = p.string(field)
        if not ref:
            raise bad_request(f"there is no {field} in the request")
        attached = p.attached(ref)
        if attached is not None:
            return attached
        if ref.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")  # the sandbox reaches no network
        stored = self.files.get(ref)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return stored

    def _edit(self, message: SandboxMessage) -> dict[str, Any]:
        message.edit_date = int(self.world.now())
        self.world.log.record(message.chat_id, "edit", message)
        return self.message_to_api(message)

    # --- identity, updates, commands ----------------------------------------------------------

    async def m_getme(self, p: Params) -> Any:
        """getMe."""
        return {
            **self.bot.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def m_logout(self, p: Params) -> Any:
        """logOut: accepted; the sandbox keeps serving the bot."""
        self.updates.terminate_polls()
        return True

    async def m_close(self, p: Params) -> Any:
        """close: ends waiting getUpdates calls."""
        self.updates.terminate_polls()
        return True

    async def m_getupdates(self, p: Params) -> Any:
        """getUpdates with offset, limit, timeout and allowed_updates."""
        allowed = p.json("allowed_updates", "can't parse allowed updates")
        if allowed is not None and not (
            isinstance(allowed, list) and all(isinstance(a, str) for a in allowed)
        ):
            raise bad_request("can't parse allowed updates")
        updates = await self.updates.get(
            offset=p.integer("offset"),
            limit=p.integer("limit", 100) or 100,
            timeout=p.number("timeout", 0.0),
            allowed_updates=allowed,
        )
        return [u.to_api() for u in updates]

    async def m_deletewebhook(self, p: Params) -> Any:
        """deleteWebhook: there never is one; drop_pending_updates forgets the queue."""
        if p.boolean("drop_pending_updates"):
            self.updates.drop_all()
        return True

    async def m_setwebhook(self, p: Params) -> Any:
        """setWebhook: an empty url is deleteWebhook; a real one is refused (the sandbox only polls)."""
        if p.string("url"):
            raise bad_request("bad webhook: the ProkAi sandbox delivers updates through getUpdates only")
        return await self.m_deletewebhook(p)

    async def m_getwebhookinfo(self, p: Params) -> Any:
        """getWebhookInfo."""
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates.pending()),
        }

    def _commands_key(self, p: Params) -> tuple[str, str]:
        scope = p.json("scope", "can't parse BotCommandScope JSON object")
        if scope is not None and not (isinstance(scope, dict) and isinstance(scope.get("type"), str)):
            raise bad_request("can't parse BotCommandScope JSON object")
        scope_key = (
            "default"
            if not scope
            else ":".join(str(scope.get(k, "")) for k in ("type", "chat_id", "user_id"))
        )
        return scope_key, p.string("language_code") or ""

    async def m_setmycommands(self, p: Params) -> Any:
        """setMyCommands for a scope and language."""
        commands = p.json("commands", "can't parse commands JSON object")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        clean: list[dict[str, str]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name = str(command.get("command", "")).lstrip("/")
            description = str(command.get("description", "")).strip()
            if not _COMMAND_NAME.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": name, "description": description})
        if len(clean) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        self.commands[self._commands_key(p)] = clean
        return True

    async def m_getmycommands(self, p: Params) -> Any:
        """getMyCommands for a scope and language."""
        return self.commands.get(self._commands_key(p), [])

    async def m_deletemycommands(self, p: Params) -> Any:
        """deleteMyCommands for a scope and language."""
        self.commands.pop(self._commands_key(p), None)
        return True

    def _profile(self, p: Params, field: str, limit: int, setting: bool) -> Any:
        language = p.string("language_code") or ""
        if setting:
            value = p.string(field) or ""
            if len(value) > limit:
                raise bad_request(f"{field} is too long")
            self.profile[(field, language)] = value
            return True
        return {field: self.profile.get((field, language), self.bot.first_name if field == "name" else "")}

    async def m_setmyname(self, p: Params) -> Any:
        """setMyName."""
        return self._profile(p, "name", 64, True)

    async def m_getmyname(self, p: Params) -> Any:
        """getMyName."""
        return self._profile(p, "name", 64, False)

    async def m_setmydescription(self, p: Params) -> Any:
        """setMyDescription."""
        return self._profile(p, "description", 512, True)

    async def m_getmydescription(self, p: Params) -> Any:
        """getMyDescription."""
        return self._profile(p, "description", 512, False)

    async def m_setmyshortdescription(self, p: Params) -> Any:
        """setMyShortDescription."""
        return self._profile(p, "short_description", 120, True)

    async def m_getmyshortdescription(self, p: Params) -> Any:
        """getMyShortDescription."""
        return self._profile(p, "short_description", 120, False)

    async def m_setchatmenubutton(self, p: Params) -> Any:
        """setChatMenuButton: stored, shown by getChatMenuButton."""
        button = p.json("menu_button", "can't parse menu button JSON object") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
            raise bad_request("can't parse menu button JSON object")
        self.menu_buttons[p.integer("chat_id") or 0] = button
        return True

    async def m_getchatmenubutton(self, p: Params) -> Any:
        """getChatMenuButton."""
        return self.menu_buttons.get(p.integer("chat_id") or 0, {"type": "commands"})

    # --- messages -----------------------------------------------------------------------------

    async def m_sendmessage(self, p: Params) -> Any:
        """sendMessage: text with parse_mode/entities, inline keyboard, reply."""
        chat = self._chat(p)
        self._check_can_send(chat)
        text, entities = self._text(p, "text", "entities", MAX_TEXT, "message is too long")
        if not text:
            raise bad_request("message text is empty")
        return self._send(chat, p, text=text, entities=entities)

    async def m_sendphoto(self, p: Params) -> Any:
        """sendPhoto: an upload (multipart) or the file_id of a photo sent before."""
        chat = self._chat(p)
        self._check_can_send(chat)
        source = self._input_file(p, "photo")
        caption, entities = self._text(
            p, "caption", "caption_entities", MAX_CAPTION, "message caption is too long"
        )
        if isinstance(source, StoredFile):
            if source.kind != "photo":
                raise bad_request("can't use file of type Document as Photo")
            sizes = self.files.photo_sizes(source.file_id) or [source]
        else:
            sizes = self.files.add_photo(source.data)
        return self._send(chat, p, photo=sizes, caption=caption or None, caption_entities=entities)

    async def m_senddocument(self, p: Params) -> Any:
        """sendDocument: an upload (multipart) or the file_id of a document sent before."""
        chat = self._chat(p)
        self._check_can_send(chat)
        source = self._input_file(p, "document")
        caption, entities = self._text(
            p, "caption", "caption_entities", MAX_CAPTION, "message caption is too long"
        )
        if isinstance(source, StoredFile):
            if source.kind != "document":
                raise bad_request("can't use file of type Photo as Document")
            document = source
        else:
            document = self.files.add_document(source.data, source.filename, source.content_type)
        return self._send(chat, p, document=document, caption=caption or None, caption_entities=entities)

    async def m_editmessagetext(self, p: Params) -> Any:
        """editMessageText of one of the bot's messages; no reply_markup removes the keyboard."""
        chat = self._chat(p)
        message = self._message(p, chat, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._text(p, "text", "entities", MAX_TEXT, "MESSAGE_TOO_LONG")
        if not text:
            raise bad_request("message text is empty")
        markup = self._inline_markup(p, chat)
        if text == message.text and entities == message.entities and markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        message.text, message.entities, message.reply_markup = text, entities, markup
        return self._edit(message)

    async def m_editmessagecaption(self, p: Params) -> Any:
        """editMessageCaption of one of the bot's photo or document messages."""
        chat = self._chat(p)
        message = self._message(p, chat, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        if message.text is not None:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._text(
            p, "caption", "caption_entities", MAX_CAPTION, "message caption is too long"
        )
        markup = self._inline_markup(p, chat)
        if (
            (caption or None) == message.caption
            and entities == message.caption_entities
            and markup == message.reply_markup
        ):
            raise bad_request(NOT_MODIFIED)
        message.caption, message.caption_entities, message.reply_markup = caption or None, entities, markup
        return self._edit(message)

    async def m_editmessagereplymarkup(self, p: Params) -> Any:
        """editMessageReplyMarkup: replace or (with none given) remove the inline keyboard."""
        chat = self._chat(p)
        message = self._message(p, chat, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        markup = self._inline_markup(p, chat)
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        message.reply_markup = markup
        return self._edit(message)

    async def m_deletemessage(self, p: Params) -> Any:
        """deleteMessage: the bot's own, any in a private chat, others' in groups where it is admin."""
        chat = self._chat(p)
        message = self._message(p, chat, "message to delete not found")
        if (
            not message.from_bot
            and chat.type != "private"
            and chat.bot_status not in ("administrator", "creator")
        ):
            raise bad_request("message can't be deleted")
        message.deleted = True
        self.world.log.record(chat.id, "delete", message)
        return True

    async def m_sendchataction(self, p: Params) -> Any:
        """sendChatAction: checked, then nothing to show."""
        chat = self._chat(p)
        self._check_can_send(chat)
        if not p.string("action"):
            raise bad_request("action is empty")
        return True

    async def m_answercallbackquery(self, p: Params) -> Any:
        """answerCallbackQuery: the pressing user sees `text` (a toast, or an alert with show_alert)."""
        query_id = p.string("callback_query_id") or ""
        press = self.world.presses.get(query_id)
        now = asyncio.get_running_loop().time()
        if press is None or press.answer is not None or now - press.pressed_at > CALLBACK_ANSWER_WINDOW_S:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        text = p.string("text")
        if text and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        press.set_answer(CallbackAnswer(text or None, p.boolean("show_alert"), p.string("url")))
        return True

    async def m_sendmediagroup(self, p: Params) -> Any:
        """sendMediaGroup of 2-10 photos or documents (uploads as attach://name, or file_ids)."""
        chat = self._chat(p)
        self._check_can_send(chat)
        media = p.json("media", "can't parse InputMedia JSON object")
        if not isinstance(media, list) or not all(isinstance(m, dict) for m in media):
            raise bad_request("can't parse InputMedia JSON object")
        if not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media specified: must be 2-10")
        kinds = {m.get("type") for m in media}
        if not kinds <= {"photo", "document"} or len(kinds) != 1:
            raise bad_request("media group must be all photos or all documents in the sandbox")
        reply_to = self._reply_to(p, chat)
        group_id = str(10_000_000_000_000_000 + len(self.world.messages))
        prepared: list[dict[str, Any]] = []
        for item in media:
            ref = str(item.get("media", ""))
            source: Upload | StoredFile | None = p.attached(ref) or self.files.get(ref)
            if source is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            caption, entities = format_text(
                str(item.get("caption", "")), item.get("parse_mode"), item.get("caption_entities")
            )
            if utf16_len(caption) > MAX_CAPTION:
                raise bad_request("message caption is too long")
            fields: dict[str, Any] = {"caption": caption or None, "caption_entities": entities}
            if item["type"] == "photo":
                if isinstance(source, StoredFile):
                    if source.kind != "photo":
                        raise bad_request("can't use file of type Document as Photo")
                    fields["photo"] = self.files.photo_sizes(source.file_id) or [source]
                else:
                    fields["photo"] = self.files.add_photo(source.data)
            elif isinstance(source, StoredFile):
                if source.kind != "document":
                    raise bad_request("can't use file of type Photo as Document")
                fields["document"] = source
            else:
                fields["document"] = self.files.add_document(
                    source.data, source.filename, source.content_type
                )
            prepared.append(fields)
        out = []
        for fields in prepared:
            message = self.world.new_message(
                chat, self.bot.id, True, reply_to_message_id=reply_to, media_group_id=group_id, **fields
            )
            self.world.log.record(chat.id, "message", message)
            out.append(self.message_to_api(message))
        return out

    # --- files --------------------------------------------------------------------------------

    async def m_getfile(self, p: Params) -> Any:
        """getFile: the File with its file_path for the file URL."""
        file_id = p.string("file_id")
        if not file_id:
            raise bad_request("file_id is empty")
        stored = self.files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return stored.file()

    # --- chats --------------------------------------------------------------------------------

    async def m_getchat(self, p: Params) -> Any:
        """getChat: a ChatFullInfo."""
        chat = self._chat(p)
        return {
            **chat.to_api(self.world.users),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _member(self, chat: SandboxChat, user_id: int) -> dict[str, Any]:
        if user_id == self.bot.id:
            user = {**self.bot.to_api()}
            status = "member" if chat.type == "private" else chat.bot_status
        else:
            known = self.world.users.get(user_id)
            if known is None:
                raise bad_request("user not found")
            user = known.to_api()
            if chat.type == "private":
                if user_id != chat.id:
                    raise bad_request("user not found")
                status = "member"
            else:
                status = chat.members.get(user_id, "left")
        if status == "creator":
            return {"status": "creator", "user": user, "is_anonymous": False}
        if status == "administrator":
            return {"status": "administrator", "user": user, **_ADMIN_RIGHTS}
        if status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        return {"status": status, "user": user}

    async def m_getchatmember(self, p: Params) -> Any:
        """getChatMember: creator / administrator / member / left / kicked."""
        chat = self._chat(p)
        user_id = p.integer("user_id", error="invalid user_id specified")
        if user_id is None:
            raise bad_request("invalid user_id specified")
        return self._member(chat, user_id)

    async def m_getchatadministrators(self, p: Params) -> Any:
        """getChatAdministrators of a group."""
        chat = self._chat(p)
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        ids = [uid for uid, status in chat.members.items() if status in ("creator", "administrator")]
        if chat.bot_status == "administrator":
            ids.append(self.bot.id)
        return [self._member(chat, uid) for uid in ids]

    async def m_getchatmembercount(self, p: Params) -> Any:
        """getChatMemberCount."""
        chat = self._chat(p)
        if chat.type == "private":
            return 2
        members = sum(1 for s in chat.members.values() if s in ("creator", "administrator", "member"))
        return members + (1 if chat.bot_status in ("administrator", "member") else 0)

    async def m_leavechat(self, p: Params) -> Any:
        """leaveChat: the bot leaves a group."""
        chat = self._chat(p)
        if chat.type == "private":
            raise bad_request("chat member status can't be changed in private chats")
        chat.bot_status = "left"
        return True


def _check_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str) or not button["text"]:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    actions = [k for k in button if k != "text"]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
            raise bad_request("BUTTON_URL_INVALID")
    return dict(button)


def error_for_exception(exc: Exception) -> BotApiError:
    """Any unexpected failure as a 500 in Telegram's shape (never a stack trace to the client)."""
    return BotApiError(500, f"Internal Server Error: {type(exc).__name__}")
