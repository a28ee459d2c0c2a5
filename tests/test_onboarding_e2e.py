"""Onboarding end to end: the real Application over HTTP against the fake Bot API server."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import select

from storage.db import Database
from storage.models import Person, PersonSchool, School
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat

BRUSSELS = ZoneInfo("Europe/Brussels")
GURMUKHI = re.compile(r"[\u0A00-\u0A7F]")
LATIN_WORD = re.compile(r"\b[A-Za-z]{4,}\b")


def buttons(message: dict) -> list[str]:
    return [text for text, _ in FakeTelegram.inline_buttons(message)]


async def person_row(db: Database, telegram_id: int) -> Person | None:
    async with db.session() as session:
        return await session.scalar(select(Person).where(Person.telegram_id == telegram_id))


async def school_codes(db: Database, telegram_id: int) -> list[str]:
    async with db.session() as session:
        rows = await session.scalars(
            select(School.code)
            .join(PersonSchool, PersonSchool.school_id == School.id)
            .join(Person, Person.id == PersonSchool.person_id)
            .where(Person.telegram_id == telegram_id)
            .order_by(School.code)
        )
        return list(rows)


async def test_punjabi_parent_from_a_deep_link(chat: Chat, fake: FakeTelegram,
                                               db: Database) -> None:
    """The 'Done when': a deep link, Punjabi chosen, every word and date in Punjabi after."""
    harpreet = chat.person(2001, "Harpreet", language_code=None)

    [greeting] = await harpreet.says("/start s_klimop")
    # No language yet: the greeting speaks all three, and the buttons name each in its script.
    assert buttons(greeting) == ["Nederlands", "Türkçe", "ਪੰਜਾਬੀ"]
    assert "Welke taal" in greeting["text"] and "Hangi dil" in greeting["text"]
    assert GURMUKHI.search(greeting["text"])

    # The link named the school, so the next question is the privacy notice.
    [privacy] = await harpreet.taps("ਪੰਜਾਬੀ")
    assert "Vrije basisschool Klim-op" in privacy["text"]
    assert "/forget" in privacy["text"]
    # The other languages stay one tap away while signing up (a mistaken tap is undone).
    assert buttons(privacy) == ["👍 ਠੀਕ ਹੈ", "🌐 Nederlands", "🌐 Türkçe"]

    [welcome] = await harpreet.taps("👍 ਠੀਕ ਹੈ")
    assert welcome["text"].startswith("ਧੰਨਵਾਦ, Harpreet ਜੀ!")
    assert harpreet.keyboard() == ["❓ ਸਵਾਲ ਪੁੱਛੋ", "📅 ਇਸ ਹਫ਼ਤੇ", "🏫 ਮੇਰਾ ਸਕੂਲ", "🌐 ਭਾਸ਼ਾ", "ℹ️ ਮਦਦ"]

    # The command menu of this chat is in Punjabi too.
    menu = fake.calls_of("setMyCommands")[-1].params
    assert menu["scope"] == {"type": "chat", "chat_id": 2001}
    assert all(GURMUKHI.search(c["description"]) for c in menu["commands"])

    # From now on: Punjabi words, Punjabi dates.
    [help_text] = await harpreet.presses_key("ℹ️")
    assert GURMUKHI.search(help_text["text"])
    assert "/settings: ਬਿਨਾਂ ਸੁਨੇਹਿਆਂ ਵਾਲੇ ਘੰਟੇ, ਹੇਠਾਂ ਡੱਚ ਲਿਖਤ।" in help_text["text"]
    [privacy_view] = await harpreet.says("/privacy")
    assert "ਪੰਜਾਬੀ" in privacy_view["text"]
    # The date of joining is written the Punjabi way, in Brussels time.
    row = await person_row(db, 2001)
    assert row is not None
    joined = format_date(row.created_at.astimezone(BRUSSELS).date(), "long", locale="pa")
    assert GURMUKHI.search(joined)
    assert f"ਸਾਡੇ ਨਾਲ ਕਦੋਂ ਤੋਂ: {joined}" in privacy_view["text"]
    # Outside school names and commands, nothing is left in Latin script.
    for text in fake.texts(2001)[1:]:
        rest = text.replace("Vrije basisschool Klim-op", "").replace("Harpreet", "")
        rest = re.sub(r"/\w+|Brede School|Telegram", "", rest)
        assert not LATIN_WORD.search(rest), text

    assert row.locale == "pa" and row.onboarded_at is not None
    assert await school_codes(db, 2001) == ["klimop"]


async def test_turkish_parent_chooses_two_schools(chat: Chat, fake: FakeTelegram,
                                                  db: Database) -> None:
    ayse = chat.person(2002, "Ayşe", language_code="tr")
    [greeting] = await ayse.says("/start")
    # Telegram's language guess orders the buttons, it never skips the question.
    assert buttons(greeting) == ["Türkçe", "Nederlands", "ਪੰਜਾਬੀ"]

    [question] = await ayse.taps("Türkçe")
    assert question["text"].startswith("Çocuklarınız hangi okula gidiyor?")
    assert len(buttons(question)) == 12  # nine schools, "Bitti", the two other languages
    assert buttons(question)[-2:] == ["🌐 Nederlands", "🌐 ਪੰਜਾਬੀ"]

    # "Done" with nothing chosen is refused with an alert; nothing moves on.
    assert await ayse.taps("👍 Bitti") == []
    assert ayse.alerts() == ["En az bir okul seçin."]

    await ayse.taps("GO! Basisschool Engelmanshoven")
    await ayse.taps("Freinetschool Het Wijdeland (Brustem)")
    # The same message is redrawn with the chosen schools ticked, not sent anew.
    redrawn = fake.message(2002, question["message_id"])
    assert redrawn is not None
    assert [b for b in buttons(redrawn) if b.startswith("✅")] == [
        "✅ GO! Basisschool Engelmanshoven", "✅ Freinetschool Het Wijdeland (Brustem)"]
    [privacy] = await ayse.taps("👍 Bitti")
    assert privacy["text"].startswith("Okullarınız: GO! Basisschool Engelmanshoven, Freinetschool")
    # The list keeps its question and loses its buttons: the schools are named once.
    listed = fake.message(2002, question["message_id"])
    assert listed is not None and buttons(listed) == []
    assert listed["text"].startswith("Çocuklarınız hangi okula gidiyor?")
    await ayse.taps("👍 Tamam")
    assert ayse.keyboard() == ["❓ Soru sor", "📅 Bu hafta", "🏫 Okulum", "🌐 Dil", "ℹ️ Yardım"]
    assert await school_codes(db, 2002) == ["engelmanshoven", "wijdeland"]


async def test_a_double_tap_on_a_school_or_on_done_counts_once(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """A parent's thumb lands twice before the buttons are redrawn: both presses come with
    the same, old buttons. The school is ticked (not ticked and unticked), "Done" moves on
    once, without an alert."""
    ayse = chat.person(2014, "Ayşe", language_code="tr")
    await ayse.says("/start")
    [question] = await ayse.taps("Türkçe")
    data = next(d for label, d in FakeTelegram.inline_buttons(question) if "Klim-op" in label)

    async def twice(message: dict, data: str) -> None:
        first, second = (fake.press(ayse.user, message, data) for _ in range(2))
        await chat.handled.wait(first["update_id"])
        await chat.handled.wait(second["update_id"])

    await twice(question, data)
    assert await school_codes(db, 2014) == ["klimop"]
    redrawn = fake.message(2014, question["message_id"])
    assert redrawn is not None
    assert [b for b in buttons(redrawn) if b.startswith("✅")] == ["✅ Vrije basisschool Klim-op"]
    await twice(redrawn, "school:done")
    await fake.wait_idle()
    assert ayse.alerts() == []
    assert sum(t.startswith("Okulunuz: Vrije basisschool Klim-op") for t in fake.texts(2014)) == 1
    privacy = next(m for m in fake.transcript(2014) if m["text"].startswith("Okulunuz:"))
    await twice(privacy, "privacy:ok")
    await fake.wait_idle()
    assert ayse.alerts() == []
    assert sum(t.startswith("Teşekkür ederim, Ayşe!") for t in fake.texts(2014)) == 1
    # The ticked school's button removes it, also when tapped twice.
    untick = next(d for label, d in FakeTelegram.inline_buttons(redrawn) if "Klim-op" in label)
    assert untick.startswith("school:-:")


async def test_a_language_tapped_by_mistake_is_undone_before_sign_up_ends(
        chat: Chat, fake: FakeTelegram, db: Database) -> None:
    ayse = chat.person(2012, "Ayşe", language_code="tr")
    await ayse.says("/start")
    [question] = await ayse.taps("ਪੰਜਾਬੀ")  # meant Türkçe
    assert "🌐 Türkçe" in buttons(question)
    await ayse.taps("Freinetschool Het Wijdeland (Brustem)")
    [again] = await ayse.taps("🌐 Türkçe")
    # The question again, in Turkish, the school still ticked; the old one loses its buttons.
    assert again["text"].startswith("Çocuklarınız hangi okula gidiyor?")
    assert "✅ Freinetschool Het Wijdeland (Brustem)" in buttons(again)
    old = fake.message(2012, question["message_id"])
    assert old is not None and buttons(old) == []
    [privacy] = await ayse.taps("👍 Bitti")
    assert buttons(privacy) == ["👍 Tamam", "🌐 Nederlands", "🌐 ਪੰਜਾਬੀ"]
    await ayse.taps("👍 Tamam")
    row = await person_row(db, 2012)
    assert row is not None and row.locale == "tr" and row.onboarded_at is not None
    assert await school_codes(db, 2012) == ["wijdeland"]


async def test_stop_before_sign_up_is_done_says_nothing_is_sent(
    chat: Chat, db: Database
) -> None:
    ali = chat.person(2015, "Ali", language_code="tr")
    await ali.says("/start s_klimop")
    [answer] = await ali.says("/stop")
    # No language chosen yet: every language, Telegram's guess first.
    assert answer["text"].startswith(
        "Kaydınızı henüz bitirmediniz, bu yüzden size mesaj göndermiyoruz.\nBize "
        "söylediklerinizi silmek için /forget gönderin.\n\nJe bent nog niet klaar met "
        "aanmelden")
    await ali.says("/forget")
    await ali.taps(data="forget:yes")
    assert await person_row(db, 2015) is None


async def test_dutch_parent_with_a_bad_school_code(chat: Chat, db: Database) -> None:
    els = chat.person(2003, "Els", language_code="nl")
    await els.says("/start s_nosuchschool")
    [question] = await els.taps("Nederlands")
    assert question["text"].startswith("Ik ken de school in die link niet.")
    assert "Naar welke school gaan je kinderen?" in question["text"]
    await els.taps("Leefschool 'De Villa'")
    await els.taps("👍 Klaar")
    await els.taps("👍 OK")
    assert await school_codes(db, 2003) == ["devilla"]


async def test_unexpected_input_mid_onboarding_repeats_the_question(chat: Chat,
                                                                    db: Database) -> None:
    ali = chat.person(2004, "Ali", language_code="tr")
    await ali.says("/start")
    await ali.taps("Türkçe")
    for kind, kwargs in [("sticker", {}), ("location", {"lat": 50.8, "lon": 5.2}),
                         ("photo", {}), ("voice", {})]:
        [again] = await ali.sends(kind, **kwargs)
        assert again["text"].startswith("Lütfen bir düğmeye dokunun.")
        assert "Çocuklarınız hangi okula gidiyor?" in again["text"]
    [again] = await ali.says("merhaba " * 1000)
    assert "Çocuklarınız hangi okula gidiyor?" in again["text"]
    row = await person_row(db, 2004)
    assert row is not None and row.step == "school" and row.onboarded_at is None


async def test_stranger_writing_anything_starts_onboarding(chat: Chat) -> None:
    stranger = chat.person(2005, "Jasmeet", language_code="pa")
    [greeting] = await stranger.says("hello?")
    assert buttons(greeting) == ["ਪੰਜਾਬੀ", "Nederlands", "Türkçe"]


async def test_language_switch(chat: Chat, fake: FakeTelegram, db: Database) -> None:
    ayse = chat.person(2006, "Ayşe", language_code="tr")
    await ayse.says("/start s_gelinden")
    await ayse.taps("Türkçe")
    await ayse.taps("👍 Tamam")

    [question] = await ayse.presses_key("🌐")
    assert question["text"] == "Hangi dili istersiniz?"
    [done] = await ayse.taps("Nederlands")
    assert done["text"] == "Vanaf nu schrijf ik je in het Nederlands."
    assert ayse.keyboard() == ["❓ Een vraag stellen", "📅 Deze week", "🏫 Mijn school",
                               "🌐 Taal", "ℹ️ Hulp"]
    row = await person_row(db, 2006)
    assert row is not None and row.locale == "nl"
    [help_text] = await ayse.says("/help")
    assert help_text["text"].startswith("Wat kan ik voor je doen?\n\n❓ Een vraag stellen")
    assert "📅 Deze week:" in help_text["text"]
    # Quiet hours are found from the help, in one line (a Dutch reader has no translation
    # to show the Dutch text below; a Punjabi one is told of that too, above).
    assert ("🌐 Taal: een andere taal kiezen.\n/settings: uren zonder berichten.\n"
            "/privacy: wat we over jou bewaren.") in help_text["text"]


async def test_school_command_adds_and_removes(chat: Chat, db: Database) -> None:
    els = chat.person(2007, "Els", language_code="nl")
    await els.says("/start s_devilla")
    await els.taps("Nederlands")
    await els.taps("👍 OK")

    await els.says("/school")
    # Her only school cannot be unticked: each tap is kept at once, and a parent without a
    # school would hear from none (the week empty, no broadcast).
    await els.taps("✅ Leefschool 'De Villa'")
    assert els.alerts()[-1] == ("Je hebt minstens één school nodig. Tik eerst op je andere "
                                "school, en dan op deze.")
    assert await school_codes(db, 2007) == ["devilla"]
    await els.taps("Vrije basisschool Klim-op")
    await els.taps("✅ Leefschool 'De Villa'")
    [summary] = [m for m in await els.taps("👍 Klaar")] or [None]
    assert summary is None  # the list message is edited in place
    assert els.last_text() == "Je school: Vrije basisschool Klim-op"
    assert await school_codes(db, 2007) == ["klimop"]

    # A deep link from another school's letter adds that school too.
    [reply] = await els.says("/start s_debrug")
    assert "Basisschool Sint-Rita - De Brug" in reply["text"]
    assert await school_codes(db, 2007) == ["debrug", "klimop"]


async def school_id(db: Database, code: str) -> int:
    async with db.session() as session:
        found = await session.scalar(select(School.id).where(School.code == code))
        assert found is not None
        return found


async def test_old_sign_up_buttons_change_nothing_once_signed_up(
        chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock) -> None:
    """A question asked again (after a sticker) leaves the older copy with its buttons, up in
    the chat. Once signed up, a tap there is no /language or /school: it gets the polite
    alert and changes nothing (a tap that would change nothing gets no alert)."""
    ayse = chat.person(2016, "Ayşe", language_code="tr")
    [greeting] = await ayse.says("/start")
    await ayse.sends("sticker")  # the language question again
    [question] = await ayse.taps("Türkçe")
    await ayse.taps("Vrije basisschool Klim-op")
    await ayse.sends("sticker")  # the school question again
    [privacy] = await ayse.taps("👍 Bitti")
    await ayse.sends("sticker")  # the privacy notice again
    await ayse.taps("👍 Tamam")
    clock.moment += timedelta(minutes=5)  # no double tap any more
    wijdeland = await school_id(db, "wijdeland")
    sent = len(fake.transcript(2016))
    expired = ["Bu düğme artık çalışmıyor."]
    for message_id, data in [(privacy["message_id"], "lang:nl"),
                             (question["message_id"], "lang:pa"),
                             (question["message_id"], f"school:+:{wijdeland}"),
                             (question["message_id"], "school:done"),
                             (greeting["message_id"], "lang:nl")]:
        old = fake.message(2016, message_id)
        assert old is not None and data in [d for _l, d in FakeTelegram.inline_buttons(old)]
        assert await ayse.presses(old, data) == expired, data
    old = fake.message(2016, greeting["message_id"])
    assert old is not None
    assert await ayse.presses(old, "lang:tr") == []  # already so: nothing to say
    assert len(fake.transcript(2016)) == sent
    row = await person_row(db, 2016)
    assert row is not None and row.locale == "tr" and row.step is None
    assert await school_codes(db, 2016) == ["klimop"]
    # /language and /school still change them.
    await ayse.says("/school")
    await ayse.taps("Freinetschool Het Wijdeland (Brustem)")
    assert await school_codes(db, 2016) == ["klimop", "wijdeland"]
    await ayse.says("/language")
    [done] = await ayse.taps("Nederlands")
    assert done["text"] == "Vanaf nu schrijf ik je in het Nederlands."


async def test_old_sign_up_buttons_change_nothing_later_in_sign_up(
        chat: Chat, fake: FakeTelegram, db: Database) -> None:
    """Half-way, only the open question's buttons act: the language question's, once the
    school is asked, and the school question's 🌐 row, once the privacy notice is."""
    ali = chat.person(2017, "Ali", language_code="tr")
    [greeting] = await ali.says("/start")
    await ali.sends("sticker")  # the language question again
    [question] = await ali.taps("Türkçe")
    # The second tap of a double tap on the language: counted once, without an alert.
    assert await ali.presses(greeting, "lang:tr") == []
    assert sum(t.startswith("Çocuklarınız hangi okula") for t in fake.texts(2017)) == 1
    assert await ali.presses(greeting, "lang:nl") == ["Bu düğme artık çalışmıyor."]
    await ali.taps("Vrije basisschool Klim-op")
    await ali.sends("sticker")  # the school question again
    [privacy] = await ali.taps("👍 Bitti")
    old = fake.message(2017, question["message_id"])
    assert old is not None and "🌐 ਪੰਜਾਬੀ" in buttons(old)
    assert await ali.presses(old, "lang:pa") == ["Bu düğme artık çalışmıyor."]
    row = await person_row(db, 2017)
    assert row is not None and row.locale == "tr" and row.step == "privacy"
    # The open question's 🌐 row still undoes a wrong language.
    [again] = await ali.taps("🌐 Nederlands")
    assert again["text"].startswith("Je school: Vrije basisschool Klim-op")
    assert privacy["message_id"] != again["message_id"]
    await ali.taps("👍 OK")
    row = await person_row(db, 2017)
    assert row is not None and row.locale == "nl" and row.step is None


