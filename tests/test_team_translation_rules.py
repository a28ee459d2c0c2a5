"""The rule of a reply to a translation request, without Telegram: what it fills, what it
corrects (its author's own words), what it never touches (a colleague's)."""

from __future__ import annotations

from bot.services.team_translation import (
    DESCRIPTION,
    TITLE,
    VOICE,
    Outcome,
    Request,
    merge,
    target_of,
)

EMPTY = {TITLE: "", DESCRIPTION: "", VOICE: ""}
WRITTEN = {TITLE: "Yoga", DESCRIPTION: "Rustig", VOICE: ""}


def test_a_first_reply_fills_what_is_empty() -> None:
    assert merge(EMPTY, {TITLE: "Yoga", DESCRIPTION: "Rustig"}, set()) == (
        {TITLE: "Yoga", DESCRIPTION: "Rustig"}, Outcome.SAVED)
    # A title-only reply leaves the description for later.
    assert merge(EMPTY, {TITLE: "Yoga", DESCRIPTION: ""}, set()) == (
        {TITLE: "Yoga"}, Outcome.SAVED)


def test_a_colleagues_words_are_never_replaced() -> None:
    assert merge(WRITTEN, {TITLE: "Joga", DESCRIPTION: "Kalm"}, set()) == (
        {}, Outcome.ALREADY_DONE)
    # What is still empty is filled all the same.
    assert merge({**WRITTEN, DESCRIPTION: ""}, {TITLE: "Joga", DESCRIPTION: "Kalm"}, set()) == (
        {DESCRIPTION: "Kalm"}, Outcome.SAVED)


def test_the_author_replaces_her_own_words() -> None:
    assert merge(WRITTEN, {TITLE: "Joga", DESCRIPTION: "Kalm"}, {TITLE, DESCRIPTION}) == (
        {TITLE: "Joga", DESCRIPTION: "Kalm"}, Outcome.UPDATED)
    # A correction of the title alone keeps her description: no word is lost.
    assert merge(WRITTEN, {TITLE: "Joga", DESCRIPTION: ""}, {TITLE, DESCRIPTION}) == (
        {TITLE: "Joga"}, Outcome.UPDATED)
    # Only the part that is hers: the title is a colleague's (or the coordinator's).
    assert merge(WRITTEN, {TITLE: "Joga", DESCRIPTION: "Kalm"}, {DESCRIPTION}) == (
        {DESCRIPTION: "Kalm"}, Outcome.UPDATED)


def test_a_voice_message_follows_the_same_rule() -> None:
    recorded = {**EMPTY, VOICE: "file-1"}
    assert merge(EMPTY, {VOICE: "file-1"}, set()) == ({VOICE: "file-1"}, Outcome.SAVED)
    assert merge(recorded, {VOICE: "file-2"}, set()) == ({}, Outcome.ALREADY_DONE)
    assert merge(recorded, {VOICE: "file-2"}, {VOICE}) == ({VOICE: "file-2"}, Outcome.UPDATED)


def test_a_description_request_and_a_full_one_are_the_same_text() -> None:
    assert target_of(Request(12, "pa")) == target_of(Request(12, "pa", description_only=True))
    assert target_of(Request(12, "pa")) != target_of(Request(12, "pa", announcement=True))
