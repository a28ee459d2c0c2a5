"""A parent's own settings, and everything unexpected, end to end through the fake server."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text

from storage.db import Database
from storage.models import Base, Person
from tests.conftest import COORDINATOR_ID, FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat
from tests.helpers import Person as Talker


async def onboard(chat: Chat, user_id: int, language: str, school: str = "klimop",
                  name: str = "Ayşe") -> Talker:
    """A parent onboarded from a school's deep link, in the given language."""
    person = chat.person(user_id, name)
    await person.says(f"/start s_{school}")
    await person.taps({"nl": "Nederlands", "tr": "Türkçe", "pa": "ਪੰਜਾਬੀ"}[language])
    await person.taps(data="privacy:ok")
    return person


async def rows_naming(db: Database, telegram_id: int) -> dict[str, int]:
    """For every table: how many rows belong to this person (by Telegram id or person id)."""
    counts: dict[str, int] = {}
    async with db.session() as session:
        person_id = await session.scalar(
            select(Person.id).where(Person.telegram_id == telegram_id))
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                value = None
                if column.name in ("telegram_id", "chat_id"):
                    value = telegram_id
                elif column.name in ("person_id", "created_by") or (
                        table.name == "people" and column.name == "id"):
                    value = person_id
                if value is None:
                    continue
                count = await session.scalar(
                    select(func.count()).select_from(table).where(column == value))
                counts[f"{table.name}.{column.name}"] = count or 0
    return counts


async def snapshot(db: Database) -> dict[str, list[tuple]]:
    """Every row of every table, to prove that something changed nothing."""
    async with db.session() as session:
        return {
            table.name: [tuple(r) for r in (await session.execute(
                text(f"SELECT * FROM {table.name} ORDER BY 1"))).all()]
            for table in Base.metadata.sorted_tables
        }


async def test_stop_keeps_data_and_start_resumes(chat: Chat, db: Database) -> None:
    ayse = await onboard(chat, 3001, "tr")
    [stopped] = await ayse.says("/stop")
    assert stopped["text"].startswith("Artık bizden mesaj almayacaksınız.")
    async with db.session() as session:
        row = await session.scalar(select(Person).where(Person.telegram_id == 3001))
        assert row is not None and row.stopped_at is not None and row.locale == "tr"

    [back] = await ayse.says("/start")
    assert back["text"].startswith("Tekrar hoş geldiniz!")
    async with db.session() as session:
        row = await session.scalar(select(Person).where(Person.telegram_id == 3001))
        assert row is not None and row.stopped_at is None


async def test_forget_erases_every_row_after_confirmation(chat: Chat, fake: FakeTelegram,
                                                          db: Database) -> None:
    harpreet = await onboard(chat, 3002, "pa", name="Harpreet")
    other = await onboard(chat, 3003, "nl", name="Els")
    assert sum((await rows_naming(db, 3002)).values()) >= 2

    [question] = await harpreet.says("/forget")
    assert FakeTelegram.inline_buttons(question) == [
        ("🗑 ਹਾਂ, ਸਭ ਕੁਝ ਮਿਟਾਓ", "forget:yes"), ("↩️ ਨਹੀਂ, ਨਾ ਮਿਟਾਓ", "forget:no")]
    # Nothing is erased before the button.
    assert (await rows_naming(db, 3002))["people.telegram_id"] == 1

    [done] = await harpreet.taps(data="forget:yes")
    assert done["text"].startswith("ਹੋ ਗਿਆ। ਅਸੀਂ ਤੁਹਾਡੇ ਬਾਰੇ ਸਭ ਕੁਝ ਮਿਟਾ ਦਿੱਤਾ ਹੈ।")
    assert harpreet.keyboard() == []  # the big buttons are gone
    assert set((await rows_naming(db, 3002)).values()) == {0}
    assert fake.calls_of("deleteMyCommands")[-1].params["scope"] == {
        "type": "chat", "chat_id": 3002}
    # The other parent is untouched.
    assert (await rows_naming(db, 3003))["person_schools.person_id"] == 1

    # Pressing the old button again changes nothing and says it expired.
    before = await snapshot(db)
    # Their language is erased too; with no Telegram language either, the bot falls back to nl.
    assert await harpreet.presses(question, "forget:yes") == ["Deze knop werkt niet meer."]
    assert await snapshot(db) == before
    assert other.keyboard()


