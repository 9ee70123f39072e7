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
class OcrPage:
    number: int
    paragraphs: list[list[str]] = field(default_factory=list)  # paragraphs of lines
    confidence: Optional[float] = None                         # mean word confidence, 0-100
    error: Optional[str] = None

    @property
    def text(self) -> str:
        return "\n\n".join("\n".join(p) for p in self.paragraphs)


def parse_tsv(tsv: str, number: int = 1) -> OcrPage:
    """Lines, paragraphs and mean confidence from Tesseract's TSV output."""
    page = OcrPage(number)
    rows = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    lines: dict[tuple[int, int, int, int], list[str]] = {}
    order: list[tuple[int, int, int, int]] = []
    confs: list[tuple[float, int]] = []
    for row in rows:
        if row.get("level") != "5":
            continue
        word = (row.get("text") or "").strip()
        if not word:
            continue
        try:
            key = (int(row["page_num"]), int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
            conf = float(row["conf"])
        except (KeyError, ValueError, TypeError):
            continue
        if key not in lines:
            lines[key] = []
            order.append(key)
        lines[key].append(word)
        if conf >= 0:
            confs.append((conf, len(word)))
    para: Optional[tuple[int, int, int]] = None
    for key in order:
        if key[:3] != para:
            page.paragraphs.append([])
            para = key[:3]
        page.paragraphs[-1].append(" ".join(lines[key]))
    if confs:
        total = sum(n for _, n in confs)
        page.confidence = sum(c * n for c, n in confs) / total  # per character: long words weigh more
    return page


def run_tesseract(exe: str, image: str, number: int, timeout: float = OCR_PAGE_TIMEOUT_S,
                  dpi: Optional[int] = OCR_DPI, lang: str = OCR_LANG) -> OcrPage:
    """OCR one image file (a path under our own temporary folder)."""
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
    return parse_tsv(proc.stdout.decode("utf-8", "replace"), number)


def ocr_pdf_pages(pdf, numbers: list[int], exe: str, *, dpi: int = OCR_DPI, workers: int = OCR_WORKERS,
                  timeout: float = OCR_PAGE_TIMEOUT_S) -> dict[int, OcrPage]:
    """OCR the 1-based pages ``numbers`` of an open pypdfium2 document."""
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
                        bitmap = page.render(scale=dpi / 72.0, grayscale=True)
                        bitmap.to_pil().save(png)
                    finally:
                        page.close()
                except Exception as e:  # noqa: BLE001 - pdfium/PIL on a damaged page: report the page
                    results[n] = OcrPage(n, error=f"cannot render page for OCR ({type(e).__name__}: {e})")
                    continue
                futures[n] = pool.submit(run_tesseract, exe, png, n, timeout, dpi)
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
            jobs: list[tuple[int, str, int]] = []
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
                png = os.path.join(tmp, f"i{k:05d}.png")
                frame.save(png, dpi=(dpi, dpi))
                jobs.append((k + 1, png, dpi))
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futs = [pool.submit(run_tesseract, exe, png, n, timeout, dpi) for n, png, dpi in jobs]
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
