"""Page images (.jpg/.png/.tif): OCR with Tesseract's Vietnamese model.

Every page (a TIFF can hold several) becomes a page of the text, with method
"ocr" and Tesseract's mean word confidence, so a user can tell how far to
trust it. A scan this small (045: 576 x 960 pixels, ~70 dpi for A4) is read,
but its confidence says so.
"""

from __future__ import annotations

from pathlib import Path

from kehoach.ingest import systools
from kehoach.ingest.base import DocumentLoadError, InputFormat, Reader, SourceText
from kehoach.ingest.builder import TextBuilder

MAX_IMAGE_BYTES = 200 * 1024 * 1024
# Pillow refuses larger images as decompression bombs; so do we, with a clear error
MAX_IMAGE_PIXELS = 180_000_000


def emit_ocr_page(builder: TextBuilder, page, first_table: int = 0) -> int:
    """Add an OcrPage to ``builder`` as a page: one block per line, blank between paragraphs, tables as cells.

    Returns the next free table index (tables are numbered from ``first_table``).
    """
    from kehoach.ingest.ocr import OcrTable

    builder.start_page(page.number, "ocr", page.confidence)
    first = True
    table = first_table
    for item in page.items():
        if not first:
            builder.blank()
        first = False
        if isinstance(item, OcrTable):
            for r, c, text in item.cells:
                builder.add(text, kind="cell", table=table, row=r, col=c)
            table += 1
            continue
        for line in item:
            builder.add(line)
    return table


class ImageReader(Reader):
    @classmethod
    def supported_formats(cls) -> dict[str, InputFormat]:
        return {s: InputFormat.IMAGE for s in (".jpg", ".jpeg", ".png", ".tif", ".tiff")}

    def read(self, path: Path) -> SourceText:
        """OCR an image file into normalized text, one page per image frame.

        Raises:
            DocumentLoadError: unreadable or not an image (stage "parse"), Tesseract
                or its Vietnamese model missing (stage "tool"), no text found (stage "ocr").
        """
        from PIL import Image

        from kehoach.ingest import ocr

        path = Path(path)
        try:
            size = path.stat().st_size
        except OSError as e:
            raise DocumentLoadError.cannot_open(path, e) from None
        if size == 0:
            raise DocumentLoadError(path, "empty file", "read")
        if size > MAX_IMAGE_BYTES:
            raise DocumentLoadError(path, f"refused: image of {size // 2**20} MB "
                                          f"(limit {MAX_IMAGE_BYTES // 2**20} MB)", "read")
        exe = systools.require("tesseract", path, "an image (OCR)")
        Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
        try:
            pages = ocr.ocr_image_file(path, exe,
                                       on_error=lambda why: DocumentLoadError(path, why, "parse"))
        except Image.DecompressionBombError as e:
            raise DocumentLoadError(path, f"refused: {e}", "parse") from None
        builder = TextBuilder()
        warnings: list[str] = []
        tables = 0
        for page in pages:
            if page.error:
                warnings.append(f"page {page.number}: {page.error}")
                builder.start_page(page.number, "ocr", None)
                continue
            tables = emit_ocr_page(builder, page, tables)
        st = builder.build(InputFormat.IMAGE.value, str(path), warnings)
        notes = {p.number: p.note for p in pages}
        for info in st.pages:
            info.note = notes.get(info.number)
        st.route = "ocr"
        if not st.text.strip():
            why = "; ".join(warnings) or "OCR found no text in the image"
            raise DocumentLoadError(path, why, "ocr", hint="check that the image is a readable page scan")
        return st
