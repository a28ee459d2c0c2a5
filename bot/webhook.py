"""Webhook mode (BOT_MODE=webhook): an aiohttp server behind the load balancer.

* ``POST <path of WEBHOOK_URL>``: an update from Telegram. Without the right
  ``X-Telegram-Bot-Api-Secret-Token`` header: 403, and the update is not processed.
* ``GET /healthz``: 200 when the database answers, 503 when it does not (or when the
  instance is shutting down, so the load balancer sends no more).

Each update id is noted in the database before the 200 (storage/received_updates.py): a
retry of a post whose 200 got lost is acknowledged and not handled again, whichever instance
it reaches.

On SIGTERM the instance answers 503 to new updates (Telegram delivers them again, to another
instance), finishes the updates in hand, and only then closes its port.

Several instances may run behind one load balancer on one PostgreSQL database: no
conversation state lives in a process, one person's updates wait for each other
(bot/handlers/door.py), and one instance at a time drains the outbox
(bot/scheduler/leader.py). See the README's "Production" section.

Usage::

    await serve(application, settings)      # until SIGTERM/SIGINT, then shuts down gently
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.clock import Clock
from bot.config import Settings
from storage import received_updates

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20  # Telegram's updates are far smaller; anything bigger is not from it


def webhook_path(settings: Settings) -> str:
    return urlsplit(settings.webhook_url).path or "/"


def make_web_app(application: Application, settings: Settings,
                 closing: asyncio.Event | None = None) -> web.Application:
    """The HTTP side; ``application`` must be initialized and started by the caller. Once
    ``closing`` is set, updates are turned away with 503 (Telegram sends them again)."""
    secret = settings.webhook_secret.encode()
    closing = closing or asyncio.Event()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secret or not hmac.compare_digest(given, secret):
            return web.Response(status=403, text="forbidden")
        if closing.is_set():
            # Shutting down: Telegram retries what is not acknowledged, so nothing is lost.
            return web.Response(status=503, text="shutting down")
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, application.bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError, AttributeError):
            update = None
        if update is None:
            return web.Response(status=400, text="not an update")
        clock: Clock = application.bot_data.get("clock") or Clock()
        try:
            first = await received_updates.take(application.bot_data["db"], update.update_id,
                                                clock.now())
        except Exception:  # the database does not answer: Telegram will post it again
            log.warning("webhook: could not note update %d", update.update_id, exc_info=True)
            return web.Response(status=503, text="database unavailable")
        if first and closing.is_set():
            # SIGTERM came while the id was being noted: the queue may be closed already.
            # Un-noted and turned away, Telegram's retry is handled elsewhere.
            await received_updates.give_back(application.bot_data["db"], update.update_id)
            return web.Response(status=503, text="shutting down")
        if first:
            await application.update_queue.put(update)
        # else: a retry of one this or another instance took; acknowledged, not handled again.
        return web.Response(text="ok")

    async def healthz(_request: web.Request) -> web.Response:
        healthy = await application.bot_data["db"].ping()
        figures = {"ok": healthy and not closing.is_set(),
                   "database": "up" if healthy else "down", "closing": closing.is_set()}
        return web.json_response(figures, status=200 if figures["ok"] else 503)

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(webhook_path(settings), receive)
    app.router.add_get("/healthz", healthz)
    return app


async def serve(application: Application, settings: Settings,
                stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set (or SIGTERM/SIGINT): finish the updates in hand, then stop."""
    from bot.app import ALLOWED_UPDATES, close_requests, stop_on_signals

    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    try:
        async with application:
            assert application.post_init and application.post_stop and application.post_shutdown
            await application.post_init(application)
            await application.start()
            closing = asyncio.Event()
            web_app = make_web_app(application, settings, closing)
            runner = web.AppRunner(web_app)
            await runner.setup()
            site = web.TCPSite(runner, settings.listen, settings.port)
            await site.start()
            await application.bot.set_webhook(settings.webhook_url,
                                              secret_token=settings.webhook_secret,
                                              allowed_updates=ALLOWED_UPDATES)
            log.info("webhook mode: listening on %s:%d", settings.listen, settings.port)
            try:
                await stop.wait()
            finally:
                # Turn new updates away (503: Telegram sends them again), let the application
                # finish those in its queue, and only then close the port.
                closing.set()
                await application.stop()
                await site.stop()
                await runner.cleanup()
                await application.post_stop(application)
                await application.post_shutdown(application)
    finally:
        await close_requests(application)
