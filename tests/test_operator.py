"""The operator's view: the volunteer who deploys the bot with only the README.

Each test runs the real ``python -m bot`` (or ``migrate``, ``alembic``, the Procfile's lines)
as a subprocess, as the README tells the operator to, against the fake Bot API server over
HTTP and an SQLite file of its own. What the operator reads on the terminal is what is checked:
one clear sentence and exit status 2 for a setting or a database that cannot work, a clean stop
(exit 0) on SIGTERM, migrations on start, and logs that hold no message text, name, phone
number or token.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from alembic import command
from sqlalchemy import func, insert, select

from bot.config import ConfigError, Settings
from bot.services import outbox, reminders
from bot.services.outbox import NewMessage
from storage.db import SCHEMA_HEAD, Database, alembic_config
from storage.models import OutboxMessage, Person, utcnow
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# Settings an operator's shell might carry: the tests set their own, nothing else leaks in.
OURS = ("TELEGRAM_", "DATABASE_URL", "COORDINATOR_IDS", "TIMEZONE", "BOT_MODE", "WEBHOOK_",
        "LISTEN", "PORT", "DB_", "ESCALATE_", "QUESTION_", "UPDATE_", "OUTBOX_")
READY = "ready"  # bot.app logs "bot @<name> ready" once it polls or listens


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env.update(PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def telegram_env(fake: FakeTelegram, **extra: str) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_API_FILE_URL": fake.file_url, **extra}


def run_once(cwd: Path, env: dict[str, str], *args: str,
             timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """``python -m bot [args]`` until it exits by itself (a start that must fail)."""
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=clean_env(env),
                          capture_output=True, text=True, timeout=timeout)


def lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


class BotProcess:
    """A long-running ``python -m bot`` (or any command), its stdout and stderr in one file."""

    def __init__(self, cwd: Path, env: dict[str, str], argv: list[str] | None = None,
                 name: str = "bot") -> None:
        self.cwd = cwd
        self.log_path = cwd / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                argv or [sys.executable, "-m", "bot"], cwd=cwd, env=clean_env(env),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def wait_log(self, needle: str, timeout: float = 15) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while needle not in self.log:
            if self.process.poll() is not None:
                raise AssertionError(f"exited with {self.process.returncode}:\n{self.log}")
            assert time.monotonic() < deadline, f"no {needle!r} in the log:\n{self.log}"
            await asyncio.sleep(0.05)

    async def wait_exit(self, timeout: float) -> int | None:  # noqa: ASYNC109
        """The exit status, or None when it still runs after ``timeout`` seconds."""
        try:
            return await asyncio.to_thread(self.process.wait, timeout)
        except subprocess.TimeoutExpired:
            return None

    async def terminate(self, timeout: float = 15) -> int:  # noqa: ASYNC109
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = await self.wait_exit(timeout)
        if code is None:
            self.process.kill()
            await asyncio.to_thread(self.process.wait)
            raise AssertionError(f"no exit {timeout} s after SIGTERM:\n{self.log}")
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
async def procs() -> AsyncIterator[list[BotProcess]]:
    """Every process a test starts is gone at its end, whatever happened."""
    started: list[BotProcess] = []
    yield started
    for process in started:
        process.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def schema_version(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]


# ---------------------------------------------------------------------------------------------
# Settings: one sentence, exit 2, the token never echoed


def test_a_malformed_token_is_one_sentence_and_never_echoed(tmp_path: Path) -> None:
    token = "123456789:Half-A-Secret-Pasted"  # cut short when pasted
    result = run_once(tmp_path, {"TELEGRAM_BOT_TOKEN": token})
    assert result.returncode == 2
    [line] = lines_of(result.stderr + result.stdout)
    assert "TELEGRAM_BOT_TOKEN" in line and "@BotFather" in line
    assert "Half-A-Secret" not in result.stderr + result.stdout


async def test_a_token_telegram_refuses_is_one_sentence_and_never_echoed(
        tmp_path: Path, fake: FakeTelegram) -> None:
    token = "999999999:Revoked-By-BotFather-abcdefghijklmnop"
    env = telegram_env(fake, TELEGRAM_BOT_TOKEN=token)
    result = await asyncio.to_thread(run_once, tmp_path, env)
    assert result.returncode == 2
    [line] = lines_of(result.stderr + result.stdout)
    assert "refused by Telegram" in line
    assert "Revoked-By-BotFather" not in result.stderr + result.stdout


def test_coordinator_ids_with_spaces_after_the_commas_are_read() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": "123456789:" + "A" * 35,
                                  "COORDINATOR_IDS": " 12345678 , 23456789 ,"}, env_file=None)
    assert settings.coordinator_ids == {12345678, 23456789}


@pytest.mark.parametrize("ids", ["12345678 23456789", "@juf_an", "12345678,jan"])
def test_coordinator_ids_with_junk_is_one_sentence(tmp_path: Path, ids: str) -> None:
    token = "123456789:" + "Q" * 35
    result = run_once(tmp_path, {"TELEGRAM_BOT_TOKEN": token, "COORDINATOR_IDS": ids})
    assert result.returncode == 2
    [line] = lines_of(result.stderr + result.stdout)
    assert line.startswith("COORDINATOR_IDS must be Telegram user ids"), line
    assert "Q" * 35 not in result.stderr + result.stdout
    assert not (tmp_path / "data").exists()


def test_db_max_overflow_zero_is_accepted() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": "123456789:" + "A" * 35,
                                  "DB_MAX_OVERFLOW": "0"}, env_file=None)
    assert settings.db_max_overflow == 0


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("TELEGRAM_BOT_TOKEN=123456789:" + "B" * 35 + "\n"
                        "COORDINATOR_IDS=111\nTIMEZONE=Europe/Istanbul\n", encoding="utf-8")
    settings = Settings.from_env({"COORDINATOR_IDS": "222"}, env_file=env_file)
    assert settings.coordinator_ids == {222}
    assert str(settings.timezone) == "Europe/Istanbul"


async def test_a_misspelt_setting_in_the_env_file_is_named_at_start(
        tmp_path: Path, fake: FakeTelegram, procs: list[BotProcess]) -> None:
    (tmp_path / ".env").write_text(
        "DATABASE_URI=sqlite+aiosqlite:///data/school.sqlite3\n", encoding="utf-8")
    bot = BotProcess(tmp_path, telegram_env(fake, COORDINATOR_IDS="4242"))
    procs.append(bot)
    await bot.wait_log(READY)
    assert await bot.terminate() == 0
    assert "DATABASE_URI" in bot.log, bot.log


# ---------------------------------------------------------------------------------------------
# The database: where it lives, what it is at, who else uses it


async def test_a_data_folder_that_cannot_be_made_is_one_sentence(
        tmp_path: Path, fake: FakeTelegram) -> None:
    (tmp_path / "data").write_text("not a folder\n", encoding="utf-8")  # ./data is taken
    result = await asyncio.to_thread(run_once, tmp_path, telegram_env(fake))
    output = result.stderr + result.stdout
    assert "Traceback" not in output, output
    assert result.returncode == 2
    sentences = [line for line in lines_of(result.stderr) if " INFO " not in line]
    assert len(sentences) == 1 and "data" in sentences[0], output


async def test_an_sqlite_file_that_cannot_be_written_names_the_file_not_a_server(
        tmp_path: Path, fake: FakeTelegram) -> None:
    # /proc exists and takes no new file, not even from root: a folder the bot may not write.
    env = telegram_env(fake, DATABASE_URL="sqlite+aiosqlite:////proc/bot.sqlite3")
    result = await asyncio.to_thread(run_once, tmp_path, env)
    assert result.returncode == 2
    output = result.stderr + result.stdout
    assert "Traceback" not in output
    [line] = [line for line in lines_of(result.stderr) if " INFO " not in line]
    assert "/proc" in line
    assert "running" not in line and "does not answer" not in line, line


def test_a_password_with_an_at_sign_is_not_printed(tmp_path: Path) -> None:
    # Nothing is reached: the "host" after the first @ does not resolve.
    url = "postgresql+asyncpg://bot:Geheim@Zomer2026@127.0.0.1:1/bot"
    result = run_once(tmp_path, {"DATABASE_URL": url}, "migrate")
    assert result.returncode == 2
    output = result.stderr + result.stdout
    assert "Traceback" not in output
    assert "Zomer2026" not in output and "Geheim" not in output, output


def test_readme_migrate_command_creates_the_database_without_a_token(tmp_path: Path) -> None:
    result = run_once(tmp_path, {}, "migrate")
    assert result.returncode == 0, result.stderr
    assert "newest schema" in result.stdout
    assert schema_version(tmp_path / "data" / "bot.sqlite3") == [SCHEMA_HEAD]


def test_readme_alembic_upgrade_head_in_the_project_folder(tmp_path: Path) -> None:
    """README, Production 2: `alembic upgrade head` in the project folder reads DATABASE_URL."""
    path = tmp_path / "by-alembic.sqlite3"
    result = subprocess.run(
        [str(VENV_BIN / "alembic"), "upgrade", "head"], cwd=ROOT,
        env=clean_env({"DATABASE_URL": f"sqlite+aiosqlite:///{path}"}),
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert schema_version(path) == [SCHEMA_HEAD]


def make_database_at(path: Path, revision: str) -> None:
    """An SQLite file a bot of an older version left: migrated up to ``revision`` only."""
    command.upgrade(alembic_config(f"sqlite+aiosqlite:///{path}"), revision)


async def test_a_database_at_an_older_revision_is_upgraded_on_start(
        tmp_path: Path, fake: FakeTelegram, procs: list[BotProcess]) -> None:
    path = tmp_path / "data" / "bot.sqlite3"
    path.parent.mkdir()
    await asyncio.to_thread(make_database_at, path, "0020")
    assert schema_version(path) == ["0020"]
    bot = BotProcess(tmp_path, telegram_env(fake, COORDINATOR_IDS="4242"))
    procs.append(bot)
    await bot.wait_log(READY, timeout=30)
    assert await bot.terminate() == 0, bot.log
    assert schema_version(path) == [SCHEMA_HEAD]
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM schools").fetchone() == (9,)


def stamp_newer(path: Path) -> None:
    """The database a newer version of the bot left behind (a rollback of the code)."""
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099'")


async def test_a_database_from_a_newer_version_is_refused_clearly(
        tmp_path: Path, fake: FakeTelegram) -> None:
    assert run_once(tmp_path, {}, "migrate").returncode == 0
    stamp_newer(tmp_path / "data" / "bot.sqlite3")
    result = await asyncio.to_thread(run_once, tmp_path, telegram_env(fake))
    assert result.returncode == 2
    [line] = [line for line in lines_of(result.stderr) if " INFO " not in line]
    assert "newer" in line and "0099" in line, line
    assert "does not answer" not in line


def test_migrate_on_a_database_from_a_newer_version_is_one_sentence(tmp_path: Path) -> None:
    assert run_once(tmp_path, {}, "migrate").returncode == 0
    stamp_newer(tmp_path / "data" / "bot.sqlite3")
    result = run_once(tmp_path, {}, "migrate")
    output = result.stderr + result.stdout
    assert "Traceback" not in output, output
    assert result.returncode == 2
    [line] = [line for line in lines_of(result.stderr) if " INFO " not in line]
    assert "newer" in line and "0099" in line, line
    assert schema_version(tmp_path / "data" / "bot.sqlite3") == ["0099"]  # left alone


async def test_starting_twice_on_the_same_sqlite_file_is_refused(
        tmp_path: Path, fake: FakeTelegram, procs: list[BotProcess]) -> None:
    env = telegram_env(fake, COORDINATOR_IDS="4242")
    first = BotProcess(tmp_path, env, name="first")
    procs.append(first)
    await first.wait_log(READY)
    second = BotProcess(tmp_path, env, name="second")
    procs.append(second)
    code = await second.wait_exit(8)
    assert code is not None, "the second bot runs beside the first:\n" + second.log
    assert code == 2 and "Traceback" not in second.log, second.log
    assert first.process.poll() is None  # the first one goes on


# ---------------------------------------------------------------------------------------------
# Running: SIGTERM, logs, the Procfile


async def seed_broadcast(db: Database, parents: int) -> set[int]:
    now = utcnow()
    first = 7_000_000
    async with db.session() as session:
        await reminders.set_default_quiet(session, reminders.QuietHours(0, 0))  # real clock
        await session.execute(insert(Person), [
            {"telegram_id": first + i, "first_name": f"Ouder {i}", "locale": "nl",
             "role": "parent", "created_at": now, "onboarded_at": now}
            for i in range(parents)])
        people = (await session.execute(select(Person.id, Person.telegram_id)
                                        .where(Person.telegram_id >= first))).all()
        await outbox.enqueue_many(session, [
            NewMessage(f"broadcast:1:{person}", chat, person, "text",
                       {"text": "Woensdag geen school."}, group_key="broadcast:1")
            for person, chat in people])
        await session.commit()
    return {chat for _person, chat in people}


async def test_sigterm_while_sending_a_broadcast_stops_cleanly_with_exit_0(
        tmp_path: Path, fake: FakeTelegram, db: Database, procs: list[BotProcess]) -> None:
    chats = await seed_broadcast(db, 400)
    env = telegram_env(fake, DATABASE_URL=db.url, COORDINATOR_IDS="4242", OUTBOX_RATE="80")
    bot = BotProcess(tmp_path, env)
    procs.append(bot)
    deadline = time.monotonic() + 20
    while sum(c.ok and c.chat_id in chats for c in fake.calls) < 40:  # mid-way through
        assert bot.process.poll() is None and time.monotonic() < deadline, bot.log
        await asyncio.sleep(0.02)
    assert await bot.terminate() == 0, bot.log
    assert "Traceback" not in bot.log and "Task was destroyed" not in bot.log, bot.log
    async with db.session() as session:
        counts = dict((await session.execute(
            select(OutboxMessage.status, func.count())
            .group_by(OutboxMessage.status))).all())
    # Stopped mid-way, and nothing left claimed: the next start sends the rest at once.
    assert 0 < counts.get("sent", 0) < len(chats), counts
    assert counts.get("sending", 0) == 0, counts


async def test_logs_at_the_default_level_hold_no_text_name_phone_or_token(
        tmp_path: Path, fake: FakeTelegram, procs: list[BotProcess]) -> None:
    bot = BotProcess(tmp_path, telegram_env(fake, COORDINATOR_IDS="4242"))
    procs.append(bot)
    await bot.wait_log(READY)
    parent = fake.user(31_337, "Gurpreet", last_name="Sandhu", username="gurpreet_sandhu_86",
                       language_code="pa")
    fake.mark()
    fake.send_command(parent, "/start s_klimop")
    await fake.wait_for("sendMessage", chat_id=parent.id, timeout=10)
    fake.mark()
    fake.press_button(parent, "ਪੰਜਾਬੀ")
    await fake.wait_for(("sendMessage", "editMessageText"), chat_id=parent.id, timeout=10)
    fake.mark()
    fake.fail_next("sendMessage", 500, chat_id=parent.id)  # a failure on the way, logged
    fake.send_text(parent, "Mijn nummer is 0470 12 34 56, bel me over de schooltoelage")
    await fake.wait_for("sendMessage", chat_id=parent.id, timeout=10, ok=True)
    await fake.wait_idle()
    assert await bot.terminate() == 0
    log = bot.log
    for secret in (fake.token, fake.token.split(":", 1)[1], "Gurpreet", "Sandhu",
                   "gurpreet_sandhu_86", "0470", "12 34 56", "schooltoelage", "nummer"):
        assert secret not in log, f"{secret!r} in the log:\n{log}"
    assert READY in log  # the log is there, just clean


def procfile_line(kind: str) -> str:
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        name, _, command_line = line.partition(":")
        if name.strip() == kind:
            return command_line.strip()
    raise AssertionError(f"no {kind}: line in the Procfile")


def procfile_env(fake: FakeTelegram, **extra: str) -> dict[str, str]:
    """What a Procfile runner gives the line: the venv's `python` first on PATH."""
    path = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    return telegram_env(fake, PATH=path, COORDINATOR_IDS="4242", **extra)


