"""A local HTTP server that speaks the OpenAI chat-completions protocol.

Tests script what the "model" answers, request by request, and read back
every request it got::

    with FakeChatServer() as fake:
        fake.push(call("search_products", {"query": "hoodie"}), reply("It's $50."))
        engine = OpenAIEngine({"engine": "openai", "base_url": fake.url, "model": "m"}, ...)
        ...
        assert fake.requests[1].json["messages"][-1]["role"] == "tool"

Each scripted :class:`Scripted` answer is rendered the way the request asked:
a ``chat.completion`` JSON body, or (``"stream": true``) Server-Sent Events of
``chat.completion.chunk`` objects, content split into small pieces and tool
call arguments streamed by index, a usage chunk when
``stream_options.include_usage`` is set, then ``data: [DONE]``. Answers can
also be error statuses, malformed bodies, dropped connections, or slow (a
delay before the headers, or between chunks) to drive timeouts.

Only 127.0.0.1 is used; the server runs in daemon threads and stops cleanly,
waking any handler that is still sleeping out a scripted delay.
"""
from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeChatServer", "Recorded", "Scripted", "call", "calls", "error", "raw", "reply"]


@dataclass
class Scripted:
    """One scripted answer of the fake model."""

    content: str | None = None
    #: ``[{"name": ..., "arguments": dict | str, "id": optional}]``
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    #: ``{"prompt_tokens": n, "completion_tokens": n}``; estimated when None.
    usage: dict[str, int] | None = None
    #: Leave usage out entirely (servers that never report it).
    no_usage: bool = False
    finish_reason: str | None = None
    #: A non-200 status answers with an OpenAI-style error body.
    status: int = 200
    error_message: str = "scripted error"
    #: A raw body sent as is with ``status`` (malformed responses).
    raw_body: bytes | None = None
    #: Close the connection without answering.
    drop: bool = False
    #: Seconds before the response headers are sent.
    delay: float = 0.0
    #: Seconds between SSE chunks when streaming.
    chunk_delay: float = 0.0
    #: How content is split when streamed; default: pieces of ``piece`` chars.
    chunks: list[str] | None = None
    piece: int = 6
    headers: dict[str, str] = field(default_factory=dict)

    def content_pieces(self) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        text = self.content or ""
        return [text[i:i + self.piece] for i in range(0, len(text), self.piece)]


def reply(text: str, **kw: Any) -> Scripted:
    """The model answers with text."""
    return Scripted(content=text, **kw)


def call(name: str, arguments: dict[str, Any] | str, *, content: str | None = None, **kw: Any) -> Scripted:
    """The model asks for one tool call."""
    return Scripted(content=content, tool_calls=[{"name": name, "arguments": arguments}], **kw)


def calls(*pairs: tuple[str, dict[str, Any] | str], **kw: Any) -> Scripted:
    """The model asks for several tool calls at once (parallel tool calls)."""
    return Scripted(tool_calls=[{"name": n, "arguments": a} for n, a in pairs], **kw)


def error(status: int, message: str = "scripted error", **kw: Any) -> Scripted:
    return Scripted(status=status, error_message=message, **kw)


def raw(body: bytes | str, status: int = 200, content_type: str = "application/json") -> Scripted:
    data = body.encode() if isinstance(body, str) else body
    return Scripted(status=status, raw_body=data, headers={"Content-Type": content_type})


@dataclass
class Recorded:
    method: str
    path: str
    #: Lower-cased names.
    headers: dict[str, str]
    json: Any
    at: float

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list((self.json or {}).get("messages") or [])


