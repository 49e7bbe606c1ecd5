"""A fake Telegram Bot API server on 127.0.0.1 for tests and benchmarks.

python-telegram-bot talks to it through its real HTTP stack (`base_url`). It serves getMe,
long-polling getUpdates, sendMessage, editMessageText, deleteMessage, answerCallbackQuery,
setMyCommands,
deleteWebhook, setWebhook and getChatMember (everyone is a member of every group unless a
test says otherwise in `members`); any other method gets 400 {"ok": false} (a 404 would read as an
invalid token). A test can plan failures, such as a 429 with retry_after.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

BOT = {"id": 424242, "is_bot": True, "first_name": "Repère", "username": "repere_test_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class FakeBotApi:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.failures: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.lock = threading.Condition()
        self.next_update_id = 1
        self.next_message_id = 1
        self.server: ThreadingHTTPServer | None = None
        # called (outside the lock) with each successful call: benchmarks drive users from it
        self.on_call: Any = None
        self.record = True  # benchmarks keep no history
        self.thread: threading.Thread | None = None
        # (chat id, user id) -> status for getChatMember ("left", "kicked", "restricted"…)
        self.members: dict[tuple[int, int], str] = {}
        self.delays: dict[str, float] = {}  # seconds a method takes (a slow Bot API)
        self.polls = 0  # getUpdates calls so far: the bot is up

    # -- what tests do -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        with self.lock:
            update = {"update_id": self.next_update_id, **update}
            self.next_update_id += 1
            self.updates.append(update)
            self.lock.notify_all()
            return int(update["update_id"])

    def fail(self, method: str, status: int, body: dict[str, Any], times: int = 1) -> None:
        """Answer the next `times` calls of `method` with this error."""
        with self.lock:
            self.failures.setdefault(method, []).extend([(status, body)] * times)

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        with self.lock:
            return [
                c
                for c in self.calls
                if c.method == method
                and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)
            ]

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the bot did not do what was expected in time")
                self.lock.wait(left)

    # -- serving -----------------------------------------------------------------------------

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.delays.get(method):
            time.sleep(self.delays[method])  # slow, before anything is recorded
        with self.lock:
            planned = self.failures.get(method)
            if planned:
                status, body = planned.pop(0)
                self.calls.append(Call(f"{method}!{status}", params))
                return status, body
            if method != "getUpdates" and self.record:
                self.calls.append(Call(method, params))
                self.lock.notify_all()
        if self.on_call is not None and method != "getUpdates":
            self.on_call(method, params)
        if method == "getMe":
            return 200, {"ok": True, "result": BOT}
        if method in (
            "deleteWebhook",
            "setWebhook",
            "setMyCommands",
            "answerCallbackQuery",
            "deleteMessage",
            "close",
            "logOut",
        ):
            return 200, {"ok": True, "result": True}
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}
        if method in ("sendMessage", "editMessageText"):
            return 200, {"ok": True, "result": self._message(params)}
        if method == "getChatMember":
            return 200, {"ok": True, "result": self._member(params)}
        if method == "getWebhookInfo":
            return 200, {
                "ok": True,
                "result": {"url": "", "has_custom_certificate": False, "pending_update_count": 0},
            }
        return 400, {"ok": False, "error_code": 400, "description": f"unknown method {method}"}

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 5.0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        with self.lock:
            self.polls += 1
            while True:
                ready = [u for u in self.updates if u["update_id"] >= offset]
                if ready or time.monotonic() >= deadline:
                    # confirmed updates are forgotten, as the real server does
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                    return ready[:limit]
                self.lock.wait(max(deadline - time.monotonic(), 0.01))

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            message_id = int(params.get("message_id") or 0) or self.next_message_id
            self.next_message_id += 1
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "from": BOT,
            "chat": {
                "id": int(params.get("chat_id") or 0),
                "type": "supergroup" if int(params.get("chat_id") or 0) < 0 else "private",
            },
            "text": params.get("text", ""),
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def _member(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = int(params.get("user_id") or 0)
        status = self.members.get((int(params.get("chat_id") or 0), user_id), "member")
        member: dict[str, Any] = {
            "status": "restricted" if status.startswith("restricted") else status,
            "user": {"id": user_id, "is_bot": False, "first_name": "U"},
        }
        if member["status"] == "kicked":
            member["until_date"] = 0
        if member["status"] == "restricted":  # "restricted" is still in, "restricted-out" not
            member.update(
                {key: False for key in RESTRICTED_RIGHTS},
                is_member=status == "restricted",
                until_date=0,
            )
        return member

    @contextmanager
    def running(self) -> Iterator[FakeBotApi]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # small answers must not wait for a delayed ACK
            wbufsize = 1 << 16  # headers and body leave in one write

            def handle(self) -> None:
                # the bot was killed mid-request: kill-safe
                with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                    super().handle()

            def do_POST(self) -> None:
                self._serve()

            def do_GET(self) -> None:
                self._serve()

            def _serve(self) -> None:
                url = urlparse(self.path)
                method = url.path.rsplit("/", 1)[-1]
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                params = dict(parse_qsl(url.query))
                params.update(_params(self.headers.get("Content-Type") or "", body))
                status, answer = api.handle(method, params)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up on a long poll: nothing to say

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 1024  # the default backlog of 5 resets connections in a burst

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        try:
            yield self
        finally:
            with self.lock:
                self.lock.notify_all()
            self.server.shutdown()
            self.server.server_close()


RESTRICTED_RIGHTS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
    "can_edit_tag",
    "can_react_to_messages",
)


def _params(content_type: str, body: bytes) -> dict[str, Any]:
    """PTB posts JSON-encoded values as form fields (or multipart); decode them."""
    if not body:
        return {}
    raw: dict[str, str] = {}
    if content_type.startswith("application/json"):
        return dict(json.loads(body))
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                raw[str(name)] = (
                    part.get_content()
                    if part.get_content_type().startswith("text")
                    else str(part.get_payload(decode=True), "utf-8", "replace")
                )
    else:
        raw = dict(parse_qsl(body.decode()))
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "text":  # a text is a text, even "1"
            out[key] = value
            continue
        try:
            out[key] = json.loads(value)
        except (ValueError, TypeError):
            out[key] = value
    return out
