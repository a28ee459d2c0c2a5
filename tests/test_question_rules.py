"""Plain rules of the questions service."""

from __future__ import annotations

import pytest

from bot.services.questions import first_unanswered, last_reminded

PARENT, ANSWER = True, False


@pytest.mark.parametrize(("messages", "expected"), [
    ([], None),
    ([(1, PARENT), (2, PARENT)], None),  # never answered: escalation's, not this
    ([(1, PARENT), (2, ANSWER)], None),  # the last word is the answer
    ([(1, PARENT), (2, ANSWER), (3, PARENT), (4, PARENT)], 3),  # from the first since
    ([(1, PARENT), (2, ANSWER), (3, PARENT), (4, ANSWER), (5, PARENT)], 5),
    ([(1, PARENT), (2, ANSWER), (3, PARENT), (4, ANSWER)], None),
    ([(1, PARENT), (2, ANSWER), (3, ANSWER), (4, PARENT)], 4),
])
def test_the_parents_first_message_since_the_last_answer(
    messages: list[tuple[int, bool]], expected: int | None
) -> None:
    assert first_unanswered(messages) == expected


@pytest.mark.parametrize(("messages", "after", "expected"), [
    # reminded when 4 was the newest: 5 starts a new run
    ([(1, PARENT), (2, ANSWER), (3, PARENT), (4, PARENT), (5, PARENT)], 4, 5),
    ([(1, PARENT), (2, ANSWER), (3, PARENT), (4, PARENT)], 4, None),  # nothing since
    # a reminder before the last answer counts for nothing
    ([(1, PARENT), (2, ANSWER), (3, PARENT), (4, ANSWER), (5, PARENT)], 3, 5),
])
def test_a_message_after_a_reminder_starts_a_new_run(
    messages: list[tuple[int, bool]], after: int, expected: int | None
) -> None:
    assert first_unanswered(messages, after) == expected


def test_the_reminders_sent_are_read_from_their_keys() -> None:
    assert last_reminded(["q:7:nudge:100:m12", "q:7:nudge:100:m30", "q:7:nudge:200:m12",
                      "q:8:nudge:100:m3"]) == {(7, 100): 30, (7, 200): 12, (8, 100): 3}
