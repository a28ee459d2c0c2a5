"""The bot keeps within Telegram's Bot API limits wherever real data can push it.

Each test drives the real Application against the fake Bot API server (tests/fake_telegram.py,
which refuses a text over 4096, a caption over 1024, callback data over 64 bytes, an answer
alert over 200 characters...) with realistic extremes: a school's week of forty activities with
long Punjabi texts, 150 open questions, a long formatted announcement, a photo's full caption,
a 25 MB voice message. What is checked each time: the reader gets every word (in several
messages where needed, none cut off silently) and no Bot API call fails.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.handlers.commands import bot_commands
from bot.i18n import SUPPORTED_LOCALES
from bot.services.outbox import utf16_len
from bot.services.roles import Role
from storage.db import Database
from storage.models import Activity, Person, Question, QuestionMessage, Rsvp, School
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, outbox_settled
from tests.helpers import Person as Talker
from tests.test_announce_formatting_e2e import (
    entity,
    formatting,
    send_it,
    to_the_screen,
    wants_dutch_below,
)
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import join_team
from tests.test_team_translation_e2e import GREEN

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Brussels

# Plain Gurmukhi and Turkish words, as a brugfiguur writes them (2 and 3 bytes in UTF-8).
PA_WORDS = ("ਮਾਪਿਆਂ", "ਲਈ", "ਬੱਚਿਆਂ", "ਦੀ", "ਵਰਕਸ਼ਾਪ", "ਸਕੂਲ", "ਵਿੱਚ", "ਖੇਡਾਂ", "ਅਤੇ",
            "ਗੱਲਬਾਤ", "ਸਾਰੇ", "ਸੁਆਗਤ", "ਹੈ।")
TR_WORDS = ("Veliler", "için", "çocuklarımızla", "birlikte", "öğleden", "sonra", "şarkı",
            "söyleyip", "oyun", "oynuyoruz", "İlkokul", "bahçesinde", "ağaç", "dikiyoruz.")
NL_WORDS = ("Ouders", "en", "kinderen", "spelen", "samen", "in", "de", "turnzaal", "van",
            "school", "met", "een", "begeleider.")


def words(vocabulary: Iterable[str], length: int, tag: str) -> str:
    """A text of exactly ``length`` characters of real words, ending in ``tag`` (unique, so
    that a test finds where it went)."""
    vocabulary = list(vocabulary)
    out: list[str] = []
    size = len(tag)
    n = 0
    while size + len(vocabulary[n % len(vocabulary)]) + 1 <= length:
        word = vocabulary[n % len(vocabulary)]
        out.append(word)
        size += len(word) + 1
        n += 1
    text = " ".join([*out, tag])
    return text + "ੴ" * (length - len(text)) if vocabulary is PA_WORDS else text.ljust(length, ".")


def flat(text: str) -> str:
    """Whitespace runs as one space: a text cut between messages is the same words."""
    return re.sub(r"\s+", " ", text).strip()


def everything_said(fake: FakeTelegram, chat_id: int, since: int = 0) -> str:
    return flat("\n".join(fake.texts(chat_id)[since:]))


def failed_calls(fake: FakeTelegram) -> list[str]:
    """Bot API calls Telegram would have refused (getUpdates' long polls aside)."""
    return [f"{c.method}: {c.description}" for c in fake.calls
            if not c.ok and c.method != "getUpdates"]


async def quick_outbox(bot: Handled) -> None:
    """The outbox's one message a second per chat, made quicker: a test of forty long
    activities needs no real minute (what is sent is the same)."""
    assert bot.app is not None
    lead = bot.app.bot_data["outbox"]
    for _attempt in range(100):
        sender = getattr(lead, "sender", lead)
        if sender is not None and hasattr(sender, "_chat_interval"):
            sender._chat_interval = 0.01
            return
        await asyncio.sleep(0.02)
    raise AssertionError("no outbox sender")


# --------------------------------------------------------------------------------------------
# a school's week of forty activities, with long Punjabi and Turkish texts


def programme_csv(rows: list[dict[str, str]]) -> bytes:
    columns = ["id", "kind", "schools", "date", "start", "end", "place", "address", "title_nl",
               "description_nl", "title_tr", "description_tr", "title_pa", "description_pa"]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, delimiter=";", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    return out.getvalue().encode("utf-8")


def forty_activities(school: str = "klimop", *, description: int = 1000) -> list[dict[str, str]]:
    """Forty activities from Monday 23 to Saturday 28 November 2026 at one school: titles
    of 200 characters (the most a title may have), descriptions of ``description``."""
    rows = []
    for n in range(40):
        day = 23 + n % 6
        hour = 8 + n // 6 * 2 % 12
        rows.append({
            "id": f"lang-{n:02d}", "kind": "workshop", "schools": school,
            "date": f"2026-11-{day:02d}", "start": f"{hour:02d}:00", "end": f"{hour + 1:02d}:00",
            "place": "Turnzaal", "address": "Kazernestraat 13, 3800 Sint-Truiden",
            "title_nl": words(NL_WORDS, 200, f"NLT{n:02d}"),
            "description_nl": words(NL_WORDS, description, f"NLD{n:02d}"),
            "title_tr": words(TR_WORDS, 200, f"TRT{n:02d}"),
            "description_tr": words(TR_WORDS, description + 150, f"TRD{n:02d}"),
            "title_pa": words(PA_WORDS, 200, f"PAT{n:02d}"),
            "description_pa": words(PA_WORDS, description + 200, f"PAD{n:02d}"),
        })
    return rows


async def coordinator_with(chat: Chat, rows: list[dict[str, str]]) -> Talker:
    greet = await coordinator_of(chat)
    [reply] = await greet.sends("document", file_name="programma.csv", mime_type="text/csv",
                                content=programme_csv(rows))
    assert reply["text"].startswith(f"Ingelezen: {len(rows)} nieuw"), reply["text"]
    return greet


async def test_a_week_of_forty_long_punjabi_activities_reaches_the_parent_whole(
    chat: Chat, fake: FakeTelegram
) -> None:
    """/week (Sunday 22 November): forty activities with a 200-character title and a
    1200-character description in Gurmukhi. More than one message can hold: every title and
    every description arrives whole, in order, the 📅 keyboard under the last part."""
    rows = forty_activities()
    await coordinator_with(chat, rows)
    harpreet = await onboard(chat, 7501, "Harpreet", "pa", "klimop")
    before = len(fake.transcript(harpreet.id))
    parts = await harpreet.says("/week")
    assert len(parts) > 1
    assert not failed_calls(fake)
    said = everything_said(fake, harpreet.id, before)
    for row in rows:
        assert flat(row["title_pa"]) in said, row["id"]
        assert flat(row["description_pa"]) in said, row["id"]
    assert [said.count(f"PAT{n:02d}") for n in range(40)] == [1] * 40  # none twice
    assert harpreet.keyboard()  # the big buttons are still there


async def test_the_weekly_broadcast_of_forty_long_activities_arrives_whole_in_each_language(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """The coordinator sends next week's programme to three parents of Klim-op (Dutch,
    Turkish, Punjabi; Ayşe also asked for the Dutch below the translation): each gets every
    activity's words, cut into parts Telegram takes; the 🇧🇪 button under the Turkish and
    Punjabi copy brings the Dutch week whole too."""
    await quick_outbox(bot)
    rows = forty_activities()
    greet = await coordinator_with(chat, rows)
    els = await onboard(chat, 7511, "Els", "nl", "klimop")
    ayse = await onboard(chat, 7512, "Ayşe", "tr", "klimop")
    harpreet = await onboard(chat, 7513, "Harpreet", "pa", "klimop")
    await ayse.says("/settings")
    await ayse.taps(data="set:nl:on")
    before = {p.id: len(fake.transcript(p.id)) for p in (els, ayse, harpreet)}

    await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 3 ouders")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: greet.last_text().startswith("Het rondsturen is klaar."), fake, 30)
    await outbox_settled(db)
    assert not failed_calls(fake)
    for person, language in ((els, "nl"), (ayse, "tr"), (harpreet, "pa")):
        said = everything_said(fake, person.id, before[person.id])
        for row in rows:
            assert flat(row[f"description_{language}"]) in said, (language, row["id"])
    # Ayşe's copy has the Dutch below the Turkish: all of it too.
    said = everything_said(fake, ayse.id, before[ayse.id])
    assert all(flat(row["description_nl"]) in said for row in rows)
    # The 🇧🇪 button is under the last part, and brings the Dutch week whole.
    last = fake.transcript(harpreet.id)[-1]
    assert [label for label, _data in FakeTelegram.inline_buttons(last)] == ["🇧🇪 Nederlands"]
    mark = len(fake.transcript(harpreet.id))
    await harpreet.taps("🇧🇪 Nederlands")
    said = everything_said(fake, harpreet.id, mark)
    assert all(flat(row["description_nl"]) in said for row in rows)
    assert not failed_calls(fake)


async def test_the_programme_preview_of_every_school_arrives_whole(
    chat: Chat, fake: FakeTelegram
) -> None:
    """/programme: next week's forty activities as each language reads them, then the list
    of what lacks a translation: every part within Telegram's limits."""
    rows = forty_activities()
    for row in rows[:35]:  # some without Punjabi: the list of what is missing is long too
        row["title_pa"] = row["description_pa"] = ""
    greet = await coordinator_with(chat, rows)
    before = len(fake.transcript(greet.id))
    await greet.says("/programme")
    await fake.wait_idle(quiet=0.3)
    assert not failed_calls(fake)
    said = everything_said(fake, greet.id, before)
    for row in rows:
        assert flat(row["description_tr"]) in said, row["id"]


async def test_a_title_of_a_thousand_punjabi_characters_is_refused_with_its_row(
    chat: Chat, fake: FakeTelegram
) -> None:
    """A title may have 200 characters: a 1000-character Punjabi title is not cut without a
    word, the file is refused and the reply says which row and column."""
    rows = forty_activities()[:3]
    rows[1]["title_pa"] = words(PA_WORDS, 1000, "PALONG")
    greet = await coordinator_of(chat)
    [reply] = await greet.sends("document", file_name="programma.csv", mime_type="text/csv",
                                content=programme_csv(rows))
    assert "title_pa" in reply["text"] and "200" in reply["text"], reply["text"]
    assert "3" in reply["text"]  # the sheet's row 3 (the header is row 1)
    assert not failed_calls(fake)


async def test_forty_rows_with_too_long_titles_get_a_readable_list_of_errors(
    chat: Chat, fake: FakeTelegram
) -> None:
    """Every title of the sheet too long (a column pasted in the wrong place): the list of
    errors reaches the coordinator within Telegram's limits."""
    rows = forty_activities()
    for row in rows:
        row["title_pa"] = words(PA_WORDS, 1000, "X") + row["description_pa"]
        row["title_tr"] = words(TR_WORDS, 1000, "Y")
    greet = await coordinator_of(chat)
    parts = await greet.sends("document", file_name="programma.csv", mime_type="text/csv",
                              content=programme_csv(rows))
    assert parts and "title_pa" in parts[0]["text"]
    assert not failed_calls(fake)


# --------------------------------------------------------------------------------------------
# commands, button data


async def test_every_command_and_its_description_is_within_telegrams_limits(
    chat: Chat, fake: FakeTelegram
) -> None:
    """setMyCommands: a command of 1–32 lower-case letters, digits and _, a description of
    3–256 characters (Telegram's documented range), in every language and for every role."""
    greet = await coordinator_of(chat)
    await greet.says("/help")
    await fake.wait_idle(quiet=0.3)
    sent = [c for c in fake.calls_of("setMyCommands")]
    assert sent and all(c.ok for c in sent)
    for call in sent:
        for command in call.params["commands"]:
            assert re.fullmatch(r"[a-z0-9_]{1,32}", command["command"]), command
            assert 3 <= len(command["description"]) <= 256, command
    # Each role's list, in each language, built the same way.
    for locale in SUPPORTED_LOCALES:
        for role in Role:
            for command in bot_commands(locale, role):
                assert 3 <= len(command.description) <= 256, (locale, role, command)


async def test_button_data_stays_within_64_bytes_for_a_parent_of_every_school(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """A parent (or a brugfiguur) with children in all nine schools: the 🇧🇪 button under
    the broadcast names the schools its copy was made for; its data keeps within 64 bytes,
    and the Dutch week it brings covers all nine."""
    await quick_outbox(bot)
    rows = []
    schools = ["engelmanshoven", "gelinden", "vlindertje", "heilighart", "kabouterland",
               "wijdeland", "klimop", "devilla", "debrug"]
    for n, code in enumerate(schools):
        rows.append({"id": f"s-{code}", "kind": "ouderbabbel", "schools": code,
                     "date": f"2026-11-{23 + n % 5:02d}", "start": "13:00", "end": "14:00",
                     "title_nl": f"Ouderbabbel {code}", "title_tr": f"Veli sohbeti {code}",
                     "title_pa": f"ਮਾਪਿਆਂ ਦੀ ਗੱਲਬਾਤ {code}"})
    greet = await coordinator_with(chat, rows)
    harpreet = await onboard(chat, 7521, "ਹਰਪ੍ਰੀਤ ਕੌਰ", "pa", "klimop")
    await harpreet.says("/school")
    for name in ("Engelmanshoven", "Gelinden", "Vlindertje", "Heilig Hart", "Kabouterland",
                 "Wijdeland", "De Villa", "De Brug"):
        await harpreet.taps(name)
    async with db.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == harpreet.id))
        assert person is not None and len(person.schools) == 9
    await greet.says("/broadcast")
    await greet.taps("📤 Verstuur naar 1 ouder")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: greet.last_text().startswith("Het rondsturen is klaar."), fake, 15)
    await outbox_settled(db)
    last = fake.transcript(harpreet.id)[-1]
    [(label, data)] = FakeTelegram.inline_buttons(last)
    assert len(data.encode()) <= 64
    mark = len(fake.transcript(harpreet.id))
    await harpreet.taps(label)
    said = everything_said(fake, harpreet.id, mark)
    assert all(f"Ouderbabbel {code}" in said for code in schools), said
    assert not failed_calls(fake)