async def test_forget_no_keeps_everything(chat: Chat, db: Database) -> None:
    els = await onboard(chat, 3004, "nl", name="Els")
    before = await snapshot(db)
    await els.says("/forget")
    await els.taps(data="forget:no")
    assert els.last_text() == "Goed. Er is niets gewist."
    assert await snapshot(db) == before


async def test_forged_and_stale_buttons_change_nothing(chat: Chat, fake: FakeTelegram,
                                                       db: Database, clock: FixedClock) -> None:
    ali = await onboard(chat, 3005, "tr", name="Ali")
    message = fake.last_message(3005)
    assert message is not None
    before = await snapshot(db)
    clock.moment += timedelta(minutes=5)  # not the second press of a double tap
    for forged in ["school:t:999", "school:t:abc", "lang:fr", "privacy:ok", "admin:all",
                   "", "x" * 64, "forget:maybe", "school:t:1:2"]:
        assert await ali.presses(message, forged) == ["Bu düğme artık çalışmıyor."], forged
    assert await snapshot(db) == before

    # A stranger pressing a real-looking button: an alert, and no row is created.
    stranger = chat.person(3006, "Stranger", language_code="pa")
    assert await stranger.presses(message, "school:t:1") == ["ਇਹ ਬਟਨ ਹੁਣ ਕੰਮ ਨਹੀਂ ਕਰਦਾ।"]
    assert await snapshot(db) == before


async def test_group_chat_gets_a_pointer_to_the_private_chat(chat: Chat, fake: FakeTelegram,
                                                             db: Database) -> None:
    before = await snapshot(db)
    fake.user(3007, "Murat", language_code="tr")
    fake.mark()
    fake.send_group_text(3007, -100200, "/start")
    reply = await fake.wait_for("sendMessage", chat_id=-100200)
    assert reply.params["text"].startswith("Sadece özel sohbette çalışıyorum.")
    # One tap opens the private chat.
    [[button]] = reply.params["reply_markup"]["inline_keyboard"]
    assert button == {"text": "💬 Bana yazın", "url": f"https://t.me/{fake.bot_user['username']}"}
    fake.send_group_text(3007, -100200, "merhaba")
    await fake.wait_idle(quiet=0.12)
    assert len(fake.calls_of("sendMessage", chat_id=-100200)) == 2
    # Parents joining the group: the bot stays quiet. The bot added to another: one pointer.
    fake.send_group_join(3007, -100200, [fake.user(3017, "Ayşe", "tr").to_dict()])
    fake.send_group_join(3007, -100200, [fake.user(3018, "Els", "nl").to_dict()])
    fake.send_group_join(3007, -100202, [fake.bot_user])
    await fake.wait_idle(quiet=0.12)
    assert len(fake.calls_of("sendMessage", chat_id=-100200)) == 2
    assert len(fake.calls_of("sendMessage", chat_id=-100202)) == 1
    assert fake.transcript(3007) == []
    assert await snapshot(db) == before


async def test_edited_messages_and_channel_posts_are_ignored(chat: Chat, fake: FakeTelegram,
                                                             db: Database) -> None:
    els = await onboard(chat, 3008, "nl", name="Els")
    before = await snapshot(db)
    count = len(fake.transcript(3008))
    fake.mark()
    fake.send_edited_text(els.user, 1, "/forget")
    fake.send_channel_post(-100300, "/start")
    await fake.wait_idle(quiet=0.15)
    assert len(fake.transcript(3008)) == count
    assert fake.calls_of("sendMessage", chat_id=-100300) == []
    assert await snapshot(db) == before


