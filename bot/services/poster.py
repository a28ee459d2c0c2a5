"""Posters: how parents find the bot. One A4 page per school for the schoolbag letter, the
newsletter or the gate: a large QR code of the school's deep link (so onboarding skips the
school question), the school's name, a short invitation in Dutch, Turkish and Punjabi, and
the plain link for those who cannot scan.

Usage::

    poster = make_poster(school, "BredeSchoolBot")   # Poster: .pdf and .png (bytes)
    archive = posters_zip(schools, "BredeSchoolBot")  # every school's PDF and PNG in a ZIP

Without Telegram (for the print shop), from the schools the bot ships with::

    python -m bot.services.poster BredeSchoolBot posters.zip

The invitation comes from the catalogs (``INVITATION``, each line in every language). The
fonts ship in bot/assets/fonts (Noto Sans, Noto Sans Gurmukhi; OFL.txt beside them); fpdf2
shapes Gurmukhi with HarfBuzz (uharfbuzz), so vowel signs sit where a reader expects them.
The PNG is the PDF page rendered by PDFium: one layout, two formats.

CPU-bound (about a quarter of a second a poster): call it from a thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import argparse
import io
import json
import threading
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.i18n import LANGUAGE_NAMES, N_, SUPPORTED_LOCALES, _, use_locale
from bot.services.people import SchoolView

if TYPE_CHECKING:
    from fpdf import FPDF

# fpdf2, PDFium and segno are imported where a poster is made: together with what they bring
# (numpy, fontTools, Pillow) they took a third of the bot's start-up, for a command the
# coordinator uses once a school year.

FONTS = Path(__file__).resolve().parent.parent / "assets" / "fonts"
PNG_DPI = 200  # print quality for an A4 sheet; about 1650 x 2340 pixels

# Short and warm, for parents who read little (the same lines in every language).
INVITATION: tuple[str, ...] = (
    N_("Scan me with the camera of your phone!"),
    N_("News from the school, in your own language."),
    N_("Ask us your questions. We are happy to help."),
    N_("It is free. You only need Telegram."),
)

# A4 portrait, in millimetres.
PAGE_WIDTH = 210.0
MARGIN = 15.0
QR_SIZE = 100.0
# PDFium is not thread-safe: one rendering at a time.
_pdfium_lock = threading.Lock()


@dataclass(frozen=True)
class Poster:
    school_code: str
    link: str
    pdf: bytes
    png: bytes

    @property
    def pdf_name(self) -> str:
        return f"poster-{self.school_code}.pdf"

    @property
    def png_name(self) -> str:
        return f"poster-{self.school_code}.png"


def deep_link(bot_username: str, school_code: str) -> str:
    """The link that starts the bot with the school already chosen."""
    return f"https://t.me/{bot_username}?start=s_{school_code}"


def invitation(locale: str) -> list[str]:
    """The invitation's lines in one language, from the catalogs."""
    with use_locale(locale):
        return [_(line) for line in INVITATION]


def _qr_png(link: str) -> io.BytesIO:
    """The QR code as a crisp black-and-white PNG (one pixel per module, scaled up), with
    the white border of four modules the standard asks for: the text above and below would
    otherwise stand within a module or two of it, and some phone cameras then fail."""
    # Error correction "Q": a fold, a staple or a coffee stain still scans.
    import segno

    buffer = io.BytesIO()
    segno.make(link, error="q", micro=False).save(buffer, kind="png", scale=20, border=4)
    buffer.seek(0)
    return buffer


def _document() -> FPDF:
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_font("noto", "", str(FONTS / "NotoSans-Regular.ttf"))
    pdf.add_font("noto", "B", str(FONTS / "NotoSans-Bold.ttf"))
    pdf.add_font("gurmukhi", "", str(FONTS / "NotoSansGurmukhi-Regular.ttf"))
    pdf.add_font("gurmukhi", "B", str(FONTS / "NotoSansGurmukhi-Bold.ttf"))
    # Either font fills in what the other lacks (Latin in a Punjabi line, and back).
    pdf.set_fallback_fonts(["noto", "gurmukhi"])
    pdf.set_text_shaping(True)
    pdf.set_creator("Brede School bot")
    return pdf


