"""Undoing a whole activity called off by mistake ("every time"), end to end: listed by its
first day to come, it goes ahead again from then on (in /week, with its reminders), those who
said they come and heard of it are told at once, the others if the coordinator says so, and
nothing is sent twice; days cancelled one by one stay cancelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.services import programme
from storage.db import Database
from storage.models import Activity, OutboxMessage, Rsvp
from storage.models import Person as PersonRow
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person, pa_day, pa_time
from tests.test_broadcast_e2e import wait_until
from tests.test_cancellation_e2e import STAMP, WED_25, forge, yoga_id
from tests.test_programme_e2e import coordinator_with_programme, onboard
from tests.test_reminders_e2e import local, reminders_in, round_at
from tests.test_team_e2e import COORDINATOR_ONLY_NL, REFUSED_NL, brugfiguur
from tests.test_uncancel_e2e import (
    EXPIRED,
    LABEL,
    ahead_rows,
    labels,
    next_try_in_an_hour,
    reminder_states,
    undo_yoga,
)

WHOLE = "❌ Kinderyoga · elke keer vanaf wo 25/11"
DEC_2 = WED_25 + timedelta(days=7)
TR_OFF = "❌ Çocuk yogası artık yapılmayacak. Üzgünüz."
TR_BACK = ("✅ İyi haber: Çocuk yogası yine her zamanki gibi yapılacak. Bir sonraki sefer: "
           "25 Kasım 2026 Çarşamba, 14:00. Karışıklık için özür dileriz. Görüşmek üzere!")
SURE = "Kinderyoga toch weer elke keer laten doorgaan, vanaf woensdag 25 november 2026?"
TITLES = ("Kinderyoga", "Çocuk yogası", "ਬੱਚਿਆਂ ਲਈ ਯੋਗਾ")


def pa_back() -> str:
    return (f"✅ ਚੰਗੀ ਖ਼ਬਰ: ਬੱਚਿਆਂ ਲਈ ਯੋਗਾ ਫਿਰ ਵੀ ਪਹਿਲਾਂ ਵਾਂਗ ਹੋਵੇਗੀ। ਅਗਲੀ ਵਾਰ: "
            f"{pa_day(WED_25.date())}, {pa_time(14)}। ਉਲਝਣ ਲਈ ਸਾਨੂੰ ਅਫ਼ਸੋਸ ਹੈ। ਉੱਥੇ ਮਿਲਾਂਗੇ!")


def yoga_reminders(fake: FakeTelegram, person: Person) -> list[dict]:
    return [m for m in reminders_in(fake, person.id) if any(t in m["text"] for t in TITLES)]


def good_news(fake: FakeTelegram, person: Person) -> list[str]:
    return [t for t in fake.texts(person.id) if t.startswith(("✅ İyi", "✅ Goed", "✅ ਚੰਗੀ"))]


async def called_off(db: Database) -> bool:
    async with db.session() as session:
        row = await session.scalar(select(Activity.cancelled_at).where(
            Activity.external_id == "kinderyoga-wijdeland"))
        return row is not None


async def says_yes(db: Database, parent: Person, start: datetime) -> None:
    async with db.session() as session:
        person = await session.scalar(
            select(PersonRow.id).where(PersonRow.telegram_id == parent.id))
        assert person is not None
        session.add(Rsvp(activity_id=await yoga_id(db), occurrence_start=start,
                         person_id=person, answer="yes"))
        await session.commit()


async def call_off(greet: Person, tell: bool | None, day: str = LABEL) -> None:
    """"Every time" from /activities, tapped on ``day``; ``tell``: the answer to "tell the
    others?" (None: the question is not asked)."""
    await greet.says("/activities")
    await greet.taps(day)
    await greet.taps("❌ Elke keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    if tell is not None:
        await greet.taps("✅ Ja, laat het hen weten" if tell else "Nee, niets laten weten")


async def undo_whole(greet: Person, fake: FakeTelegram, line: str = WHOLE) -> tuple[str, str]:
    """Undone through /activities: (the question's text, the answer's)."""
    return await undo_yoga(greet, fake, line)


async def test_called_off_by_mistake_it_goes_ahead_again_from_then_on(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Ayşe said she comes on 2 December. The yoga is called off every time and both parents
    of the school are told; undone: Ayşe hears at once (of its next day, 25 November), and
    once; Harpreet when the coordinator says so. The yoga is back in /week, the list and the
    reminders; Els, of another school, hears nothing of it all."""
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 8901, "Ayşe", "tr", "wijdeland")
    harpreet = await onboard(chat, 8902, "Harpreet", "pa", "wijdeland")
    els = await onboard(chat, 8903, "Els", "nl", "vlindertje")
    activity = await yoga_id(db)
    await says_yes(db, ayse, DEC_2)
    await round_at(bot, clock, local(22, 10))  # the week's reminders planned

    await call_off(greet, tell=True)
    await wait_until(lambda: ayse.last_text() == TR_OFF
                     and harpreet.last_text().startswith("❌"), fake)
    await round_at(bot, clock, local(22, 10, 5))
    assert set((await reminder_states(db, "day")).values()) == {("obsolete", None)}
    [week] = await ayse.says("/week")
    assert "Çocuk yogası" not in week["text"]

    # Listed once, by its first day to come, marked; its days are not listed one by one.
    [listing] = await greet.says("/activities")
    assert WHOLE in labels(listing)
    assert not any(label.startswith(("Kinderyoga", "❌ Kinderyoga · wo"))
                   for label in labels(listing))
    assert listing["text"].endswith("❌ = geannuleerd. Tik erop als het toch doorgaat.")
    await greet.taps(WHOLE)
    shown = fake.message(greet.id, listing["message_id"])
    assert shown is not None and shown["text"].endswith("❌ Elke keer geannuleerd.")
    assert "woensdag 25 november 2026, 14:00–15:00" in shown["text"]
    assert labels(shown) == ["✅ Toch niet geannuleerd", "↩️ Terug"]

    # Are you sure? Who heard of it, and who of them said they come. "No" changes nothing.
    await greet.taps("✅ Toch niet geannuleerd")
    sure = fake.message(greet.id, listing["message_id"])
    assert sure is not None and sure["text"] == (
        f"{SURE}\n\n2 ouders kregen bericht dat het niet doorging.\n\n"
        "1 ouder zei te komen. Die krijgt meteen een bericht.")
    assert labels(sure) == ["✅ Ja, het gaat door", "↩️ Nee, het blijft geannuleerd"]
    await greet.taps("↩️ Nee, het blijft geannuleerd")
    assert labels(fake.message(greet.id, listing["message_id"])) == [
        "✅ Toch niet geannuleerd", "↩️ Terug"]
    assert await called_off(db)

    await greet.taps("✅ Toch niet geannuleerd")
    await greet.taps("✅ Ja, het gaat door")
    asked = fake.message(greet.id, listing["message_id"])
    assert asked is not None and asked["text"] == (
        "Het gaat weer door. De 1 andere ouder die hoorde dat het niet doorging een bericht "
        "sturen?")
    assert not await called_off(db)
    await wait_until(lambda: ayse.last_text() == TR_BACK, fake)
    # A second tap on "yes, it goes ahead", or on "are you sure", changes nothing.
    before = await ahead_rows(db)
    assert await forge(fake, greet, listing, f"act:{activity}:{STAMP}:uw") == EXPIRED
    assert await forge(fake, greet, listing, f"act:{activity}:{STAMP}:rw") == EXPIRED
    assert await ahead_rows(db) == before == 1 and not await called_off(db)

    await greet.taps("✅ Ja, laat het hen weten")
    done = fake.message(greet.id, listing["message_id"])
    assert done is not None and done["text"] == "De ouders krijgen nu een bericht."
    await wait_until(lambda: harpreet.last_text() == pa_back(), fake)
    # Telling twice sends nothing twice: Ayşe had hers at the undo.
    assert await forge(fake, greet, listing, f"act:{activity}:{STAMP}:gw") == []
    await fake.wait_idle(quiet=0.2)
    assert await ahead_rows(db) == 2
    assert good_news(fake, ayse) == [TR_BACK] and good_news(fake, harpreet) == [pa_back()]
    assert not any(t in text for text in fake.texts(els.id) for t in TITLES)

    # Back in the programme and the list, one day at a time.
    [week] = await ayse.says("/week")
    assert "Çocuk yogası" in week["text"]
    [listing] = await greet.says("/activities")
    assert LABEL in labels(listing) and "Kinderyoga · wo 02/12 14:00" in labels(listing)
    assert WHOLE not in labels(listing)
    # And the reminders come as usual.
    await round_at(bot, clock, local(24, 18))
    await wait_until(lambda: len(yoga_reminders(fake, ayse)) == 1
                     and len(yoga_reminders(fake, harpreet)) == 1, fake)
    assert yoga_reminders(fake, els) == []


async def test_a_notice_still_waiting_at_the_undo_is_never_sent(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """Harpreet's "it will not take place any more" waits for a retry when the activity is
    undone: it is never sent, she is not counted, and she gets no good news."""
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 9001, "Ayşe", "tr", "wijdeland")
    harpreet = await onboard(chat, 9002, "Harpreet", "pa", "wijdeland")
    before = len(fake.texts(harpreet.id))
    fake.fail_next("sendMessage", 500, chat_id=harpreet.id, times=50)
    await call_off(greet, tell=True)
    await wait_until(lambda: ayse.last_text() == TR_OFF, fake)
    await next_try_in_an_hour(db, harpreet.id)

    sure, answer = await undo_whole(greet, fake)
    assert sure == f"{SURE}\n\n1 ouder kreeg bericht dat het niet doorging."
    assert answer == ("Het gaat weer door. De 1 ouder die hoorde dat het niet doorging een "
                      "bericht sturen?")
    await greet.taps("✅ Ja, laat het hen weten")
    await wait_until(lambda: ayse.last_text() == TR_BACK, fake)
    await fake.wait_idle(quiet=0.3)
    assert len(fake.texts(harpreet.id)) == before
    async with db.session() as session:
        status = await session.scalar(select(OutboxMessage.status).where(
            OutboxMessage.group_key == f"undone:{await yoga_id(db)}:{STAMP}:1",
            OutboxMessage.chat_id == harpreet.id))
    assert status == "dropped"


async def test_stale_forged_and_foreign_presses_change_nothing(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    greet = await coordinator_with_programme(chat)
    [listing] = await greet.says("/activities")
    activity = await yoga_id(db)
    for action in ("rw", "uw", "gw", "kw"):  # not called off
        assert await forge(fake, greet, listing, f"act:{activity}:{STAMP}:{action}") == EXPIRED

    await call_off(greet, tell=None)  # no parent yet: nobody to ask about
    for data in (f"act:{activity}:{STAMP + 7 * 86400}:uw",  # not its first day to come
                 f"act:{activity}:{STAMP + 3600}:uw",       # not an hour the rule produces
                 f"act:{activity}:{STAMP - 21 * 86400}:uw",  # past
                 f"act:{activity}:{STAMP}:uo",               # a day's undo: the day is open
                 f"act:{activity}:{STAMP}:gw",               # tell before the undo
                 f"act:99999:{STAMP}:uw"):
        assert await forge(fake, greet, listing, data) == EXPIRED, data
    assert await called_off(db)

    # Only the coordinator: a parent and a brugfiguur are refused at the door.
    els = await onboard(chat, 9101, "Els", "nl", "wijdeland")
    assert await forge(fake, els, listing, f"act:{activity}:{STAMP}:uw") == [REFUSED_NL]
    fatma, _fatma_id = await brugfiguur(chat, db, 9102, "Fatma", "nl")
    for action in ("rw", "uw"):
        assert await forge(fake, fatma, listing, f"act:{activity}:{STAMP}:{action}") == [
            COORDINATOR_ONLY_NL]
    assert await called_off(db)

    # Once its first day has begun, that button is stale: the list shows the next day.
    clock.moment = WED_25 + timedelta(minutes=1)
    assert await forge(fake, greet, listing, f"act:{activity}:{STAMP}:uw") == EXPIRED
    assert await called_off(db)
    [listing] = await greet.says("/activities")
    assert "❌ Kinderyoga · elke keer vanaf wo 02/12" in labels(listing)
    sure, answer = await undo_whole(greet, fake, "❌ Kinderyoga · elke keer vanaf wo 02/12")
    assert sure == ("Kinderyoga toch weer elke keer laten doorgaan, vanaf woensdag "
                    "2 december 2026?")
    assert answer == "Het gaat weer door. Geen enkele ouder had gehoord dat het niet doorging."
    assert not await called_off(db)
    assert not FakeTelegram.inline_buttons(fake.transcript(greet.id)[-1])  # nobody to tell
    # Undone: a second undo, and the old buttons, are stale.
    for action in ("uw", "rw", "gw", "kw"):
        assert await forge(fake, greet, listing,
                           f"act:{activity}:{STAMP + 7 * 86400}:{action}") == EXPIRED


async def test_days_cancelled_one_by_one_stay_cancelled(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    """25 November was cancelled on its own, then the yoga every time from 2 December: the
    undo brings 2 December and after back, not 25 November (which can still be undone)."""
    greet = await coordinator_with_programme(chat)
    ayse = await onboard(chat, 9201, "Ayşe", "tr", "wijdeland")
    await greet.says("/activities")
    await greet.taps(LABEL)
    await greet.taps("❌ Alleen deze keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    await greet.taps("Nee, niets laten weten")
    await call_off(greet, tell=False, day="Kinderyoga · wo 02/12 14:00")

    [listing] = await greet.says("/activities")
    assert "❌ Kinderyoga · elke keer vanaf wo 02/12" in labels(listing)
    assert "❌ " + LABEL not in labels(listing)
    sure, answer = await undo_whole(greet, fake, "❌ Kinderyoga · elke keer vanaf wo 02/12")
    assert sure == ("Kinderyoga toch weer elke keer laten doorgaan, vanaf woensdag "
                    "2 december 2026?\n\nDagen die apart geannuleerd werden, blijven "
                    "geannuleerd.")
    assert answer == "Het gaat weer door. Geen enkele ouder had gehoord dat het niet doorging."

    [listing] = await greet.says("/activities")
    assert "❌ " + LABEL in labels(listing) and "Kinderyoga · wo 02/12 14:00" in labels(listing)
    [week] = await ayse.says("/week")
    assert "Çocuk yogası" not in week["text"]  # the week of 23 November: its day is off
    async with db.session() as session:
        row = await session.get(Activity, await yoga_id(db))
        assert row is not None
        data = programme.activity_data(row)
    assert not programme.occurrence_at(data, WED_25)
    assert programme.occurrence_at(data, DEC_2)
    # The day itself can still be undone, as before.
    await greet.taps("❌ " + LABEL)
    await greet.taps("✅ Toch niet geannuleerd")
    await greet.taps("✅ Ja, het gaat door")
    [week] = await ayse.says("/week")
    assert "Çocuk yogası" in week["text"]


async def test_a_reminder_due_while_it_was_off_goes_late_and_once(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    """Called off on Tuesday at 17:00, undone at 19:00: the day-before reminder of 18:00
    never went. Els gets it now, once, saying "tomorrow"; the two-hours one comes as
    planned."""
    greet = await coordinator_with_programme(chat)
    els = await onboard(chat, 9301, "Els", "nl", "wijdeland")
    await round_at(bot, clock, local(22, 10))
    clock.moment = local(24, 17).astimezone(UTC)
    await call_off(greet, tell=False)
    await round_at(bot, clock, local(24, 18))
    assert set((await reminder_states(db, "day")).values()) == {("obsolete", None)}

    clock.moment = local(24, 19).astimezone(UTC)
    _sure, answer = await undo_whole(greet, fake)
    assert answer == "Het gaat weer door. Geen enkele ouder had gehoord dat het niet doorging."
    await wait_until(lambda: len(yoga_reminders(fake, els)) == 1, fake)
    assert "🔔 Herinnering: morgen" in yoga_reminders(fake, els)[0]["text"]
    await round_at(bot, clock, local(24, 19, 5))
    await fake.wait_idle(quiet=0.2)
    assert len(yoga_reminders(fake, els)) == 1
    await round_at(bot, clock, local(25, 12))
    await wait_until(lambda: len(yoga_reminders(fake, els)) == 2, fake)
    assert "🔔 Herinnering: over twee uur" in yoga_reminders(fake, els)[1]["text"]
