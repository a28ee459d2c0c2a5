"""The plain rules behind the review fixes of /announce: a long Dutch text split by
Telegram's app, and when a colleague asked in a red hour sees the request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.handlers.announce import when_seen
from bot.services.announcement import Part, continues_long_text
from bot.services.outbox import NewMessage

AT = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)
LETTER = "Beste ouders, het schoolfeest is op zaterdag en iedereen is welkom. " * 60


def test_the_rest_of_a_long_dutch_text_sent_right_after_it_is_its_rest() -> None:
    rest = Part("text", "Het schoolfeest is op zaterdag. Groeten, de directie.")
    assert continues_long_text(Part("text", LETTER), AT, rest, AT + timedelta(seconds=1))


def test_a_translation_pasted_right_after_a_long_dutch_text_is_the_translation() -> None:
    turkish = Part("text", "Sevgili veliler, okul şenliği cumartesi günü, herkes davetli. " * 60)
    assert not continues_long_text(Part("text", LETTER), AT, turkish, AT)


def test_a_short_text_or_a_later_message_is_never_joined() -> None:
    rest = Part("text", "Het schoolfeest is op zaterdag.")
    assert not continues_long_text(Part("text", "Beste ouders, het schoolfeest."), AT, rest, AT)
    assert not continues_long_text(Part("text", LETTER), AT, rest, AT + timedelta(minutes=1))
    assert not continues_long_text(Part("text", LETTER), None, rest, AT)


def test_the_team_sees_a_request_at_the_first_green_hour_when_all_are_off() -> None:
    def request(when: datetime | None) -> NewMessage:
        return NewMessage("k", 1, 1, "text", {"text": "🙋"}, not_before=when)

    morning = AT + timedelta(hours=12)
    assert when_seen([request(morning), request(morning + timedelta(hours=1))], AT) == morning
    assert when_seen([request(morning), request(None)], AT) is None
