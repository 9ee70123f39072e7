"""OCR with Tesseract's Vietnamese model: scanned PDF pages and page images.

PDF pages are rendered with pypdfium2 at OCR_DPI (pdfium is not thread-safe, so
rendering stays in the calling thread) and each rendered page goes to its own
``tesseract`` process as soon as it is ready, OCR_WORKERS at a time; every
process has a timeout, and a page that runs past it is reported, not waited
for. Tesseract writes TSV: words with their block/paragraph/line numbers and a
confidence, from which the lines and the page's mean confidence come.

No shell is involved and no user file name reaches Tesseract: inputs are
written or linked into a private temporary folder under plain names.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

OCR_DPI = 300
# scanned PDF pages are rendered at their scan's resolution, brought into this range
OCR_MIN_DPI = 200
OCR_MAX_DPI = 400
OCR_LANG = "vie"
OCR_PAGE_TIMEOUT_S = 180.0
# Tesseract uses one core per process here (OMP_THREAD_LIMIT=1); pages run side by side.
# A pool of ingest worker processes should set $KEHOACH_OCR_WORKERS (e.g. 1) to share the cores.
def _workers() -> int:
    try:
        return max(1, int(os.environ.get("KEHOACH_OCR_WORKERS", "")))
    except ValueError:
        return max(1, min(8, os.cpu_count() or 1))


OCR_WORKERS = _workers()
# images stating (or sized like) less than this many dpi are enlarged before OCR
LOW_DPI = 140


@dataclass
class OcrTable:
    """A ruled table of a scanned page, read cell by cell: (row, col, text) in reading order."""

    cells: list[tuple[int, int, str]]
    at: int  # index of the paragraph the table goes before (len(paragraphs): after all)


@dataclass
class OcrPage:
    number: int
    paragraphs: list[list[str]] = field(default_factory=list)  # paragraphs of lines
    confidence: Optional[float] = None                         # mean word confidence, 0-100
    error: Optional[str] = None
    tables: list[OcrTable] = field(default_factory=list)
    deskew: float = 0.0                                        # degrees the page was turned before OCR
    restored: int = 0                                          # words whose tone mark marks.py restored

    def items(self) -> list:
        """Paragraphs (lists of lines) and tables in reading order."""
        out: list = []
        tables = sorted(self.tables, key=lambda t: t.at)
        k = 0
        for i, para in enumerate(self.paragraphs):
            while k < len(tables) and tables[k].at <= i:
                out.append(tables[k])
                k += 1
            out.append(para)
        out.extend(tables[k:])
        return out

    @property
    def text(self) -> str:
        parts = []
        for item in self.items():
            if isinstance(item, OcrTable):
                parts.append("\n".join(text for _, _, text in item.cells))
            else:
                parts.append("\n".join(item))
        return "\n\n".join(parts)

    @property
    def note(self) -> Optional[str]:
        """What was done to the page beyond plain OCR, for PageInfo.note."""
        notes = []
        if self.deskew:
            notes.append(f"deskewed by {abs(self.deskew):.1f} degrees")
        if self.tables:
            notes.append(f"{len(self.tables)} ruled table(s) read cell by cell")
        if self.restored:
            notes.append(f"tone marks restored in {self.restored} word(s)")
        return "; ".join(notes) or None


@dataclass
class OcrWord:
    key: tuple[int, int, int, int]   # page, block, paragraph, line
    box: tuple[int, int, int, int]   # x0, y0, x1, y1 in the image's pixels
    conf: float
    text: str


def tsv_words(tsv: str) -> list[OcrWord]:
    """The words of Tesseract's TSV output, in its reading order."""
    out: list[OcrWord] = []
    rows = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in rows:
        if row.get("level") != "5":
            continue
        word = (row.get("text") or "").strip()
        if not word:
            continue
        try:
            key = (int(row["page_num"]), int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
            x, y = int(row["left"]), int(row["top"])
            box = (x, y, x + int(row["width"]), y + int(row["height"]))
            conf = float(row["conf"])
        except (KeyError, ValueError, TypeError):
            continue
        out.append(OcrWord(key, box, conf, word))
    return out


def parse_tsv(tsv: str, number: int = 1, tables=None) -> OcrPage:
    """Lines, paragraphs and mean confidence from Tesseract's TSV output.

    Args:
        tsv: Tesseract's TSV output for one page.
        number: the page number.
        tables: a ``scanpage.TableMap`` of the same image: words inside its
            cells become table cells instead of lines.
    """
    return arrange(tsv_words(tsv), number, tables)


def arrange(words: list[OcrWord], number: int = 1, tables=None) -> OcrPage:
    """An OcrPage from Tesseract's words: lines, paragraphs, and the cells of ruled tables."""
    page = OcrPage(number)
    lines: dict[tuple[int, int, int, int], list[str]] = {}
    order: list[tuple[int, int, int, int]] = []
    confs = [(w.conf, len(w.text)) for w in words if w.conf >= 0]
    # table index -> cell -> words; and the first line each table's words appeared in
    in_cells: dict[int, dict[tuple[int, int], list[OcrWord]]] = {}
    table_first: dict[int, tuple[int, int, int, int]] = {}
    for w in words:
        if tables is not None and tables.tables:
            cx, cy = (w.box[0] + w.box[2]) / 2, (w.box[1] + w.box[3]) / 2
            hit = tables.locate(cx, cy)
            if hit is not None:
                t, cell = hit
                in_cells.setdefault(t, {}).setdefault((cell.row, cell.col), []).append(w)
                table_first.setdefault(t, w.key)
                if w.key not in lines:
                    lines[w.key] = []
                    order.append(w.key)
                continue
            if not any(ch.isalnum() for ch in w.text) and tables.on_ruling(w.box):
                continue  # a ruling line read as "|" or "_"
        if w.key not in lines:
            lines[w.key] = []
            order.append(w.key)
        lines[w.key].append(w.text)
    para: Optional[tuple[int, int, int]] = None
    where: dict[tuple[int, int, int, int], int] = {}  # line -> paragraphs before it
    for key in order:
        where[key] = len(page.paragraphs)
        if not lines[key]:
            para = None  # a line all in cells: the text after the table is a new paragraph
            continue
        if key[:3] != para:
            page.paragraphs.append([])
            para = key[:3]
        page.paragraphs[-1].append(" ".join(lines[key]))
    for t in sorted(in_cells):
        cells = []
        for (r, c), ws in sorted(in_cells[t].items()):
            cells.append((r, c, "\n".join(_cell_lines(ws))))
        page.tables.append(OcrTable(cells, where[table_first[t]]))
    if confs:
        total = sum(n for _, n in confs)
        page.confidence = sum(c * n for c, n in confs) / total  # per character: long words weigh more
    _restore(page)
    return page


def _restore(page: OcrPage) -> None:
    """Tone marks OCR lost, restored line by line (marks.py); the page counts the words changed."""
    from kehoach.ingest.marks import restore_marks_counted

    def fix(line: str) -> str:
        new, n = restore_marks_counted(line)
        page.restored += n
        return new

    page.paragraphs = [[fix(line) for line in para] for para in page.paragraphs]
    for t in page.tables:
        t.cells = [(r, c, "\n".join(fix(x) for x in text.split("\n"))) for r, c, text in t.cells]


def _cell_lines(words: list[OcrWord]) -> list[str]:
    """A cell's words as lines, by position (Tesseract may run a line across several cells)."""
    rows: list[list[OcrWord]] = []
    for w in sorted(words, key=lambda w: (w.box[1] + w.box[3]) / 2):
        cy = (w.box[1] + w.box[3]) / 2
        if rows:
            last = rows[-1]
            ly = sum((x.box[1] + x.box[3]) / 2 for x in last) / len(last)
            lh = max(x.box[3] - x.box[1] for x in last)
            if abs(cy - ly) < 0.5 * max(lh, w.box[3] - w.box[1]):
                last.append(w)
                continue
        rows.append([w])
    return [" ".join(x.text for x in sorted(r, key=lambda w: w.box[0])) for r in rows]


def run_tesseract(exe: str, image: str, number: int, timeout: float = OCR_PAGE_TIMEOUT_S,
                  dpi: Optional[int] = OCR_DPI, lang: str = OCR_LANG, tables=None) -> OcrPage:
    """OCR one image file (a path under our own temporary folder).

    ``tables`` (a ``scanpage.TableMap`` of the same image) puts the words of ruled tables into their cells.
    """
    args = [exe, image, "stdout", "-l", lang, "--psm", "3"]
    if dpi:
        args += ["--dpi", str(dpi)]
    args.append("tsv")
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        proc = subprocess.run(args, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, env=env)
    except subprocess.TimeoutExpired:
        return OcrPage(number, error=f"OCR did not finish within {timeout:.0f} s")
    except OSError as e:
        return OcrPage(number, error=f"cannot run tesseract: {e.strerror or e}")
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return OcrPage(number, error=f"tesseract failed: {err[-1] if err else proc.returncode}")
    return parse_tsv(proc.stdout.decode("utf-8", "replace"), number, tables)


def ocr_page_image(exe: str, img, png: str, number: int, dpi: int,
                   timeout: float = OCR_PAGE_TIMEOUT_S) -> OcrPage:
    """Straighten a page image, OCR it and read its ruled tables cell by cell.

    Runs in a worker thread: ``img`` is this page's own Pillow image, ``png`` a
    path in our private folder.
    """
    from kehoach.ingest import scanpage

    try:
        img, angle = scanpage.deskew(img.convert("L"))
        img.save(png, dpi=(dpi, dpi))
    except Exception as e:  # noqa: BLE001 - Pillow on a damaged frame: report the page
        return OcrPage(number, error=f"cannot prepare page for OCR ({type(e).__name__}: {e})")
    tables = None
    try:
        tables = scanpage.find_tables(img, dpi)
    except Exception:  # noqa: BLE001 - no table structure is not an error: the page reads as lines
        tables = None
    page = run_tesseract(exe, png, number, timeout, dpi, tables=tables)
    page.deskew = angle
    return page


def scan_dpi(page) -> Optional[float]:
    """Resolution of the scan on a PDF page: its largest image's, when one covers most of the page."""
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    best, dpi = 0.0, None
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=1):
        try:
            left, bottom, right, top = obj.get_bounds()
            px_w, _ = obj.get_px_size()
        except Exception:  # noqa: BLE001 - an image pdfium cannot measure: ignore it
            continue
        w, h = right - left, top - bottom
        cover = w * h / max(1.0, width * height)
        if w > 0 and h > 0 and cover > best:
            best, dpi = cover, px_w * 72.0 / w
    return dpi if best >= 0.6 else None