async def test_procfile_worker_line_polls_and_stops_with_exit_0(
        tmp_path: Path, fake: FakeTelegram, procs: list[BotProcess]) -> None:
    bot = BotProcess(tmp_path, procfile_env(fake), ["bash", "-c", procfile_line("worker")],
                     name="worker")
    procs.append(bot)
    await bot.wait_log(READY)
    fake.mark()
    fake.send_command(fake.user(31_338, "Ayse", language_code="tr"), "/start")
    await fake.wait_for("sendMessage", chat_id=31_338, timeout=10)
    assert await bot.terminate() == 0, bot.log
    assert (tmp_path / "data" / "bot.sqlite3").is_file()  # README: an SQLite file under ./data/


async def test_procfile_web_line_serves_the_webhook_health_and_stops_with_exit_0(
        tmp_path: Path, fake: FakeTelegram, procs: list[BotProcess]) -> None:
    port = free_port()
    secret = "s3cret_" + "x" * 20
    env = procfile_env(fake, WEBHOOK_URL="https://bot.example.org/telegram",
                       WEBHOOK_SECRET=secret, PORT=str(port), LISTEN="127.0.0.1")
    bot = BotProcess(tmp_path, env, ["bash", "-c", procfile_line("web")], name="web")
    procs.append(bot)
    await bot.wait_log("webhook mode: listening")
    assert fake.webhook_url == "https://bot.example.org/telegram"
    base = f"http://127.0.0.1:{port}"
    update = {"update_id": 1, "message": {
        "message_id": 1, "date": int(time.time()), "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        "chat": {"id": 31_339, "type": "private", "first_name": "Jan"},
        "from": {"id": 31_339, "is_bot": False, "first_name": "Jan"}}}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as response:
            assert response.status == 200
        async with http.post(f"{base}/telegram", json=update) as response:
            assert response.status == 403  # no secret header
        fake.mark()
        async with http.post(f"{base}/telegram", json=update,
                             headers={"X-Telegram-Bot-Api-Secret-Token": secret}) as response:
            assert response.status == 200
    await fake.wait_for("sendMessage", chat_id=31_339, timeout=10)
    assert await bot.terminate() == 0, bot.log
    assert "Traceback" not in bot.log
    assert secret not in bot.log


