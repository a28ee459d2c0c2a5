"""``python -m tests.console`` end to end: a piped script, the real bot as a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.fake_telegram import DEFAULT_TOKEN

REPO_ROOT = Path(__file__).resolve().parent.parent
GURMUKHI = re.compile(r"[\u0A00-\u0A7F]")

SCRIPT = "\n".join([
    "/start s_klimop",
    "tap ਪੰਜਾਬੀ",
    "tap ਠੀਕ ਹੈ",  # the OK button of the privacy notice
    "key ਮਦਦ",
    "quit",
]) + "\n"


def answers(output: str) -> dict[str, list[str]]:
    """The console's lines after each echoed "> command", keyed by the command."""
    blocks: dict[str, list[str]] = {}
    current: list[str] = blocks.setdefault("", [])
    for line in output.splitlines():
        if line.startswith("> "):
            current = blocks.setdefault(line[2:], [])
        else:
            current.append(line)
    return blocks


def test_punjabi_onboarding_through_the_console(tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    env = {
        **os.environ,
        # -m tests.console and the bot's -m bot import from this checkout, from any cwd.
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH"))
                                      if p),
        "PYTHONIOENCODING": "utf-8",
    }
    env.pop("COORDINATOR_IDS", None)
    database = tmp_path / "console.sqlite3"

    done = subprocess.run(
        [sys.executable, "-m", "tests.console", "--database-url",
         f"sqlite+aiosqlite:///{database}"],
        input=SCRIPT.encode(),
        capture_output=True,
        cwd=workdir,
        env=env,
        timeout=30,
    )

    output = done.stdout.decode()
    log = workdir / "data" / "console-bot.log"
    assert done.returncode == 0, output + done.stderr.decode() + log.read_text(errors="replace")
    blocks = answers(output)

    # The greeting: the three languages, each named in its own script, numbered to tap.
    assert "[1] Nederlands" in output and "[2] Türkçe" in output and "[3] ਪੰਜਾਬੀ" in output
    # After choosing Punjabi the bot speaks Gurmukhi: the privacy notice, then the welcome.
    assert any(GURMUKHI.search(line) for line in blocks["tap ਪੰਜਾਬੀ"] if "(edited)" not in line)
    welcome = blocks["tap ਠੀਕ ਹੈ"]
    assert any(line.startswith("bot: ") and GURMUKHI.search(line) for line in welcome), welcome
    keyboards = [line for line in welcome if line.startswith("keyboard: ")]
    assert keyboards and "ਮਦਦ" in keyboards[-1], welcome
    assert any(line.startswith("menu: /start – ") and GURMUKHI.search(line) for line in welcome)
    # The help key answers in Punjabi too.
    assert any(line.startswith("bot: ") and GURMUKHI.search(line) for line in blocks["key ਮਦਦ"])
    assert "Bot stopped (exit code 0)." in output

    # The bot ran against the database asked for; its log went to ./data, without the token.
    assert database.exists()
    assert log.exists()
    assert DEFAULT_TOKEN not in output and DEFAULT_TOKEN not in log.read_text(errors="replace")
