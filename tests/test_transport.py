"""The aiohttp transport (bot/transport.py) against a small aiohttp server: what arrives, and
which of PTB's errors a slow or absent server becomes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.transport import AiohttpRequest
from tests.helpers import free_port


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, object]]]]:
    seen: list[dict[str, object]] = []

    async def echo(request: web.Request) -> web.Response:
        if request.query.get("slow"):
            await asyncio.sleep(2)
        form = await request.post()
        fields: dict[str, object] = {}
        for name, value in form.items():
            if isinstance(value, web.FileField):
                fields[name] = (value.filename, value.content_type, value.file.read())
            else:
                fields[name] = value
        seen.append({"content_type": request.content_type, "fields": fields})
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/bot/{method}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/bot", seen
    await runner.cleanup()


def _data(**values: object) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


async def test_parameters_are_sent_form_encoded(server: tuple[str, list]) -> None:
    url, seen = server
    async with AiohttpRequest() as request:
        result = await request.post(f"{url}/sendMessage", _data(chat_id=7, text="Merhaba ਸਤ"))
    assert result is True
    assert seen == [{"content_type": "application/x-www-form-urlencoded",
                     "fields": {"chat_id": "7", "text": "Merhaba ਸਤ"}}]


async def test_a_file_goes_as_multipart_with_its_name_and_type(server: tuple[str, list]) -> None:
    url, seen = server
    poster = InputFile(b"%PDF-1.4 poster", filename="poster.pdf", attach=True)
    async with AiohttpRequest() as request:
        await request.post(f"{url}/sendDocument", _data(chat_id=7, document=poster))
    [sent] = seen
    assert sent["content_type"] == "multipart/form-data"
    fields = sent["fields"]
    assert isinstance(fields, dict) and fields["chat_id"] == "7"
    [upload] = [v for v in fields.values() if isinstance(v, tuple)]
    assert upload == ("poster.pdf", "application/pdf", b"%PDF-1.4 poster")


async def test_a_slow_answer_is_timed_out(server: tuple[str, list]) -> None:
    url, _seen = server
    async with AiohttpRequest() as request:
        with pytest.raises(TimedOut):
            await request.post(f"{url}/sendMessage?slow=1", _data(chat_id=7, text="hi"),
                               read_timeout=0.2)


async def test_no_server_is_a_network_error() -> None:
    port = free_port()
    async with AiohttpRequest() as request:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{port}/bot/getMe")
    assert not isinstance(caught.value, TimedOut)


async def test_an_error_that_quotes_the_url_does_not_carry_the_token() -> None:
    """aiohttp quotes the URL in some errors (here: a base URL that is not http); its path
    holds the token, and a logged traceback would print it."""
    secret = "123456:ABCdef-ghi_JKL"
    async with AiohttpRequest() as request:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"ftp://127.0.0.1/bot{secret}/getMe")
    assert "NonHttpUrlClientError" in caught.value.message
    assert secret not in caught.value.message and "bot<token>" in caught.value.message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


async def test_shutdown_twice_and_initialize_again() -> None:
    request = AiohttpRequest()
    await request.initialize()
    await request.shutdown()
    await request.shutdown()
    await request.initialize()  # PTB may initialize a request again after a shutdown
    await request.shutdown()


def test_the_proxy_comes_from_the_environment_unless_the_host_is_excluded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.school.example:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    request = AiohttpRequest()
    assert request._proxy("https://api.telegram.org/botX/getMe") == (
        "http://proxy.school.example:3128")
    assert request._proxy("http://127.0.0.1:8081/botX/getMe") is None
    monkeypatch.delenv("HTTPS_PROXY")
    assert AiohttpRequest()._proxy("https://api.telegram.org/botX/getMe") is None