def _centred(pdf: FPDF, text: str, family: str, style: str, size: float,
             height: float, grey: int = 0) -> None:
    pdf.set_font(family, style, size)
    pdf.set_text_color(grey)
    pdf.multi_cell(0, height, text, align="C", new_x="LMARGIN", new_y="NEXT")


def poster_pdf(school: SchoolView, link: str) -> bytes:
    """The one-page A4 poster of one school."""
    pdf = _document()
    pdf.set_title(school.name)
    pdf.add_page()
    pdf.set_y(MARGIN)
    _centred(pdf, "Brede School", "noto", "", 13, 7, grey=90)
    _centred(pdf, school.name, "noto", "B", 22, 10)
    top = pdf.get_y() + 4
    pdf.image(_qr_png(link), x=(PAGE_WIDTH - QR_SIZE) / 2, y=top, w=QR_SIZE, h=QR_SIZE)
    pdf.set_y(top + QR_SIZE + 3)
    _centred(pdf, link.removeprefix("https://"), "noto", "B", 13, 7)
    for locale in SUPPORTED_LOCALES:
        family = "gurmukhi" if locale == "pa" else "noto"
        pdf.ln(3)
        y = pdf.get_y()
        pdf.set_draw_color(170)
        pdf.line(MARGIN + 30, y, PAGE_WIDTH - MARGIN - 30, y)
        pdf.ln(2)
        # Gurmukhi looks smaller than Latin at the same size: one point more.
        bigger = 1 if family == "gurmukhi" else 0
        _centred(pdf, LANGUAGE_NAMES[locale], family, "B", 14 + bigger, 7.5)
        for line in invitation(locale):
            _centred(pdf, line, family, "", 13 + bigger, 6.8)
    return bytes(pdf.output())


def pdf_to_png(pdf: bytes, dpi: int = PNG_DPI) -> bytes:
    """The first page of a PDF as a PNG."""
    import pypdfium2

    with _pdfium_lock:
        document = pypdfium2.PdfDocument(pdf)
        try:
            # The poster is black and grey: a grey-scale PNG is half the size.
            image = document[0].render(scale=dpi / 72, grayscale=True).to_pil()
        finally:
            document.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def make_poster(school: SchoolView, bot_username: str) -> Poster:
    link = deep_link(bot_username, school.code)
    pdf = poster_pdf(school, link)
    return Poster(school.code, link, pdf, pdf_to_png(pdf))


def posters_zip(schools: Iterable[SchoolView], bot_username: str) -> bytes:
    """Every school's poster, PDF and PNG, in one ZIP."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for school in schools:
            poster = make_poster(school, bot_username)
            archive.writestr(poster.pdf_name, poster.pdf)
            archive.writestr(poster.png_name, poster.png)
    return buffer.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: every shipped school's poster in one ZIP."""
    from storage.db import SCHOOLS_FILE  # only the command line reads the shipped list

    parser = argparse.ArgumentParser(prog="python -m bot.services.poster",
                                     description="Posters with a QR code, one per school.")
    parser.add_argument("bot_username", help="the bot's username, e.g. BredeSchoolBot")
    parser.add_argument("output", nargs="?", default="posters.zip", help="the ZIP to write")
    args = parser.parse_args(argv)
    schools = [SchoolView(number, s["code"], s["name"]) for number, s in
               enumerate(json.loads(SCHOOLS_FILE.read_text(encoding="utf-8")), start=1)]
    Path(args.output).write_bytes(posters_zip(schools, args.bot_username.lstrip("@")))
    print(f"{args.output}: {len(schools)} posters (PDF and PNG)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
