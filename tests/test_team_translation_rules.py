"""The rule of a reply to a translation request, without Telegram: what it fills, what it
corrects (its author's own words), what it never touches (a colleague's)."""

from __future__ import annotations

import json

from bot.services.programme import LocalText
from bot.services.team_translation import (
    DESCRIPTION,
    SHOWN,
    TITLE,
    VOICE,
    Outcome,
    Request,
    merge,
    shown_dutch,
    still_fits,
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


SLEEP = LocalText("Ouderbabbel: slapen", "Over goed slapen.")


def test_a_reply_fits_while_the_dutch_it_translates_is_the_same() -> None:
    """The importer's rule: each written part goes with its Dutch part; a voice with both."""
    asked = Request(12, "tr", dutch=SLEEP)
    assert still_fits(asked, SLEEP, title=True, description=True, voice=False)
    assert still_fits(asked, SLEEP, title=False, description=False, voice=True)
    food = LocalText("Ouderbabbel: gezond eten", "Over gezonde brooddozen.")
    assert not still_fits(asked, food, title=True, description=True, voice=False)
    assert not still_fits(asked, food, title=False, description=False, voice=True)
    # A typo fixed in the Dutch description: a title-only reply still fits, a description
    # (or a voice, which tells it) no longer does.
    fixed = LocalText(SLEEP.title, "Over goed slapen, voor iedereen.")
    assert still_fits(asked, fixed, title=True, description=False, voice=False)
    assert not still_fits(asked, fixed, title=True, description=True, voice=False)
    assert not still_fits(asked, fixed, title=False, description=False, voice=True)
    # The Dutch title changed: a description-only request's reply still fits.
    renamed = LocalText("Ouderbabbel: nachtrust", SLEEP.description)
    assert still_fits(Request(12, "tr", description_only=True, dutch=SLEEP), renamed,
                      title=False, description=True, voice=False)
    # A request that kept no Dutch (an announcement's, an older one) is taken as it is.
    assert still_fits(Request(12, "tr"), food, title=True, description=True, voice=True)


def test_a_request_keeps_the_dutch_it_showed_in_its_payload() -> None:
    payload = json.dumps({"text": "🙋 …", SHOWN: [SLEEP.title, SLEEP.description]})
    assert shown_dutch(payload) == SLEEP
    assert shown_dutch(json.dumps({"text": "🙋 …"})) is None
    assert shown_dutch("{}") is None
    assert shown_dutch("not json") is None
    assert shown_dutch(json.dumps({SHOWN: ["only a title"]})) is None
