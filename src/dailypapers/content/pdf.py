"""One PDF in, its first page as pictures and its text out: the work done in a child process.

Nothing here touches Django or the database, so it runs in a separate process
(`content/render.py`) whose memory is capped: a hostile or broken PDF can make pdfium allocate
without bound or crash, and then only that child dies. The result says what happened in one
word (`status`) and one sentence (`message`).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from dailypapers.content.markdown import is_usable

# Statuses a processed PDF can end in (the model adds the fetch-side ones).
OK = "ok"
PARTIAL = "partial"  # text of the first max_pages pages only
NO_TEXT = "no_text"  # pictures made, but no usable text layer (a scan, broken fonts)
ENCRYPTED = "encrypted"
CORRUPT = "corrupt"
EMPTY = "empty"  # a valid PDF without pages

CARD = (640, 240)  # the cards' picture box (8:3), twice the size it shows at
PAGE = (960, 720)  # the paper page's first-page preview (4:3)


@dataclass
class Rendered:
    status: str
    message: str = ""
    pages: int = 0
    card: bytes = b""
    page: bytes = b""
    text_pages: list[str] = field(default_factory=list)


def _top_crop(image: object, size: tuple[int, int]) -> object:
    """The top of the page at `size`: scaled to its width, cut at its height, starting just
    above the first ink (a page's top margin is blank and would waste the box)."""
    # Pillow and pdfium (~15 and ~25 ms to import) load in the renderer child only: every
    # process imports this module (content.models does), few render.
    from PIL import Image, ImageOps

    assert isinstance(image, Image.Image)
    width, height = size
    scaled = image.resize((width, max(1, round(image.height * width / image.width))))
    gray = ImageOps.invert(scaled.convert("L")).point(lambda v: 255 if v > 24 else 0)
    box = gray.getbbox()
    top = max(0, box[1] - round(height * 0.08)) if box else 0
    top = min(top, max(0, scaled.height - height))
    cropped = scaled.crop((0, top, width, top + height))
    if cropped.height < height:  # a landscape page: pad with white below
        canvas = Image.new("RGB", size, "white")
        canvas.paste(cropped, (0, 0))
        cropped = canvas
    return cropped


def _png(image: object) -> bytes:
    """A small PNG: 32 colours are enough for text and keep a card under 30 KB."""
    from PIL import Image  # in the renderer child only (see _top_crop)

    assert isinstance(image, Image.Image)
    out = io.BytesIO()
    image.convert("RGB").quantize(colors=32, method=Image.Quantize.MEDIANCUT).save(
        out, "PNG", optimize=True
    )
    return out.getvalue()


def _pageless(path: str) -> bool:
    """Whether a PDF pdfium could not open declares a page tree without any page."""
    with open(path, "rb") as handle:
        head = handle.read(1 << 20)
    return bool(re.search(rb"/Count\s*0\b", head)) and not re.search(rb"/Type\s*/Page\b", head)


def render(path: str, max_pages: int) -> Rendered:
    """Pictures of the first page and the text of up to `max_pages` pages of the PDF at `path`."""
    import pypdfium2 as pdfium  # in the renderer child only (see _top_crop)

    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        text = str(exc)
        if "password" in text.lower():
            return Rendered(
                ENCRYPTED, "The PDF is encrypted; no page can be read without its password."
            )
        if _pageless(path):  # pdfium refuses a document without pages as if it were broken
            return Rendered(EMPTY, "The PDF has no pages.")
        reason = text.rsplit("PDFium:", 1)[-1].strip(" ().") or text
        return Rendered(
            CORRUPT, f"The file is not a readable PDF: damaged or cut short (pdfium: {reason})."
        )
    try:
        count = len(document)
        if count == 0:
            return Rendered(EMPTY, "The PDF has no pages.")
        first = document[0]
        try:
            width = first.get_width() or 612
            scale = min(max(PAGE[0] / width, 0.1), 4.0)
            bitmap = first.render(scale=scale, may_draw_forms=False)
            image = bitmap.to_pil()
        finally:
            first.close()
        card, page = _png(_top_crop(image, CARD)), _png(_top_crop(image, PAGE))
        texts = []
        for number in range(min(count, max_pages)):
            pdf_page = document[number]
            try:
                textpage = pdf_page.get_textpage()
                try:
                    texts.append(textpage.get_text_bounded())
                finally:
                    textpage.close()
            finally:
                pdf_page.close()
    except pdfium.PdfiumError as exc:
        return Rendered(CORRUPT, f"The PDF is damaged ({exc}).", pages=0)
    finally:
        document.close()
    if not is_usable("\n".join(texts)):
        return Rendered(
            NO_TEXT,
            f"{count} page{'s' if count != 1 else ''}, but no readable text layer "
            "(a scan, or fonts without a text mapping): the first page is shown, no text kept.",
            pages=count,
            card=card,
            page=page,
        )
    if count > max_pages:
        return Rendered(
            PARTIAL,
            f"Text of the first {max_pages} of {count} pages (DAILYPAPERS_CONTENT_MAX_PAGES).",
            pages=count,
            card=card,
            page=page,
            text_pages=texts,
        )
    return Rendered(OK, f"{count} pages.", pages=count, card=card, page=page, text_pages=texts)