# --------------------------------------------------------------------------------------------
# questions: many open ones, long names


async def many_open_questions(db: Database, count: int, *, assignee: int | None = None,
                              first_id: int = 80_000) -> list[int]:
    """``count`` open questions of parents with a 64-character name with emoji."""
    ids = []
    async with db.session() as session:
        school = await session.scalar(select(School.id).where(School.code == "klimop"))
        for n in range(count):
            name = f"🌸 Ayşe Gül Yılmaz-Öztürk {n:03d} 👩‍👧‍👦"
            name = name + "ş" * (64 - utf16_len(name))
            parent = Person(telegram_id=first_id + n, first_name=name, locale="tr",
                            role="parent", onboarded_at=MONDAY_10)
            session.add(parent)
            await session.flush()
            question = Question(parent_id=parent.id, school_id=school, locale="tr",
                                topic="letter", status="open", opened_at=MONDAY_10,
                                assignee_id=assignee)
            session.add(question)
            await session.flush()
            session.add(QuestionMessage(question_id=question.id, from_parent=True,
                                        chat_id=parent.telegram_id, message_id=1,
                                        created_at=MONDAY_10))
            ids.append(question.id)
        await session.commit()
    return ids


async def test_inbox_with_150_open_questions_offers_every_one(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """150 open questions waiting for the coordinator (a holiday's backlog): every question
    listed can be opened, on this screen or a next page."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    ids = await many_open_questions(db, 150)
    parts = await greet.says("/inbox")
    assert not failed_calls(fake)
    said = "\n".join(p["text"] for p in parts)
    assert all(f"#{number}" in said for number in ids)
    buttons = [data for p in parts for _label, data in FakeTelegram.inline_buttons(p)]
    assert all(len(p.get("reply_markup", {}).get("inline_keyboard", [])) <= 100 for p in parts)
    offered = {int(d.split(":")[1]) for d in buttons if d.endswith(":show")}
    paged = any(not d.endswith(":show") for d in buttons)  # a ▶️ to the next ones
    assert offered == set(ids) or paged, f"{len(offered)} of {len(ids)} can be opened"


async def test_queue_with_150_open_questions_lets_every_one_be_handed_over(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    ids = await many_open_questions(db, 150)
    parts = await greet.says("/queue")
    assert not failed_calls(fake)
    buttons = [data for p in parts for _label, data in FakeTelegram.inline_buttons(p)]
    offered = {int(d.split(":")[1]) for d in buttons if d.endswith(":pick")}
    paged = any(not d.endswith(":pick") for d in buttons)
    assert offered == set(ids) or paged, f"{len(offered)} of {len(ids)} can be handed over"


async def test_inbox_of_150_questions_stays_within_telegrams_limits(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """However many buttons it offers: at most 100 on a message, every part at most 4096,
    every question listed once, names of 64 characters with emoji whole."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    ids = await many_open_questions(db, 150)
    for command in ("/inbox", "/queue"):
        parts = await greet.says(command)
        assert not failed_calls(fake), command
        for part in parts:
            keyboard = (part.get("reply_markup") or {}).get("inline_keyboard") or []
            assert sum(len(row) for row in keyboard) <= 100, command
        said = "\n".join(p["text"] for p in parts)
        assert [said.count(f"#{number} ") for number in ids] == [1] * 150, command
        assert said.count("👩‍👧‍👦") == 150


# --------------------------------------------------------------------------------------------
# a parent's photo with a full caption, a 25 MB voice message


async def test_a_parents_photo_with_a_full_caption_reaches_the_brugfiguur_whole(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Ayşe photographs a letter and types 1024 characters under it (Telegram's most): the
    brugfiguur gets the card, then the photo with all 1024 characters."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 7531, "Fatma", {"nl", "tr"}, db, contact_of="klimop")
    ayse = await onboard(chat, 7532, "Ayşe", "tr", "klimop")
    caption = words(TR_WORDS, 1024, "SONKELIME")
    await ayse.presses_key("❓")
    await ayse.picks_topic("letter")
    await ayse.sends("photo", caption=caption)
    await outbox_settled(db)
    copies = [m for m in fake.transcript(fatma.id) if m.get("photo")]
    assert [m.get("caption") for m in copies] == [caption]
    # The teacher's photo with its full caption, forwarded: the bot's line saying whose it
    # is comes as a message of its own; the caption stays whole.
    teacher = words(TR_WORDS, 1024, "OGRETMEN")

    def forward() -> dict[str, Any]:
        photo = fake._new_file("photo", b"\xff\xd8\xff\xe0" + bytes(2048), "jpg")
        return fake._user_message(ayse.user, {
            "photo": [fake._photo_size(photo, 1280, 960)], "caption": teacher,
            "forward_origin": {"type": "user", "date": int(MONDAY_10.timestamp()),
                               "sender_user": {"id": 5555, "is_bot": False,
                                               "first_name": "Juf", "last_name": "Anneleen"}}},
            None)

    await ayse._act(forward, None)
    await outbox_settled(db)
    copies = [m for m in fake.transcript(fatma.id) if m.get("photo")]
    assert [m.get("caption") for m in copies] == [caption, teacher]
    assert any(t.startswith("↪️") and "Juf Anneleen" in t for t in fake.texts(fatma.id))
    assert not failed_calls(fake)


async def test_a_25_mb_voice_question_is_passed_on_without_downloading_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """A parent's voice message of 25 MB (half an hour): a bot may download 20 MB at most,
    so it is passed on as a copy, never fetched with getFile."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 7541, "Fatma", {"nl", "tr"}, db, contact_of="klimop")
    ayse = await onboard(chat, 7542, "Ayşe", "tr", "klimop")
    await ayse.presses_key("❓")
    await ayse.picks_topic("letter")
    big = 25 * 1024 * 1024

    def send_big_voice() -> dict[str, Any]:
        voice = fake._new_file("voice", b"OggS" + bytes(big - 4), "oga")
        fields = {"voice": {**fake._file_fields(voice), "duration": 1800,
                            "mime_type": "audio/ogg"}}
        return fake._user_message(ayse.user, fields, None)

    await ayse._act(send_big_voice, None)
    await outbox_settled(db)
    assert any(m.get("voice", {}).get("file_size") == big for m in fake.transcript(fatma.id))
    assert not fake.calls_of("getFile")
    assert not failed_calls(fake)


async def test_a_programme_file_over_20_mb_is_refused_without_fetching_it(
    chat: Chat, fake: FakeTelegram
) -> None:
    """The coordinator sends a 25 MB workbook (photos pasted in it): Telegram would refuse
    to hand it to the bot, so the bot says it is too big and does not ask."""
    greet = await coordinator_of(chat)
    [reply] = await greet.sends("document", file_name="programma.xlsx",
                                mime_type="application/vnd.openxmlformats-officedocument."
                                          "spreadsheetml.sheet",
                                content=b"PK" + bytes(25 * 1024 * 1024))
    assert "te groot" in reply["text"], reply["text"]
    assert not fake.calls_of("getFile")
    assert not failed_calls(fake)


# --------------------------------------------------------------------------------------------
# a long formatted announcement, its translations longer


Shown = list[tuple[str, str, str | None]]


def formatted_text(vocabulary: Iterable[str], length: int, tag: str,
                   form: str) -> tuple[str, list[dict[str, Any]], Shown]:
    """A text of ``length`` characters with a bold opening, a link to the sign-up form in its
    middle (where a long text is cut) and italic words at its end, as Telegram sends it."""
    text = words(vocabulary, length, tag)
    bold = text[:40].rsplit(" ", 1)[0]
    middle = text.index(" ", length // 2 - 30) + 1
    link = text[middle:text.index(" ", middle + 60)]
    italic = text[-len(tag) - 20:].split(" ", 1)[1]
    entities = [entity(text, bold, "bold"), entity(text, link, "text_link", url=form),
                entity(text, italic, "italic")]
    return text, entities, [("bold", bold, None), ("text_link", link, form),
                            ("italic", italic, None)]


def shown_formatting(fake: FakeTelegram, chat_id: int, since: int) -> str:
    """Every formatted stretch of the chat's messages since ``since``, as one text."""
    return flat(" ".join(f"{kind}:{words}:{url}" for m in fake.transcript(chat_id)[since:]
                         for kind, words, url in formatting(m)))


async def test_a_long_formatted_announcement_and_its_longer_translations_arrive_whole(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """Dutch 4080 characters with bold, a link and italics; the Turkish 4096 (the most a
    message holds), the Punjabi from a colleague (4096 too). Els reads Dutch; Ayşe and
    Harpreet asked for the Dutch below the translation; Zeynep's language has none this time
    ... every reader gets every word, with the link and the bold, in as many messages as it
    takes; the preview too."""
    await quick_outbox(bot)
    form = "https://forms.gle/Inschrijven?usp=sf_link&lang=nl"
    greet = await coordinator_of(chat)
    simran = await join_team(chat, greet, 7551, "Simran", {"nl", "pa"}, db, availability=GREEN)
    els = await onboard(chat, 7552, "Els", "nl", "klimop")
    ayse = await onboard(chat, 7553, "Ayşe", "tr", "klimop")
    harpreet = await onboard(chat, 7554, "Harpreet", "pa", "klimop")
    await wants_dutch_below(db, ayse)
    await wants_dutch_below(db, harpreet)
    dutch, dutch_entities, dutch_shown = formatted_text(NL_WORDS, 4080, "NLEINDE", form)
    turkish, turkish_entities, turkish_shown = formatted_text(TR_WORDS, 4096, "TRSON", form)
    punjabi = words(PA_WORDS, 4096, "PAANT")

    await greet.says("/announce")
    await greet.sends("text", text=dutch, entities=dutch_entities)
    await greet.sends("text", text=turkish, entities=turkish_entities)
    await greet.taps("🙋 Vraag het team om te vertalen")
    for _voice in range(2):
        await greet.taps("⏭ Overslaan")
    [screen] = await greet.taps("⏭ Overslaan")
    assert not failed_calls(fake)

    # Simran's request holds the whole Dutch text and the form's address: more than one
    # message. Her reply to its first part is taken.
    await wait_until(lambda: any("NLEINDE" in t for t in fake.texts(simran.id)), fake)
    asked = [m for m in fake.transcript(simran.id) if "Inschrijven" in m.get("text", "")
             or m.get("text", "").startswith("🙋")]
    assert "NLEINDE" in everything_said(fake, simran.id)
    assert flat(dutch) in everything_said(fake, simran.id).replace(f" ({form})", "")
    [thanks] = await simran.says(punjabi, reply_to=asked[0])
    assert thanks["text"] == "✅ Dankjewel! Ouders lezen jouw woorden.", thanks["text"]

    # The preview: every language whole, the formatting kept.
    before = len(fake.transcript(greet.id))
    await greet.taps("👁 Voorbeeld")
    await fake.wait_idle(quiet=0.3)
    assert not failed_calls(fake)
    said = everything_said(fake, greet.id, before)
    assert all(flat(text) in said for text in (dutch, turkish, punjabi))
    shown = shown_formatting(fake, greet.id, before)
    assert all(flat(f"{k}:{w}:{u}") in shown for k, w, u in dutch_shown + turkish_shown), shown

    marks = {p.id: len(fake.transcript(p.id)) for p in (els, ayse, harpreet)}
    await greet.presses(screen, next(d for t, d in FakeTelegram.inline_buttons(screen)
                                     if t.startswith("📤")))
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: greet.last_text().startswith("Het rondsturen is klaar."), fake, 20)
    await outbox_settled(db)
    assert not failed_calls(fake)
    expected = {els.id: (dutch,), ayse.id: (turkish, dutch), harpreet.id: (punjabi, dutch)}
    for person_id, texts in expected.items():
        said = everything_said(fake, person_id, marks[person_id])
        assert all(flat(text) in said for text in texts), person_id
        shown = shown_formatting(fake, person_id, marks[person_id])
        assert all(flat(f"{k}:{w}:{u}") in shown for k, w, u in dutch_shown), person_id


async def test_the_dutch_original_marked_for_a_language_without_translation_arrives_whole(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """A 4090-character Dutch announcement, Dutch only: Zeynep reads it with the "(in
    Dutch)" mark above it, every word, the link kept."""
    await quick_outbox(bot)
    form = "https://forms.gle/Inschrijven?usp=sf_link&lang=nl"
    greet = await coordinator_of(chat)
    zeynep = await onboard(chat, 7561, "Zeynep", "tr", "klimop")
    dutch, dutch_entities, dutch_shown = formatted_text(NL_WORDS, 4090, "NLEINDE", form)
    await greet.says("/announce")
    await greet.sends("text", text=dutch, entities=dutch_entities)
    screen = await to_the_screen(greet)
    mark = len(fake.transcript(zeynep.id))
    await send_it(greet, screen)
    await wait_until(lambda: greet.last_text().startswith("Het rondsturen is klaar."), fake, 20)
    await outbox_settled(db)
    assert not failed_calls(fake)
    said = everything_said(fake, zeynep.id, mark)
    assert said.startswith(flat("🇧🇪 (Felemenkçe)")) and flat(dutch) in said
    shown = shown_formatting(fake, zeynep.id, mark)
    assert all(flat(f"{k}:{w}:{u}") in shown for k, w, u in dutch_shown), shown


# --------------------------------------------------------------------------------------------
# a photo announcement: the caption's 1024


async def photo_announcement(chat: Chat, greet: Talker, caption: str) -> dict[str, Any]:
    """/announce with a photo and its Dutch caption; the bot asks for the Turkish next."""
    await greet.says("/announce")
    return (await greet.sends("photo", caption=caption))[-1]


async def test_a_colleagues_caption_translation_too_long_for_a_photo_is_not_cut_silently(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """The Dutch caption under the school-party poster has 900 characters; Mehmet's Turkish
    has 1100 (Turkish runs longer). Telegram takes 1024 under a photo: either Ayşe gets
    every word (the rest below the photo), or Mehmet hears it is too long, as the
    coordinator does."""
    await quick_outbox(bot)
    greet = await coordinator_of(chat)
    mehmet = await join_team(chat, greet, 7571, "Mehmet", {"nl", "tr"}, db, availability=GREEN)
    ayse = await onboard(chat, 7572, "Ayşe", "tr", "klimop")
    await photo_announcement(chat, greet, words(NL_WORDS, 900, "NLEINDE"))
    await greet.taps("🙋 Vraag het team om te vertalen")
    screen = await to_the_rest_of_the_screen(greet)
    await wait_until(lambda: any(t.startswith("🙋") for t in fake.texts(mehmet.id)), fake)
    request = next(m for m in fake.transcript(mehmet.id) if m.get("text", "").startswith("🙋"))
    turkish = words(TR_WORDS, 1100, "SONKELIME")
    [thanks] = await mehmet.says(turkish, reply_to=request)
    mark = len(fake.transcript(ayse.id))
    await send_it(greet, screen)
    await wait_until(lambda: greet.last_text().startswith("Het rondsturen is klaar."), fake, 20)
    await outbox_settled(db)
    assert not failed_calls(fake)
    told = "1000" in thanks["text"] or "1.000" in thanks["text"] or "te lang" in thanks["text"]
    assert told or "SONKELIME" in everything_said(fake, ayse.id, mark), thanks["text"]


async def to_the_rest_of_the_screen(greet: Talker) -> dict[str, Any]:
    """After the Turkish question: Punjabi Dutch only, no voices; the audience screen."""
    await greet.taps("🇧🇪 Alleen Nederlands")
    for _voice in range(2):
        await greet.taps("⏭ Overslaan")
    [screen] = await greet.taps("⏭ Overslaan")
    assert screen["text"].startswith("📣 Je aankondiging"), screen["text"]
    return screen


async def test_a_photo_caption_of_1000_characters_reaches_every_reader_within_1024(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    """A Dutch caption of 1000 characters (the most /announce takes): Harpreet gets it with the
    "(in Dutch)" mark, and asked for the Dutch below, Ayşe's Turkish caption stays whole
    (the Dutch comes with the 🇧🇪 button): no caption over 1024."""
    await quick_outbox(bot)
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, 7581, "Ayşe", "tr", "klimop")
    harpreet = await onboard(chat, 7582, "Harpreet", "pa", "klimop")
    await wants_dutch_below(db, ayse)
    dutch = words(NL_WORDS, 1000, "NLEINDE")
    turkish = words(TR_WORDS, 1000, "SONKELIME")
    await photo_announcement(chat, greet, dutch)
    await greet.sends("text", text=turkish)
    screen = await to_the_rest_of_the_screen(greet)
    marks = {p.id: len(fake.transcript(p.id)) for p in (ayse, harpreet)}
    await send_it(greet, screen)
    await wait_until(lambda: greet.last_text().startswith("Het rondsturen is klaar."), fake, 20)
    await outbox_settled(db)
    assert not failed_calls(fake)
    assert flat(turkish) in everything_said(fake, ayse.id, marks[ayse.id])
    assert flat(dutch) in everything_said(fake, harpreet.id, marks[harpreet.id])


# --------------------------------------------------------------------------------------------
# a parent who writes a lot, a long name, an alert in Punjabi


def long_name(base: str) -> str:
    """A first name of 64 UTF-16 units (Telegram's most) with emoji in it."""
    name = f"🌸 {base} 👩‍👧‍👦 "
    return name + "ş" * (64 - utf16_len(name))


async def test_thirty_long_messages_of_one_parent_reach_the_brugfiguur_whole(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Ayşe (a 64-character name with emoji) writes thirty messages of 4096 characters
    about a letter. Fatma gets the card and all thirty; ✋ Take it works on that card; from
    /inbox 📨 the card and all thirty come again. Nothing is refused by Telegram."""
    await quick_outbox(bot)
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 7591, "Fatma", {"nl", "tr"}, db, contact_of="klimop",
                            availability=GREEN)
    ayse = await onboard(chat, 7592, long_name("Ayşe Gül Yılmaz-Öztürk"), "tr", "klimop")
    await ayse.presses_key("❓")
    await ayse.picks_topic("letter")
    sent = [words(TR_WORDS, 4096, f"MESAJ{n:02d}") for n in range(30)]
    for text in sent:
        await ayse.says(text)
    await outbox_settled(db)
    assert not failed_calls(fake)
    said = everything_said(fake, fatma.id)
    assert all(flat(text) in said for text in sent)
    card = next(m for m in fake.transcript(fatma.id) if m.get("text", "").startswith("❓"))
    assert ayse.user.first_name in card["text"]
    await fatma.taps("✋")
    taken = fake.message(fatma.id, card["message_id"])
    assert taken is not None and "✋ Fatma" in taken["text"]
    mark = len(fake.transcript(fatma.id))
    await fatma.says("/inbox")
    await fatma.taps(data=next(d for m in reversed(fake.transcript(fatma.id))
                               for _t, d in FakeTelegram.inline_buttons(m) if d.endswith(":show")))
    await outbox_settled(db)
    assert all(flat(text) in everything_said(fake, fatma.id, mark) for text in sent)
    assert not failed_calls(fake)


@pytest.mark.parametrize("language", ["ਪੰਜਾਬੀ", "Türkçe"])
async def test_an_alert_naming_a_64_character_colleague_fits_in_punjabi_and_turkish(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, language: str
) -> None:
    """The coordinator (reading Punjabi, or Turkish: the longest wording) taps ✋ on a
    question a brugfiguur with a 64-character name holds: the alert names her whole, within
    Telegram's 200 characters."""
    clock.moment = MONDAY_10
    greet = chat.person(COORDINATOR_ID, "Greet", language_code="tr")
    await greet.says("/start")
    await greet.taps(language)
    await greet.taps(data="privacy:ok")
    name = long_name("ਸਿਮਰਨਜੀਤ ਕੌਰ ਗਰੇਵਾਲ")
    await join_team(chat, greet, 7601, name, {"nl", "pa"}, db)
    async with db.session() as session:
        simran = await session.scalar(select(Person.id).where(Person.telegram_id == 7601))
    [question] = await many_open_questions(db, 1, assignee=simran, first_id=7602)
    [queue] = await greet.says("/queue")
    alerts = await greet.presses(queue, f"qs:{question}:take")
    assert not failed_calls(fake)
    assert len(alerts) == 1 and name in alerts[0], alerts
    assert len(alerts[0]) <= 200


# --------------------------------------------------------------------------------------------
# the reply to a programme file


async def test_the_reply_to_a_big_second_file_arrives_whole(
    chat: Chat, fake: FakeTelegram
) -> None:
    """The autumn sheet again, reworked: ten activities moved to another day, ten left out,
    ten new, titles as long as the bot allows (200 characters). The coordinator reads what
    the file did, every line of it."""
    first = forty_activities(description=100)
    greet = await coordinator_with(chat, first)
    second = [dict(row) for row in first[:10] + first[20:]]
    for row in second[:10]:  # moved: a day later
        row["date"] = f"2026-11-{int(row['date'][-2:]) + 1:02d}"
        row["title_nl"] = row["title_nl"][:-6] + "MOVED" + row["id"][-1]
    for n, row in enumerate(forty_activities(description=100)[:10]):
        row["id"] = f"nieuw-{n:02d}"
        row["title_nl"] = words(NL_WORDS, 200, f"NIEUW{n:02d}")
        second.append(row)
    before = len(fake.transcript(greet.id))
    await greet.sends("document", file_name="programma.csv", mime_type="text/csv",
                      content=programme_csv(second))
    await fake.wait_idle(quiet=0.3)
    assert not failed_calls(fake)
    said = everything_said(fake, greet.id, before)
    assert said.startswith("Ingelezen: 10 nieuw, 10 gewijzigd"), said[:200]
    assert "Bekijk het voorbeeld met /programme." in said


async def test_a_forward_from_a_school_channel_names_the_whole_channel(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Ayşe forwards the school channel's post she does not understand. The channel's title
    has 86 characters (Telegram allows 128): Fatma reads whose words they are, whole."""
    clock.moment = MONDAY_10
    greet = await coordinator_of(chat)
    fatma = await join_team(chat, greet, 7611, "Fatma", {"nl", "tr"}, db, contact_of="klimop")
    ayse = await onboard(chat, 7612, "Ayşe", "tr", "klimop")
    await ayse.presses_key("❓")
    await ayse.picks_topic("school")
    title = "Vrije Basisschool Heilig Hart Sint-Trudo (centrum) – nieuws voor ouders 2026-2027"
    channel = {"id": -1001234567890, "type": "channel", "title": title}

    def forward() -> dict[str, Any]:
        return fake._user_message(ayse.user, {
            "text": "Morgen is er geen school wegens pedagogische studiedag.",
            "forward_origin": {"type": "channel", "chat": channel, "message_id": 77,
                               "date": int(MONDAY_10.timestamp())}}, None)

    await ayse._act(forward, None)
    await outbox_settled(db)
    assert not failed_calls(fake)
    line = next(t for t in fake.texts(fatma.id) if t.startswith("↪️"))
    assert title in line, line


async def test_every_activity_of_a_busy_week_can_get_its_note_after(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    """Fourteen workshops last week (nine schools, a few each) that parents said they would
    come to: on Sunday the coordinator can send each its note after (a button each, or a way
    to the others)."""
    rows = forty_activities(description=100)[:14]
    greet = await coordinator_with(chat, rows)
    clock.moment = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)  # Sunday 10:00
    async with db.session() as session:
        parent = Person(telegram_id=7621, first_name="Ayşe", locale="tr", role="parent",
                        onboarded_at=MONDAY_10)
        session.add(parent)
        await session.flush()
        activities = list(await session.scalars(select(Activity)))
        for activity in activities:
            session.add(Rsvp(activity_id=activity.id, occurrence_start=activity.starts_at,
                             person_id=parent.id, answer="yes", children=1))
        await session.commit()
    assert len(activities) == 14
    parts = await greet.says("/rsvps")
    assert not failed_calls(fake)
    buttons = [d for p in parts for _t, d in FakeTelegram.inline_buttons(p)]
    notes = {d for d in buttons if d.startswith("rn:")}
    more = any(not d.startswith("rn:") for d in buttons)
    assert len(notes) == 14 or more, f"{len(notes)} of 14 can get their note"