def render_dpi(native: Optional[float]) -> int:
    """The resolution to render a scanned page at for OCR.

    The scan's own resolution when it is between OCR_MIN_DPI and OCR_MAX_DPI
    (009 is scanned at 240 dpi: read at 240 it differs from its transcript in
    3.7 % of words, at 300 in 5.5 %: resampling blurs the strokes that tell "ê"
    from "ế"); a smaller one is enlarged by a whole factor (150 -> 300), a
    larger one reduced by one (600 -> 300). Pages without a measurable scan: OCR_DPI.
    """
    if not native or native <= 0:
        return OCR_DPI
    native = round(native)  # 199.98 from a page box rounded in the PDF is a 200-dpi scan
    if native < OCR_MIN_DPI:
        return int(round(native * -(-OCR_MIN_DPI // native)))
    if native > OCR_MAX_DPI:
        return int(round(native / -(-native // OCR_MAX_DPI)))
    return int(round(native))


def ocr_pdf_pages(pdf, numbers: list[int], exe: str, *, dpi: Optional[int] = None, workers: int = OCR_WORKERS,
                  timeout: float = OCR_PAGE_TIMEOUT_S) -> dict[int, OcrPage]:
    """OCR the 1-based pages ``numbers`` of an open pypdfium2 document.

    Each page is rendered at ``dpi`` or, by default, at ``render_dpi`` of its scan's resolution.
    """
    tmp = tempfile.mkdtemp(prefix="kehoach-ocr-")
    results: dict[int, OcrPage] = {}
    futures: dict[int, Future] = {}
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for n in numbers:
                png = os.path.join(tmp, f"p{n:05d}.png")
                try:
                    page = pdf[n - 1]
                    try:
                        page_dpi = dpi or render_dpi(scan_dpi(page))
                        img = page.render(scale=page_dpi / 72.0, grayscale=True).to_pil()
                    finally:
                        page.close()
                except Exception as e:  # noqa: BLE001 - pdfium/PIL on a damaged page: report the page
                    results[n] = OcrPage(n, error=f"cannot render page for OCR ({type(e).__name__}: {e})")
                    continue
                futures[n] = pool.submit(ocr_page_image, exe, img, png, n, page_dpi, timeout)
            for n, fut in futures.items():
                results[n] = fut.result()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def ocr_image_file(path: Path, exe: str, *, workers: int = OCR_WORKERS,
                   timeout: float = OCR_PAGE_TIMEOUT_S,
                   on_error: Optional[Callable[[str], Exception]] = None) -> list[OcrPage]:
    """OCR an image file; a multi-page TIFF gives one OcrPage per frame.

    The resolution is the image's own when it states one, else estimated from
    the width as an A4 page (a 2480-pixel-wide scan is 300 dpi): Tesseract
    guesses 70 dpi otherwise and loses small print.
    """
    from PIL import Image, UnidentifiedImageError

    tmp = tempfile.mkdtemp(prefix="kehoach-ocr-")
    try:
        try:
            img = Image.open(path)
        except (UnidentifiedImageError, OSError, ValueError) as e:
            if on_error:
                raise on_error(f"not a readable image ({type(e).__name__}: {e})") from None
            raise
        with img:
            frames = getattr(img, "n_frames", 1)
            jobs: list[tuple[int, object, str, int]] = []
            for k in range(frames):
                img.seek(k)
                frame = img.convert("L")
                dpi = _image_dpi(img, frame.width)
                if dpi < LOW_DPI:
                    # a small scan (045: ~70 dpi): letters under ~20 px lose their
                    # diacritics in Tesseract; doubling the size recovers some
                    factor = max(1, min(3, round(LOW_DPI / dpi)))
                    frame = frame.resize((frame.width * factor, frame.height * factor), Image.LANCZOS)
                    dpi *= factor
                jobs.append((k + 1, frame, os.path.join(tmp, f"i{k:05d}.png"), dpi))
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futs = [pool.submit(ocr_page_image, exe, frame, png, n, dpi, timeout) for n, frame, png, dpi in jobs]
            return [f.result() for f in futs]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _image_dpi(img, width: int) -> int:
    info = img.info.get("dpi")
    try:
        if info and float(info[0]) >= 70:
            return int(round(float(info[0])))
    except (TypeError, ValueError, IndexError):
        pass
    return max(70, min(1200, int(round(width / 8.27))))
