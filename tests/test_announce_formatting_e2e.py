"""/announce keeps the coordinator's formatting: bold, italics, a link to a sign-up form... reach
every parent as written, in every language version, the preview and the Dutch original too.
Plain words (an old draft's, a team member's) still arrive exactly as typed."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, update

from bot.services.announcement import CAPTION_MAX, Content, Part, payloads, words_to_translate
from bot.services.outbox import utf16_len
from storage.db import Database
from storage.models import Broadcast
from storage.models import Person as PersonRow
from tests.fake_telegram import FakeTelegram
from tests.helpers import QUIET, Chat, Person
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_questions_e2e import join_team
from tests.test_team_translation_e2e import GREEN

# An address with "&" in it (and "&not", which an HTML reader would take for "¬" if it
# were not escaped): the form must open as it is.
FORM = "https://forms.gle/Inschrijven?usp=sf_link&not=1&lang=nl"
DUTCH = "📣 Schoolfeest! Schrijf je in via dit formulier. Wij <3 jullie & co."
TURKISH = "📣 Okul şenliği! Bu formdan kaydolun."
PA_MARK = "🇧🇪 (ਡੱਚ ਵਿੱਚ)"
TR_MARK = "🇧🇪 (Felemenkçe)"


def entity(text: str, words: str, kind: str, **extra: Any) -> dict[str, Any]:
    """A Telegram entity over ``words`` of ``text`` (offsets in UTF-16 units, as Telegram)."""
    start = text.index(words)
    return {"type": kind, "offset": utf16_len(text[:start]), "length": utf16_len(words),
            **extra}


DUTCH_ENTITIES = [entity(DUTCH, "Schoolfeest!", "bold"),
                  entity(DUTCH, "dit formulier", "text_link", url=FORM),
                  entity(DUTCH, "jullie", "italic")]
TURKISH_ENTITIES = [entity(TURKISH, "Okul şenliği!", "bold"),
                    entity(TURKISH, "Bu formdan", "text_link", url=FORM)]


def formatting(message: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """What a message shows formatted: (type, the words, the link's address)."""
    text = message.get("text") or message.get("caption") or ""
    units = text.encode("utf-16-le")
    found = message.get("entities") or message.get("caption_entities") or []
    return [(e["type"],
             units[2 * e["offset"]:2 * (e["offset"] + e["length"])].decode("utf-16-le"),
             e.get("url")) for e in found]


DUTCH_SHOWN = [("bold", "Schoolfeest!", None), ("text_link", "dit formulier", FORM),
               ("italic", "jullie", None)]
TURKISH_SHOWN = [("bold", "Okul şenliği!", None), ("text_link", "Bu formdan", FORM)]


async def to_the_screen(greet: Person, *, turkish: str | None = None,
                        entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """After the Dutch original: Turkish (or Dutch only), Punjabi Dutch only, no voices."""
    if turkish is None:
        await greet.taps("🇧🇪 Alleen Nederlands")
    else:
        await greet.sends("text", text=turkish, entities=entities)
    await greet.taps("🇧🇪 Alleen Nederlands")
    for _voice in range(2):
        await greet.taps("⏭ Overslaan")
    [screen] = await greet.taps("⏭ Overslaan")
    assert screen["text"].startswith("📣 Je aankondiging")
    return screen


async def send_it(greet: Person, screen: dict[str, Any]) -> None:
    await greet.presses(screen, next(d for t, d in FakeTelegram.inline_buttons(screen)
                                     if t.startswith("📤")))
    await greet.taps("✅ Ja, nu versturen")


async def wants_dutch_below(db: Database, person: Person) -> None:
    async with db.session() as session:
        await session.execute(update(PersonRow).where(PersonRow.telegram_id == person.id)
                              .values(dutch_below=True))
        await session.commit()


async def test_a_link_and_bold_reach_every_language_as_written(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, 8401, "Ayşe", "tr", "wijdeland")
    harpreet = await onboard(chat, 8402, "Harpreet", "pa", "wijdeland")
    els = await onboard(chat, 8403, "Els", "nl", "wijdeland")
    fatma = await onboard(chat, 8404, "Fatma", "tr", "wijdeland")
    await wants_dutch_below(db, fatma)  # /settings: the Dutch below the translation

    await greet.says("/announce")
    await greet.sends("text", text=DUTCH, entities=DUTCH_ENTITIES)
    screen = await to_the_screen(greet, turkish=TURKISH, entities=TURKISH_ENTITIES)

    # The preview shows it as parents will see it.
    previews = await greet.taps("👁 Voorbeeld", expect=6)
    assert [m.get("text") for m in previews] == [
        "👁 Nederlands", DUTCH, "👁 Türkçe", TURKISH, "👁 ਪੰਜਾਬੀ", f"{PA_MARK}\n\n{DUTCH}"]
    assert formatting(previews[1]) == formatting(previews[5]) == DUTCH_SHOWN
    assert formatting(previews[3]) == TURKISH_SHOWN

    await send_it(greet, screen)
    await wait_until(lambda: all("📣" in p.last_text() for p in (ayse, harpreet, els, fatma)),
                     fake)
    [tr] = [m for m in fake.transcript(ayse.id) if "📣" in m.get("text", "")]
    assert (tr["text"], formatting(tr)) == (TURKISH, TURKISH_SHOWN)
    [pa] = [m for m in fake.transcript(harpreet.id) if "📣" in m.get("text", "")]
    assert (pa["text"], formatting(pa)) == (f"{PA_MARK}\n\n{DUTCH}", DUTCH_SHOWN)
    [nl] = [m for m in fake.transcript(els.id) if "📣" in m.get("text", "")]
    assert (nl["text"], formatting(nl)) == (DUTCH, DUTCH_SHOWN)
    [both] = [m for m in fake.transcript(fatma.id) if "📣" in m.get("text", "")]
    assert both["text"] == f"{TURKISH}\n\n🇧🇪 Orijinal (Felemenkçe):\n{DUTCH}"
    assert formatting(both) == TURKISH_SHOWN + DUTCH_SHOWN

    # One tap under the translation: the Dutch original, formatted.
    [dutch] = await ayse.taps("🇧🇪 Nederlands")
    assert (dutch["text"], formatting(dutch)) == (DUTCH, DUTCH_SHOWN)


async def test_a_photo_caption_keeps_its_link(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, 8411, "Ayşe", "tr", "klimop")
    harpreet = await onboard(chat, 8412, "Harpreet", "pa", "klimop")
    els = await onboard(chat, 8413, "Els", "nl", "klimop")
    caption = "Uitstap naar de zoo: inschrijven hier."

    await greet.says("/announce")
    await greet.sends("photo", caption=caption,
                      caption_entities=[entity(caption, "hier", "text_link", url=FORM),
                                        entity(caption, "zoo", "underline")])
    # A translation typed without formatting is its plain caption under the same photo.
    screen = await to_the_screen(greet, turkish="Hayvanat bahçesi gezisi: kayıt <burada>.")
    await send_it(greet, screen)

    await wait_until(lambda: all(fake.calls_of("sendPhoto", p.id)
                                 for p in (ayse, harpreet, els)), fake)
    shown = [("underline", "zoo", None), ("text_link", "hier", FORM)]
    nl, pa, tr = (fake.transcript(p.id)[-1] for p in (els, harpreet, ayse))
    assert (nl["caption"], formatting(nl)) == (caption, shown)
    assert (pa["caption"], formatting(pa)) == (f"{PA_MARK}\n\n{caption}", shown)
    assert (tr["caption"], formatting(tr)) == ("Hayvanat bahçesi gezisi: kayıt <burada>.", [])
    assert fake.calls_of("sendPhoto", ayse.id)[0].params.get("parse_mode") is None


async def test_plain_words_with_html_characters_arrive_unchanged(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    harpreet = await onboard(chat, 8421, "Harpreet", "pa", "klimop")
    els = await onboard(chat, 8422, "Els", "nl", "klimop")
    plain = "Wij <3 jullie & co. <b>Niet vet</b> &amp; geen link."

    await greet.says("/announce")
    await greet.says(plain)
    screen = await to_the_screen(greet)
    previews = await greet.taps("👁 Voorbeeld", expect=6)
    assert previews[1]["text"] == plain and "entities" not in previews[1]
    await send_it(greet, screen)

    await wait_until(lambda: "Wij <3" in els.last_text() and "Wij <3" in harpreet.last_text(),
                     fake)
    nl, pa = fake.transcript(els.id)[-1], fake.transcript(harpreet.id)[-1]
    assert (nl["text"], formatting(nl)) == (plain, [])
    assert (pa["text"], formatting(pa)) == (f"{PA_MARK}\n\n{plain}", [])


async def test_the_limits_count_what_parents_read_not_the_tags(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """A long address behind a word does not count: a caption of 1000 visible characters
    with a link is taken, one of 1001 is refused with its visible length; a text of 4096
    visible characters is one message, cut in two (each part formatted) only where the
    "(in Dutch)" mark makes it longer."""
    greet = await coordinator_of(chat)
    ayse = await onboard(chat, 8431, "Ayşe", "tr", "klimop")
    els = await onboard(chat, 8432, "Els", "nl", "klimop")
    long_form = FORM + "&x=" + "y" * 200
    head = "Inschrijven via dit formulier. "

    def caption_of(length: int) -> tuple[str, list[dict[str, Any]]]:
        text = head + "x" * (length - len(head))
        return text, [entity(text, "dit formulier", "text_link", url=long_form)]

    await greet.says("/announce")
    too_long, entities = caption_of(CAPTION_MAX + 1)
    [refused] = await greet.sends("photo", caption=too_long, caption_entities=entities)
    assert refused["text"].startswith("Dat is te lang voor een bijschrift")
    assert "1.001 tekens, maximaal 1.000" in refused["text"]
    fits, entities = caption_of(CAPTION_MAX)
    [ask] = await greet.sends("photo", caption=fits, caption_entities=entities)
    assert ask["text"].startswith("Nu de Turkse tekst")
    await send_it(greet, await to_the_screen(greet))
    await wait_until(lambda: all(fake.calls_of("sendPhoto", p.id) for p in (ayse, els)), fake)
    nl, tr = fake.transcript(els.id)[-1], fake.transcript(ayse.id)[-1]
    assert nl["caption"] == fits and tr["caption"] == f"{TR_MARK}\n\n{fits}"
    assert formatting(nl) == formatting(tr) == [("text_link", "dit formulier", long_form)]

    # A text of 4096 visible characters, in italics, a link at the start, bold at the end.
    end = "Tot zaterdag!"
    filler = "bla " * ((4096 - len(head) - len(end) - 4) // 4)
    text = head + "\n\n" + filler.strip() + "\n\n" + end
    text = text.replace("\n\nbla", "\n\n" + "b" * (4096 - len(text)) + "bla", 1)
    assert len(text) == 4096
    entities = [entity(text, text, "italic"),
                entity(text, "dit formulier", "text_link", url=long_form),
                entity(text, end, "bold")]
    await greet.says("/announce")
    await greet.sends("text", text=text, entities=entities)
    await send_it(greet, await to_the_screen(greet))
    await wait_until(lambda: els.last_text().endswith(end) and ayse.last_text().endswith(end),
                     fake)
    [nl] = [m for m in fake.transcript(els.id) if "bla" in m.get("text", "")]
    assert nl["text"] == text
    assert formatting(nl) == [("italic", text, None),
                              ("text_link", "dit formulier", long_form), ("bold", end, None)]
    first, second = [m for m in fake.transcript(ayse.id) if "formulier" in m.get("text", "")
                     or "bla" in m.get("text", "")]
    # Cut at the paragraph that fits, the italics on both sides of the cut.
    rest = text.removeprefix(head + "\n\n")
    assert first["text"] == f"{TR_MARK}\n\n{head.strip()}"
    assert formatting(first) == [("italic", head.strip(), None),
                                 ("text_link", "dit formulier", long_form)]
    assert second["text"] == rest
    assert formatting(second) == [("italic", rest, None), ("bold", end, None)]


async def test_a_draft_stored_before_formatting_was_kept_sends_as_it_was(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """A draft written before this version kept its words as plain text, without a format:
    "<" and "&" in it are words, not tags."""
    greet = await coordinator_of(chat)
    harpreet = await onboard(chat, 8441, "Harpreet", "pa", "klimop")
    els = await onboard(chat, 8442, "Els", "nl", "klimop")
    plain = "Wij <3 jullie & co. <b>Niet vet</b>"

    await greet.says("/announce")
    await greet.says("iets")
    screen = await to_the_screen(greet)
    async with db.session() as session:
        row = await session.scalar(select(Broadcast))
        assert row is not None
        row.content = json.dumps({"parts": {"nl": {"kind": "text", "text": plain,
                                                   "file_id": None}}, "voices": {}})
        await session.commit()
    previews = await greet.taps("👁 Voorbeeld", expect=6)
    assert previews[1]["text"] == plain and "entities" not in previews[1]
    await send_it(greet, screen)

    await wait_until(lambda: "Wij <3" in els.last_text() and "Wij <3" in harpreet.last_text(),
                     fake)
    nl, pa = fake.transcript(els.id)[-1], fake.transcript(harpreet.id)[-1]
    assert (nl["text"], formatting(nl)) == (plain, [])
    assert (pa["text"], formatting(pa)) == (f"{PA_MARK}\n\n{plain}", [])
    assert all(c.params.get("parse_mode") is None
               for p in (els, harpreet) for c in fake.calls_of("sendMessage", p.id)
               if "Wij" in str(c.params.get("text")))


async def test_a_colleague_translating_sees_the_links_address(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """The request shows the link's address after its words, so a colleague who types the
    Turkish (rather than copying the Dutch with its link) can carry it: Telegram makes a
    written address a link again."""
    greet = await coordinator_of(chat)
    mehmet = await join_team(chat, greet, 8451, "Mehmet", {"nl", "tr"}, db, availability=GREEN)
    ayse = await onboard(chat, 8452, "Ayşe", "tr", "wijdeland")

    request = await team_asked(greet, mehmet, fake)
    assert f"Schrijf je in via dit formulier ({FORM}). Wij <3 jullie & co." in request["text"]
    translated = f"Okul şenliği! Bu formdan kaydolun: {FORM} <3 & co."
    await mehmet.says(translated, reply_to=request)
    await send_the_rest_dutch_only(greet)
    await wait_until(lambda: ayse.last_text() == translated, fake)


async def team_asked(greet: Person, colleague: Person, fake: FakeTelegram) -> dict[str, Any]:
    """Greet announces the formatted Dutch text and asks the team: the colleague's request."""
    await greet.says("/announce")
    await greet.sends("text", text=DUTCH, entities=DUTCH_ENTITIES)
    await greet.taps("🙋 Vraag het team om te vertalen")
    await wait_until(lambda: any(m.get("text", "").startswith("🙋")
                                 for m in fake.transcript(colleague.id)), fake)
    return next(m for m in fake.transcript(colleague.id)
                if m.get("text", "").startswith("🙋"))


async def send_the_rest_dutch_only(greet: Person) -> None:
    """Punjabi Dutch only, no voices, and send (the Turkish came from the team)."""
    await greet.taps("🇧🇪 Alleen Nederlands")  # Punjabi
    for _voice in range(2):
        await greet.taps("⏭ Overslaan")
    [screen] = await greet.taps("⏭ Overslaan")
    await send_it(greet, screen)


def test_the_rules_of_formatted_parts() -> None:
    """Stored with a format mark; a plain translation next to a formatted Dutch original is
    escaped when both go in one message; a caption's limit counts the visible words."""
    dutch = Part("photo", '<a href="https://x.be/?a=1&amp;b=2">Kijk</a> &lt;hier&gt;', "F1",
                 html=True)
    content = Content({"nl": dutch, "tr": Part("text", "Bak <buraya> & gör")})
    assert Content.from_json(content.to_json()) == content
    assert json.loads(content.to_json())["parts"]["nl"]["format"] == "HTML"
    assert "format" not in json.loads(content.to_json())["parts"]["tr"]
    [(_kind, below)] = payloads(content, "tr", "(nl)", original="🇧🇪 Origineel <nl>:")
    assert below == {"file_id": "F1", "parse_mode": "HTML", "caption": (
        "Bak &lt;buraya&gt; &amp; gör\n\n🇧🇪 Origineel &lt;nl&gt;:\n" + dutch.text)}
    [(_kind, marked)] = payloads(content, "pa", "🇧🇪 (in het <Nederlands>)")
    assert marked["caption"] == "🇧🇪 (in het &lt;Nederlands&gt;)\n\n" + dutch.text
    assert words_to_translate(dutch) == "Kijk (https://x.be/?a=1&b=2) <hier>"


async def test_a_colleagues_formatting_reaches_parents_too(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """Mehmet copies the Dutch announcement into his reply and translates it: his app keeps
    the bold and the link to the form, and so do the parents' messages (they were plain text,
    the form's link lost). His plain words with "<" and "&" still arrive as typed."""
    greet = await coordinator_of(chat)
    mehmet = await join_team(chat, greet, 8461, "Mehmet", {"nl", "tr"}, db, availability=GREEN)
    ayse = await onboard(chat, 8462, "Ayşe", "tr", "wijdeland")

    request = await team_asked(greet, mehmet, fake)
    await fake.wait_idle(quiet=QUIET)
    translated = TURKISH + " <3 & co."
    [thanks] = await mehmet.sends("text", text=translated, entities=TURKISH_ENTITIES,
                                  reply_to_message_id=request["message_id"])
    assert thanks["text"] == "✅ Dankjewel! Ouders lezen jouw woorden."
    await send_the_rest_dutch_only(greet)
    await wait_until(lambda: ayse.last_text() == translated, fake)
    got = fake.transcript(ayse.id)[-1]
    assert formatting(got) == TURKISH_SHOWN


async def test_a_colleagues_formatted_caption_too_long_is_cut_as_plain_words(
    db: Database
) -> None:
    """Under a photo, a formatted reply longer than a caption may be is cut on its words (a
    tag is never cut in two), as a plain one."""
    from bot.services.announcement import take_team_translation
    from storage.models import Person as PersonRow

    async with db.session() as session:
        author = PersonRow(telegram_id=8471, first_name="Greet", locale="nl")
        session.add(author)
        await session.flush()
        row = Broadcast(kind="announcement", created_by=author.id, status="draft",
                        content=Content({"nl": Part("photo", "Kijk", "F1")}).to_json())
        session.add(row)
        await session.flush()
        long_words = "ş" * (CAPTION_MAX + 10)
        await take_team_translation(session, row.id, "tr", voice_file_id=None, html=True,
                                    text=f'<b>{long_words}</b> <a href="https://x.be">x</a>')
        await take_team_translation(session, row.id, "pa", voice_file_id=None, html=True,
                                    text='<b>ਦੇਖੋ</b> <a href="https://x.be">ਇੱਥੇ</a>')
        parts = Content.from_json(row.content).parts
        assert parts["tr"] == Part("photo", long_words[:CAPTION_MAX], "F1")
        assert parts["pa"] == Part("photo", '<b>ਦੇਖੋ</b> <a href="https://x.be">ਇੱਥੇ</a>', "F1",
                                   html=True)
