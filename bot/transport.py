"""The bot's HTTP transport to the Bot API: aiohttp's client, in place of PTB's default httpx.

Why: every update costs the bot one to three Bot API calls, and at that rate the client's own
CPU counts. Measured on this project's machine (``benchmarks/inbound.py``), httpx with
httpcore spends about 0.9 ms of CPU per request against the fake server, aiohttp's client about
0.15 ms. aiohttp is already a dependency (the webhook server), so this costs no new package.

PTB's timeouts map onto aiohttp's as closely as aiohttp allows:

* ``read_timeout`` -> ``sock_read`` (the longest wait for the next bytes of the answer; long
  polling passes its poll time plus a margin here, as it does for httpx);
* ``connect_timeout`` -> ``sock_connect``;
* ``pool_timeout`` plus ``connect_timeout`` -> ``connect`` (aiohttp counts the wait for a free
  connection and the connecting itself together);
* ``write_timeout``: aiohttp has none of its own. It matters for uploads only, so an upload
  gets a total time of all four (the write part 20 s unless given, as PTB's media default).

Errors become PTB's: a timeout is ``TimedOut``, any other client error ``NetworkError``, so the
outbox and PTB's own retry logic see exactly what they saw with httpx.
"""

from __future__ import annotations

import re
import urllib.request
from urllib.parse import urlsplit

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# The same defaults as PTB's HTTPXRequest, so settings and tests mean what they meant.
DEFAULT_CONNECT = 5.0
DEFAULT_READ = 5.0
DEFAULT_WRITE = 5.0
DEFAULT_POOL = 1.0
DEFAULT_MEDIA_WRITE = 20.0  # an upload (a poster, a report) has longer to go out
PLAIN_HEADERS = {"User-Agent": BaseRequest.USER_AGENT}
FORM_HEADERS = {**PLAIN_HEADERS, "Content-Type": "application/x-www-form-urlencoded"}


def _given(value: float | None, default: float | None) -> float | None:
    """A timeout passed by PTB for this call, or our own when it passed none."""
    return default if value is BaseRequest.DEFAULT_NONE else value


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` on one ``aiohttp.ClientSession``, opened in ``initialize``."""

    __slots__ = ("_pool_size", "_proxies", "_session", "_timeouts")

    def __init__(
        self,
        connection_pool_size: int = 256,
        *,
        read_timeout: float | None = DEFAULT_READ,
        write_timeout: float | None = DEFAULT_WRITE,
        connect_timeout: float | None = DEFAULT_CONNECT,
        pool_timeout: float | None = DEFAULT_POOL,
    ) -> None:
        self._pool_size = connection_pool_size
        self._timeouts = {
            "read": read_timeout,
            "write": write_timeout,
            "connect": connect_timeout,
            "pool": pool_timeout,
        }
        # Created in initialize(): an aiohttp session belongs to the loop it was made in.
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                # No trust_env: it would look in ~/.netrc, in a thread, at every request. The
                # proxy variables it would read are honoured by _proxy() instead.
                timeout=aiohttp.ClientTimeout(total=None),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | None = BaseRequest.DEFAULT_NONE,  # type: ignore[assignment]
        write_timeout: float | None = BaseRequest.DEFAULT_NONE,  # type: ignore[assignment]
        connect_timeout: float | None = BaseRequest.DEFAULT_NONE,  # type: ignore[assignment]
        pool_timeout: float | None = BaseRequest.DEFAULT_NONE,  # type: ignore[assignment]
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data is not None and request_data.contains_files
        read = _given(read_timeout, self._timeouts["read"])
        write = _given(write_timeout, DEFAULT_MEDIA_WRITE if files else self._timeouts["write"])
        connect = _given(connect_timeout, self._timeouts["connect"])
        pool = _given(pool_timeout, self._timeouts["pool"])

        body: aiohttp.FormData | bytes | None = None
        headers = PLAIN_HEADERS
        total: float | None = None
        if files:
            assert request_data is not None
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mime) in request_data.multipart_data.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            body = form
            if None not in (read, write, connect, pool):
                total = read + write + connect + pool  # type: ignore[operator]
        elif request_data is not None and request_data.json_parameters:
            # Form-encoded, as httpx sends it; encoded here, because aiohttp would build a
            # multipart writer (and a random boundary) for a dict first.
            body = request_data.url_encoded_parameters().encode()
            headers = FORM_HEADERS

        timeout = aiohttp.ClientTimeout(
            total=total,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, data=body, timeout=timeout, headers=headers, proxy=self._proxy(url),
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # The class name says more than the message, which is often empty. Some messages
            # hold the URL, whose path holds the token: it is cut out, and the original (which
            # a traceback would print) is not chained.
            raise NetworkError(
                f"aiohttp.{type(exc).__name__}: {without_token(str(exc))}") from None

    def _proxy(self, url: str) -> str | None:
        """The proxy of HTTPS_PROXY / HTTP_PROXY / NO_PROXY for this host (as httpx would use
        it), looked up once per host."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            proxies = urllib.request.getproxies_environment()
            chosen = proxies.get(parts.scheme) or proxies.get("all")
            if chosen and urllib.request.proxy_bypass_environment(key[1], proxies):
                chosen = None
            self._proxies[key] = chosen
        return self._proxies[key]


_TOKEN = re.compile(r"bot\d+:[A-Za-z0-9_-]+")


def without_token(text: str) -> str:
    """``text`` with any bot token in it (``.../bot<id>:<secret>/...``) replaced."""
    return _TOKEN.sub("bot<token>", text)
