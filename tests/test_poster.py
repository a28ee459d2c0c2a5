"""Posters: one A4 page per school, whose QR code scans to the school's deep link and whose
text holds the school's name and the invitation in Dutch, Turkish and Punjabi (Gurmukhi)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import zxingcpp
from PIL import Image
from pypdf import PdfReader

from bot.i18n import SUPPORTED_LOCALES
from bot.services.people import SchoolView
from bot.services.poster import deep_link, invitation, main, make_poster, posters_zip

GURMUKHI = re.compile(r"[\u0A00-\u0A7F]")
KABOUTERLAND = SchoolView(5, "kabouterland",
                          "Vrije Kleuterschool Kabouterland, Sint-Rita (Nieuw Sint-Truiden)")
A4_POINTS = (595.28, 841.89)


def gurmukhi_only(text: str) -> str:
    """The Gurmukhi letters of a text, in order.

    fpdf2 gives the second glyph of a reordered Gurmukhi cluster (a vowel sign drawn before
    its consonant) no Unicode of its own, so a text extractor may put a stray character or a
    space there; the printed page is right, and the letters come out in order.
    """
    return "".join(GURMUKHI.findall(text))


def page_text(pdf: bytes) -> tuple[int, tuple[float, float], str]:
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    return len(reader.pages), (float(box.width), float(box.height)), reader.pages[0].extract_text()


def decoded(png: bytes) -> list[str]:
    with Image.open(io.BytesIO(png)) as picture:
        return [code.text for code in zxingcpp.read_barcodes(picture)]


def test_the_invitation_comes_from_the_catalogs() -> None:
    lines = {locale: invitation(locale) for locale in SUPPORTED_LOCALES}
    assert all(len(found) == 4 for found in lines.values())
    assert lines["nl"] != lines["tr"] != lines["pa"]
    assert all(GURMUKHI.search(line) for line in lines["pa"])
    assert any("ş" in line or "ı" in line or "ü" in line for line in lines["tr"])


def test_a_poster_is_one_a4_page_with_the_name_and_the_three_languages() -> None:
    poster = make_poster(KABOUTERLAND, "BredeSchoolBot")
    pages, size, text = page_text(poster.pdf)
    assert poster.pdf.startswith(b"%PDF-")
    assert pages == 1
    assert abs(size[0] - A4_POINTS[0]) < 1 and abs(size[1] - A4_POINTS[1]) < 1
    flat = " ".join(text.split())
    assert "Vrije Kleuterschool Kabouterland, Sint-Rita (Nieuw Sint-Truiden)" in flat
    assert "t.me/BredeSchoolBot?start=s_kabouterland" in flat
    for locale in ("nl", "tr"):
        for line in invitation(locale):
            assert line in flat
    assert "Türkçe" in flat and "Nederlands" in flat
    # Every Punjabi line is there, in Gurmukhi, letter for letter.
    for line in invitation("pa"):
        assert GURMUKHI.search(line)
        assert gurmukhi_only(line) in gurmukhi_only(text)
    assert gurmukhi_only("ਪੰਜਾਬੀ") in gurmukhi_only(text)


def test_the_picture_scans_to_the_exact_deep_link() -> None:
    poster = make_poster(KABOUTERLAND, "BredeSchoolBot")
    assert poster.link == "https://t.me/BredeSchoolBot?start=s_kabouterland"
    assert decoded(poster.png) == [poster.link]
    with Image.open(io.BytesIO(poster.png)) as picture:
        # A4 at 200 dpi: printable, and the QR code far above what a phone needs.
        assert picture.size == (1654, 2339)


def test_one_zip_holds_every_schools_pdf_and_png() -> None:
    schools = [KABOUTERLAND, SchoolView(7, "klimop", "Vrije basisschool Klim-op")]
    with zipfile.ZipFile(io.BytesIO(posters_zip(schools, "BredeSchoolBot"))) as archive:
        assert sorted(archive.namelist()) == [
            "poster-kabouterland.pdf", "poster-kabouterland.png",
            "poster-klimop.pdf", "poster-klimop.png"]
        assert decoded(archive.read("poster-klimop.png")) == [
            deep_link("BredeSchoolBot", "klimop")]
        assert "Vrije basisschool Klim-op" in page_text(archive.read("poster-klimop.pdf"))[2]


def test_the_command_line_writes_every_shipped_schools_poster(tmp_path: Path) -> None:
    output = tmp_path / "posters.zip"
    assert main(["@BredeSchoolBot", str(output)]) == 0
    with zipfile.ZipFile(output) as archive:
        assert len(archive.namelist()) == 18
        assert decoded(archive.read("poster-devilla.png")) == [
            "https://t.me/BredeSchoolBot?start=s_devilla"]


def test_the_qr_code_keeps_its_white_border_of_four_modules() -> None:
    # ISO 18004's quiet zone: with the school's name and the link close above and below,
    # a code without it fails on some phone cameras.
    from bot.services.poster import _qr_png

    image = Image.open(_qr_png(deep_link("BredeSchoolBot", "klimop"))).convert("L")
    border = 4 * 20  # four modules of 20 pixels
    width, height = image.size
    edges = [image.crop(box) for box in (
        (0, 0, width, border), (0, height - border, width, height),
        (0, 0, border, height), (width - border, 0, width, height))]
    assert all(edge.getextrema() == (255, 255) for edge in edges)
    assert image.crop((border, border, border + 20, border + 20)).getextrema() == (0, 0)  # a finder