async def test_a_bad_link_at_the_privacy_step_is_explained(chat: Chat, fake: FakeTelegram,
                                                           db: Database) -> None:
    """A mistyped or old QR code scanned half-way: one sentence says so, in the parent's
    language, and the open question comes again; nothing else changes."""
    ali = chat.person(2018, "Ali", language_code="tr")
    await ali.says("/start s_klimop")
    await ali.taps("Türkçe")
    for payload in ("s_nosuchschool", "klimop", "x_klimop"):
        [again] = await ali.says(f"/start {payload}")
        assert again["text"].startswith(
            "Bu bağlantıdaki okulu tanımıyorum. Sorun değil, kaldığımız yerden devam ediyoruz."
            "\n\nOkulunuz: Vrije basisschool Klim-op"), payload
        assert buttons(again) == ["👍 Tamam", "🌐 Nederlands", "🌐 ਪੰਜਾਬੀ"]
    # Said once: the question asked again later comes without it.
    [nudge] = await ali.sends("sticker")
    assert "tanımıyorum" not in nudge["text"]
    # A good link half-way adds its school, as at the first /start.
    [again] = await ali.says("/start s_debrug")
    assert "tanımıyorum" not in again["text"]
    assert "Basisschool Sint-Rita - De Brug" in again["text"]
    await ali.taps("👍 Tamam")
    row = await person_row(db, 2018)
    assert row is not None and row.step is None and row.locale == "tr"
    assert await school_codes(db, 2018) == ["debrug", "klimop"]


