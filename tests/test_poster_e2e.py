"""/poster end to end: the coordinator taps a school and gets its PDF and PNG; one tap gets
every school's in a ZIP; parents and forged buttons get nothing."""

from __future__ import annotations

import io
import zipfile

from bot.i18n import _, use_locale
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat
from tests.test_poster import decoded, page_text
from tests.test_programme_e2e import coordinator_of, onboard


def dutch(message: str) -> str:
    with use_locale("nl"):
        return _(message)


async def test_the_coordinator_gets_a_poster_per_school_and_all_of_them(
    chat: Chat, fake: FakeTelegram
) -> None:
    greet = await coordinator_of(chat)
    [menu] = await greet.says("/poster")
    buttons = fake.inline_buttons(menu)
    assert len(buttons) == 10  # nine schools, and all of them
    assert buttons[-1] == ("🗂 " + dutch("All schools (ZIP)"), "po:all")
    assert all(len(data.encode()) <= 64 for _label, data in buttons)
    klimop = dict(buttons)["Vrije basisschool Klim-op"]

    pdf_message, png_message = await greet.taps(data=klimop)
    link = f"https://t.me/{fake.bot_username}?start=s_klimop"
    assert pdf_message["document"]["file_name"] == "poster-klimop.pdf"
    assert pdf_message["caption"].startswith(f"Vrije basisschool Klim-op\n{link}")
    pages, _size, text = page_text(fake.file_content(pdf_message["document"]["file_id"]))
    assert pages == 1 and "Vrije basisschool Klim-op" in text
    assert png_message["document"]["file_name"] == "poster-klimop.png"
    assert decoded(fake.file_content(png_message["document"]["file_id"])) == [link]

    [archive_message] = await greet.taps(data="po:all")
    archive = zipfile.ZipFile(io.BytesIO(fake.file_content(
        archive_message["document"]["file_id"])))
    names = archive.namelist()
    assert len(names) == 18 and "poster-debrug.pdf" in names and "poster-devilla.png" in names
    assert decoded(archive.read("poster-wijdeland.png")) == [
        f"https://t.me/{fake.bot_username}?start=s_wijdeland"]


async def test_parents_and_forged_buttons_get_no_poster(chat: Chat, fake: FakeTelegram) -> None:
    greet = await coordinator_of(chat)
    [menu] = await greet.says("/poster")
    # A school that does not exist, or data no button ever had: expired, nothing sent.
    for forged in ("po:s:999999", "po:s:abc", "po:zip"):
        assert await greet.presses(menu, forged) == [dutch("This button has expired.")]
    assert fake.calls_of("sendDocument", greet.id) == []

    els = await onboard(chat, 6101, "Els", "nl", "klimop")
    [reply] = await els.says("/poster")
    assert reply["text"] == dutch("Sorry, this is only for the Brede School team.")
    # Even a real button's data, pressed by a parent.
    alerts = await els.presses(menu, "po:all")
    assert alerts == [dutch("Sorry, this is only for the Brede School team.")]
    assert fake.calls_of("sendDocument") == []
