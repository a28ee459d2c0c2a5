"""`python -m bot` as an operator runs it: clear words for bad settings, migrations on start."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from storage.db import Database, alembic_config
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent


def run_bot(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "COORDINATOR_IDS", "TIMEZONE")}
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=tmp_path, env={**clean, **env},
        capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_missing_or_malformed_token_is_one_sentence(tmp_path: Path, token: str | None) -> None:
    result = run_bot(tmp_path, {"TELEGRAM_BOT_TOKEN": token} if token else {})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "@BotFather" in lines[0], result.stderr
    assert not (tmp_path / "data").exists()  # nothing created for a bot that cannot start


def test_migrate_command_creates_the_default_sqlite_file(tmp_path: Path) -> None:
    result = run_bot(tmp_path, {}, "migrate")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "bot.sqlite3").is_file()


def test_migrate_against_a_database_that_does_not_answer_is_one_sentence(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://bot:secret-password@127.0.0.1:1/bot"  # nothing listens on 1
    result = run_bot(tmp_path, {"DATABASE_URL": url}, "migrate")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("The database does not answer"), result.stderr
    assert "secret-password" not in result.stderr


async def test_migrations_upgrade_and_downgrade(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    db = Database.create(url)
    try:
        await db.migrate()
        async with db.engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert {"people", "schools", "person_schools"} <= tables
        await db.load_default_schools()
        assert await db.load_default_schools() == 0  # loaded once, never twice

        await asyncio.to_thread(command.downgrade, alembic_config(url), "base")
        async with db.engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert tables <= {"alembic_version"}
    finally:
        await db.close()


async def test_an_unreachable_database_or_telegram_is_named_in_one_sentence(
        tmp_path: Path) -> None:
    """With Telegram answering (the fake server), the database is what fails; without it,
    Telegram is."""
    async with FakeTelegram() as fake:
        env = {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url,
               "DATABASE_URL": "postgresql+asyncpg://bot:geheim@127.0.0.1:1/bot"}
        result = await asyncio.to_thread(run_bot, tmp_path, env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "geheim" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "The database does not answer (postgresql+asyncpg://bot:***@127.0.0.1:1/bot: "
        "ConnectionRefusedError). Is it running, and is DATABASE_URL right?"]

    result = run_bot(tmp_path, {"TELEGRAM_BOT_TOKEN": fake.token,
                                "TELEGRAM_API_BASE_URL": "http://127.0.0.1:1/bot"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [sentence] = result.stderr.strip().splitlines()  # not PTB's "Failed run number 0 of 0"
    assert sentence.startswith("Telegram's Bot API does not answer"), result.stderr


def test_a_restart_at_the_newest_schema_does_not_load_alembic(tmp_path: Path) -> None:
    """Alembic is 10 MiB of memory: a bot whose database is up to date never imports it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    script = ("import asyncio, sys\nfrom storage.db import Database\n"
              f"db = Database.create({url!r})\n"
              "asyncio.run(db.prepare())\n"
              "print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic'}))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def prepare() -> str:
        return subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, check=True,
                              capture_output=True, text=True, timeout=60).stdout.strip()

    assert prepare() == "['alembic']"  # a new database: built, and stamped by Alembic
    assert prepare() == "[]"  # the restart


def test_the_running_bot_leaves_the_file_makers_unloaded() -> None:
    """Posters (fpdf2, PDFium, segno, with numpy and fontTools behind them), spreadsheets
    (openpyxl) and charts (matplotlib) are imported when one is made: at start-up they took
    0.7 s and 40 MB on this project's machine."""
    heavy = {"fpdf", "pypdfium2", "segno", "numpy", "fontTools", "PIL", "openpyxl",
             "matplotlib"}
    script = ("import sys\nfrom bot.app import build_application\nfrom bot.config import "
              "Settings\nbuild_application(Settings(token='1:x', "
              "database_url='sqlite+aiosqlite://'))\n"
              f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({sorted(heavy)!r})))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    loaded = subprocess.run([sys.executable, "-c", script], env=env, check=True,
                            capture_output=True, text=True, timeout=60).stdout.strip()
    assert loaded == "[]"