async def test_free_text_after_onboarding_becomes_a_question(chat: Chat) -> None:
    els = await onboard(chat, 3009, "nl", name="Els")
    [reply] = await els.says("Wanneer is de volgende ouderbabbel?")
    assert reply["text"] == "Waarover gaat je vraag? Tik op een knop."
    [reply] = await els.sends("sticker", emoji="🐱")
    assert reply["text"] == ("Sorry, dit kan ik niet doorgeven. Stuur 🎤 een spraakbericht, 📷 "
                             "een foto of ✍️ tekst.")


async def test_coordinator_skips_the_school_question(chat: Chat, fake: FakeTelegram,
                                                     db: Database) -> None:
    coordinator = chat.person(COORDINATOR_ID, "Greet", language_code="nl")
    await coordinator.says("/start")
    [privacy] = await coordinator.taps("Nederlands")
    assert privacy["text"].startswith("Over je gegevens")
    await coordinator.taps(data="privacy:ok")
    menu = fake.calls_of("setMyCommands")[-1].params
    assert menu["scope"] == {"type": "chat", "chat_id": COORDINATOR_ID}
    assert {"programme", "broadcast", "broadcasts"} <= {c["command"] for c in menu["commands"]}
    async with db.session() as session:
        row = await session.scalar(select(Person).where(Person.telegram_id == COORDINATOR_ID))
        assert row is not None and row.role == "coordinator"


async def test_commands_are_registered_per_language(chat: Chat, fake: FakeTelegram) -> None:
    menus = {c.params.get("language_code"): c.params["commands"]
             for c in fake.calls_of("setMyCommands") if "scope" not in c.params}
    assert set(menus) == {None, "nl", "tr", "pa"}
    names = ["start", "ask", "week", "language", "school", "settings", "help", "privacy",
             "stop", "forget"]
    for menu in menus.values():
        assert [c["command"] for c in menu] == names
    assert menus["tr"][9]["description"] == "Tüm bilgilerinizi silin"
    assert menus["nl"][6]["description"] == "Wat kan deze bot?"
    assert menus["tr"][5]["description"] == "Ayarlarınız"
    assert menus["pa"][1]["description"] == "ਸਵਾਲ ਪੁੱਛੋ (ਲਿਖਤ, ਆਵਾਜ਼ ਜਾਂ ਫ਼ੋਟੋ)"


async def test_writing_again_after_blocking_the_bot_clears_the_block(chat: Chat,
                                                                     db: Database) -> None:
    els = await onboard(chat, 3010, "nl", name="Els")
    async with db.session() as session:
        row = await session.scalar(select(Person).where(Person.telegram_id == 3010))
        assert row is not None
        row.blocked_at = row.created_at  # as the outbox does on a 403
        await session.commit()
    await els.says("/help")
    async with db.session() as session:
        row = await session.scalar(select(Person).where(Person.telegram_id == 3010))
        assert row is not None and row.blocked_at is None


async def test_replies_outside_the_door_speak_the_language_the_person_chose(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """The apology of an update that failed and the pointer from a group chat are made
    outside the door, which reads the person: they too are in the language the parent chose,
    not in Telegram's guess (none here: that would be Dutch)."""
    ayse = await onboard(chat, 3011, "tr")
    fake.fail_next("sendMessage", 500, chat_id=3011)  # /week's answer fails once
    await ayse.says("/week")
    assert fake.texts(3011)[-1] == "Üzgünüm, bir sorun oldu. Lütfen biraz sonra tekrar deneyin."
    fake.mark()
    fake.send_group_text(3011, -100201, "merhaba")
    reply = await fake.wait_for("sendMessage", chat_id=-100201)
    assert reply.params["text"].startswith("Sadece özel sohbette çalışıyorum.")