class FakeChatServer:
    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self.requests: list[Recorded] = []
        self._queue: deque[Scripted] = deque()
        self._default: Scripted | None = None
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        #: Called on the server's thread as each request arrives, before it is answered
        #: (the client is waiting for the model then).
        self.on_request: Callable[[], None] | None = None

    # -- scripting -------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL an OpenAI client takes (``.../v1``)."""
        return f"http://127.0.0.1:{self._server.server_port}/v1"

    def push(self, *answers: Scripted) -> FakeChatServer:
        """Answers for the next requests, in order."""
        with self._lock:
            self._queue.extend(answers)
        return self

    def always(self, answer: Scripted | None) -> FakeChatServer:
        """The answer once the queue is empty (default: a 500 saying nothing is scripted)."""
        with self._lock:
            self._default = answer
        return self

    def _next(self) -> Scripted:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            if self._default is not None:
                return self._default
        return Scripted(status=500, error_message="the fake model has no scripted answer left")

    @property
    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> FakeChatServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-chat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- rendering -------------------------------------------------------------

    def _usage(self, body: dict[str, Any], answer: Scripted) -> dict[str, int]:
        if answer.usage is not None:
            usage = dict(answer.usage)
        else:
            prompt = len(json.dumps(body.get("messages") or [])) // 4 + 1
            completion = len(answer.content or "") // 4 + 1 + 8 * len(answer.tool_calls)
            usage = {"prompt_tokens": prompt, "completion_tokens": completion}
        usage.setdefault("total_tokens", usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0))
        return usage

    def _tool_calls(self, answer: Scripted) -> list[dict[str, Any]]:
        out = []
        for i, tc in enumerate(answer.tool_calls):
            args = tc["arguments"]
            out.append({
                "id": tc.get("id", f"call_{next(self._ids)}_{i}"),
                "type": "function",
                "function": {"name": tc["name"],
                             "arguments": args if isinstance(args, str) else json.dumps(args)},
            })
        return out

    def _finish(self, answer: Scripted) -> str:
        return answer.finish_reason or ("tool_calls" if answer.tool_calls else "stop")

    def completion(self, body: dict[str, Any], answer: Scripted) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": answer.content}
        if answer.tool_calls:
            message["tool_calls"] = self._tool_calls(answer)
        data: dict[str, Any] = {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.model,
            "choices": [{"index": 0, "message": message, "finish_reason": self._finish(answer)}],
        }
        if not answer.no_usage:
            data["usage"] = self._usage(body, answer)
        return data

    def chunks(self, body: dict[str, Any], answer: Scripted) -> Iterator[dict[str, Any]]:
        base = {"id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": body.get("model") or self.model}

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        yield chunk({"role": "assistant", "content": ""})
        for piece in answer.content_pieces():
            yield chunk({"content": piece})
        for index, tc in enumerate(self._tool_calls(answer)):
            yield chunk({"tool_calls": [{"index": index, "id": tc["id"], "type": "function",
                                         "function": {"name": tc["function"]["name"], "arguments": ""}}]})
            args = tc["function"]["arguments"]
            for i in range(0, len(args), 7):
                yield chunk({"tool_calls": [{"index": index, "function": {"arguments": args[i:i + 7]}}]})
        yield chunk({}, self._finish(answer))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if include_usage and not answer.no_usage:
            yield {**base, "choices": [], "usage": self._usage(body, answer)}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                pass

            def do_GET(self) -> None:  # noqa: N802
                fake._record(self, None)
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": fake.model, "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw_body = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw_body or b"{}")
                except ValueError:
                    body = None
                fake._record(self, body)
                if fake.on_request is not None:
                    fake.on_request()
                if not self.path.rstrip("/").endswith("/chat/completions") or not isinstance(body, dict):
                    self._json(400, {"error": {"message": "bad request", "type": "invalid_request_error"}})
                    return
                answer = fake._next()
                if answer.delay and fake._closing.wait(answer.delay):
                    return
                if answer.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                if answer.raw_body is not None:
                    self._send(answer.status, answer.raw_body, answer.headers)
                elif answer.status != 200:
                    kind = "server_error" if answer.status >= 500 else "invalid_request_error"
                    self._json(answer.status, {"error": {"message": answer.error_message, "type": kind,
                                                         "code": None, "param": None}}, answer.headers)
                elif body.get("stream"):
                    self._stream(body, answer)
                else:
                    self._json(200, fake.completion(body, answer), answer.headers)

            def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
                self._send(status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})})

            def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    self.close_connection = True

            def _stream(self, body: dict[str, Any], answer: Scripted) -> None:
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Cache-Control", "no-cache")
                    self.send_header("Transfer-Encoding", "chunked")
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    first = True
                    for chunk in fake.chunks(body, answer):
                        if not first and answer.chunk_delay and fake._closing.wait(answer.chunk_delay):
                            self.close_connection = True
                            return
                        first = False
                        self._chunk(f"data: {json.dumps(chunk)}\n\n".encode())
                    self._chunk(b"data: [DONE]\n\n")
                    self._chunk(b"")
                except OSError:  # the client gave up (a timeout): nothing more to send
                    self.close_connection = True

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        return Handler

    def _record(self, handler: BaseHTTPRequestHandler, body: Any) -> None:
        with self._lock:
            headers = {name.lower(): value for name, value in handler.headers.items()}
            self.requests.append(Recorded(handler.command, handler.path, headers, body,
                                          time.monotonic()))
