"""Plain rules of the questions service."""

from __future__ import annotations

import pytest

from bot.services.questions import first_unanswered

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