async def test_a_bad_link_before_the_language_is_explained_with_the_next_question(
        chat: Chat, db: Database) -> None:
    """At the language question the parent's language is not known yet: the sentence comes
    with the next question, in the language they choose, also when that is the privacy
    notice (a good link came first). A good link after a bad one: nothing to explain."""
    harpreet = chat.person(2019, "Harpreet", language_code=None)
    await harpreet.says("/start s_klimop")
    [greeting] = await harpreet.says("/start s_klimpo")
    assert buttons(greeting) == ["Nederlands", "Türkçe", "ਪੰਜਾਬੀ"]
    [privacy] = await harpreet.taps("ਪੰਜਾਬੀ")
    assert privacy["text"].startswith("ਉਸ ਲਿੰਕ ਵਾਲਾ ਸਕੂਲ ਮੈਨੂੰ ਨਹੀਂ ਮਿਲਿਆ।")
    assert "Vrije basisschool Klim-op" in privacy["text"]

    els = chat.person(2020, "Els", language_code="nl")
    await els.says("/start s_nosuchschool")
    await els.says("/start s_devilla")
    [privacy] = await els.taps("Nederlands")
    assert privacy["text"].startswith("Je school: Leefschool 'De Villa'")


async def test_a_bad_link_at_the_school_question_is_said_once(chat: Chat) -> None:
    els = chat.person(2021, "Els", language_code="nl")
    await els.says("/start")
    await els.taps("Nederlands")
    [question] = await els.says("/start s_nosuchschool")
    assert question["text"].startswith(
        "Ik ken de school in die link niet. Kies hieronder je school.")
    [nudge] = await els.sends("sticker")
    assert nudge["text"].startswith("Tik op een knop, alsjeblieft.")
    assert "Ik ken de school" not in nudge["text"]