def test_settings_error_class_is_what_main_catches() -> None:
    """A bad TIMEZONE is a ConfigError (one sentence), not a ZoneInfo traceback."""
    with pytest.raises(ConfigError, match="TIMEZONE 'Europe/Brussel' is not a known time zone"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "123456789:" + "A" * 35,
                           "TIMEZONE": "Europe/Brussel"}, env_file=None)


async def test_sigterm_right_after_start_stops_the_sender_cleanly(
        tmp_path: Path, procs: list[BotProcess]) -> None:
    # Every call but getUpdates takes 0.3 s: the stop lands while polling is being set up, as
    # a supervisor's quick restart or a deploy right after a start does.
    async with FakeTelegram(call_latency=0.3) as slow:
        bot = BotProcess(tmp_path, telegram_env(slow, COORDINATOR_IDS="4242"))
        procs.append(bot)
        await bot.wait_log(READY, timeout=20)
        code = await bot.terminate()
    assert code == 0, bot.log
    assert "Task was destroyed" not in bot.log, bot.log
    assert "Traceback" not in bot.log and "never retrieved" not in bot.log, bot.log
    assert "outbox" not in bot.log.lower(), bot.log


async def test_sigterm_the_moment_it_is_ready_stops_with_exit_0_every_time(
        tmp_path: Path, fake: FakeTelegram, procs: list[BotProcess]) -> None:
    # A signal landing just as the poller started: under PTB's run_polling about one stop in
    # ten exited 1 ("Event loop stopped before Future completed"), seen in CI. Six tries.
    for attempt in range(6):
        bot = BotProcess(tmp_path, telegram_env(fake, COORDINATOR_IDS="4242"),
                         name=f"bot-{attempt}")
        procs.append(bot)
        await bot.wait_log(READY, timeout=20)
        assert await bot.terminate() == 0, bot.log
        assert "Traceback" not in bot.log and "ERROR" not in bot.log, bot.log


def test_a_groups_id_in_coordinator_ids_is_refused_with_why() -> None:
    with pytest.raises(ConfigError, match="-1001234567890 is a group's id"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "123456789:" + "A" * 35,
                           "COORDINATOR_IDS": "111,-1001234567890"}, env_file=None)


def test_an_empty_variable_does_not_undo_the_env_file(tmp_path: Path) -> None:
    """A blank line of a service file (COORDINATOR_IDS=) leaves the .env file's value."""
    env_file = tmp_path / ".env"
    env_file.write_text("TELEGRAM_BOT_TOKEN=123456789:" + "B" * 35 + "\nCOORDINATOR_IDS=111\n",
                        encoding="utf-8")
    settings = Settings.from_env({"COORDINATOR_IDS": ""}, env_file=env_file)
    assert settings.coordinator_ids == {111}
