"""What a scanned page image needs around OCR: its skew, and its ruled tables.

Pure numpy + Pillow, on the page image that goes to Tesseract:

* ``estimate_skew``: the angle that makes the rows of ink sharpest (projection
  profile of a binarised, downsampled page). A page scanned crooked (002 page
  2: ~5 degrees) is rotated before OCR; Tesseract reads almost nothing of it
  otherwise (confidence 39). Small angles are left alone: under a degree
  Tesseract copes, and a rotation resamples every letter.
* ``find_tables``: ruled tables, as cells enclosed by ruling lines. Tesseract's
  page layout reads a table as blocks of lines across cells (009's schedule
  came out as "trước ngày phòng đào tạo trung ... 27/6/2026"); the words it
  finds are put back into their cells by position, so a table reads cell by
  cell, row by row, and reaches the extractor as table cells like a text
  layer's tables. Cells are the regions of background that the ruling lines
  enclose, so merged cells and slightly skewed tables need no grid fitting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

# rotate a page only when it is at least this crooked (degrees)
MIN_DESKEW_DEG = 1.0
MAX_SKEW_DEG = 8.0
# working resolution for skew and ruling detection (pixels per inch)
WORK_DPI = 150
# a ruling line: a straight run of ink at least this long (mm); letters' strokes are shorter
RULE_MIN_MM = 5.0
# a cell: at least this high and wide (mm)
CELL_MIN_MM = 3.0


def otsu_threshold(gray: np.ndarray) -> int:
    """Otsu's threshold of an 8-bit grey image: ink is darker than it."""
    hist = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    p = hist / max(1.0, hist.sum())
    w = np.cumsum(p)
    mu = np.cumsum(p * np.arange(256))
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mu[-1] * w - mu) ** 2 / (w * (1.0 - w))
    between = np.nan_to_num(between)
    return int(np.argmax(between))


def ink_mask(gray: np.ndarray, factor: int = 1) -> np.ndarray:
    """Boolean ink mask, reduced by ``factor`` keeping any ink in a block (thin lines survive)."""
    ink = gray < otsu_threshold(gray)
    if factor > 1:
        h, w = (ink.shape[0] // factor) * factor, (ink.shape[1] // factor) * factor
        ink = ink[:h, :w].reshape(h // factor, factor, w // factor, factor).any(axis=(1, 3))
    return ink


def estimate_skew(img, max_deg: float = MAX_SKEW_DEG) -> float:
    """Angle in degrees (Pillow's sense: positive turns counter-clockwise) that straightens the text lines.

    Args:
        img: a Pillow image of the page.
        max_deg: the largest skew looked for.
    """
    from PIL import Image

    gray = img.convert("L")
    width = min(1000, gray.width)
    small = gray.resize((width, max(1, round(gray.height * width / gray.width))), Image.BILINEAR)
    a = np.asarray(small)
    ink = Image.fromarray(((a < otsu_threshold(a)) * 255).astype(np.uint8))

    def sharpness(angle: float) -> float:
        r = np.asarray(ink.rotate(angle, resample=Image.NEAREST, fillcolor=0), dtype=np.float64)
        rows = r.sum(axis=1)
        return float(np.sum(np.diff(rows) ** 2))

    coarse = np.arange(-max_deg, max_deg + 1e-9, 0.5)
    best = float(coarse[int(np.argmax([sharpness(x) for x in coarse]))])
    fine = np.arange(best - 0.4, best + 0.4 + 1e-9, 0.1)
    return round(float(fine[int(np.argmax([sharpness(x) for x in fine]))]), 1)


def deskew(img, min_deg: float = MIN_DESKEW_DEG):
    """(image, angle): the page rotated straight when it is at least ``min_deg`` crooked, else as it is."""
    from PIL import Image

    angle = estimate_skew(img)
    if abs(angle) < min_deg:
        return img, 0.0
    gray = img.convert("L")
    return gray.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255), angle


# ---- ruled tables ---------------------------------------------------------------------------

def _runs_at_least(mask: np.ndarray, n: int) -> np.ndarray:
    """Pixels of ``mask`` that lie in a horizontal run of at least ``n`` (opening with a 1 x n bar)."""
    if n <= 1:
        return mask.copy()
    h, w = mask.shape
    if w < n:
        return np.zeros_like(mask)
    c = np.zeros((h, w + 1), dtype=np.int32)
    np.cumsum(mask, axis=1, out=c[:, 1:])
    full = (c[:, n:] - c[:, :-n]) == n           # full[:, s]: pixels s .. s+n-1 all ink
    m = full.shape[1]
    f = np.zeros((h, m + 1), dtype=np.int32)
    np.cumsum(full, axis=1, out=f[:, 1:])
    # pixel x is covered when a full window starts in [x-n+1, x]
    x = np.arange(w)
    hi = np.minimum(x, m - 1) + 1
    lo = np.clip(x - n + 1, 0, m)
    cov = (f[:, hi] - f[:, np.minimum(lo, hi)]) > 0
    return cov & mask


def _label_runs(free: np.ndarray) -> tuple[np.ndarray, int]:
    """4-connected components of ``free`` (True pixels), by runs; returns (labels, count), 0 = not free."""
    h, w = free.shape
    labels = np.zeros((h, w), dtype=np.int32)
    parent: list[int] = [0]

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    prev: list[tuple[int, int, int]] = []
    for y in range(h):
        row = free[y]
        d = np.diff(np.concatenate(([0], row.view(np.int8), [0])))
        starts = np.flatnonzero(d == 1)
        ends = np.flatnonzero(d == -1)
        cur: list[tuple[int, int, int]] = []
        j = 0
        for s, e in zip(starts.tolist(), ends.tolist()):
            lab = 0
            while j < len(prev) and prev[j][1] <= s:
                j += 1
            k = j
            while k < len(prev) and prev[k][0] < e:
                other = find(prev[k][2])
                if lab == 0:
                    lab = other
                elif other != lab:
                    a, b = sorted((lab, other))
                    parent[b] = a
                    lab = a
                k += 1
            if lab == 0:
                lab = len(parent)
                parent.append(lab)
            cur.append((s, e, lab))
            labels[y, s:e] = lab
        prev = cur
    roots = np.array([find(i) for i in range(len(parent))], dtype=np.int32)
    uniq, dense = np.unique(roots, return_inverse=True)
    dense = dense.astype(np.int32)  # root 0 -> 0 (it is the smallest)
    return dense[labels], len(uniq) - 1


@dataclass
class Cell:
    row: int
    col: int
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the page image's pixels
    label: int


@dataclass
class Table:
    box: tuple[int, int, int, int]
    cells: list[Cell] = field(default_factory=list)


@dataclass
class TableMap:
    """Ruled tables of one page and a lookup from a point of the page image to its cell."""

    tables: list[Table]
    labels: np.ndarray      # cell label per working-resolution pixel (0: no cell)
    factor: float           # page pixels per working pixel
    ruling: np.ndarray      # ruling-line pixels at working resolution
    cell_of: dict[int, tuple[int, Cell]] = field(default_factory=dict)  # label -> (table index, cell)

    def locate(self, x: float, y: float) -> Optional[tuple[int, Cell]]:
        """(table index, cell) holding page pixel (x, y), or None."""
        yy, xx = int(y / self.factor), int(x / self.factor)
        if not (0 <= yy < self.labels.shape[0] and 0 <= xx < self.labels.shape[1]):
            return None
        return self.cell_of.get(int(self.labels[yy, xx]))

    def on_ruling(self, box: tuple[int, int, int, int]) -> bool:
        """True when a page-pixel box lies mostly on ruling lines (Tesseract reads a rule as "|" or "_")."""
        x0, y0, x1, y1 = (int(v / self.factor) for v in box)
        sub = self.ruling[max(0, y0):max(y0 + 1, y1 + 1), max(0, x0):max(x0 + 1, x1 + 1)]
        return sub.size > 0 and float(sub.mean()) >= 0.2


def find_tables(img, dpi: float) -> TableMap:
    """Ruled tables on a page image (Pillow) scanned at ``dpi``.

    A table is a group of at least two cells enclosed by ruling lines; rows and
    columns are numbered from the cells' top and left edges (a merged cell gets
    the first row and column it covers).
    """
    gray = np.asarray(img.convert("L"))
    factor = max(1, int(round(dpi / WORK_DPI)))
    ink = ink_mask(gray, factor)
    px_per_mm = dpi / factor / 25.4
    n = max(8, int(round(RULE_MIN_MM * px_per_mm)))
    horiz = _runs_at_least(ink, n)
    vert = _runs_at_least(ink.T, n).T
    ruling = horiz | vert
    # close one-pixel gaps where a scan broke a line or a rule meets another
    closed = ruling.copy()
    closed[1:, :] |= ruling[:-1, :]
    closed[:, 1:] |= ruling[:, :-1]
    labels, count = _label_runs(~closed)
    tm = TableMap([], np.zeros_like(labels), float(factor), closed)
    if count == 0:
        return tm
    h, w = labels.shape
    ys, xs = np.nonzero(labels)
    lab = labels[ys, xs]
    order = np.argsort(lab, kind="stable")
    lab, ys, xs = lab[order], ys[order], xs[order]
    bounds = np.flatnonzero(np.diff(lab)) + 1
    min_cell = CELL_MIN_MM * px_per_mm
    cells: list[tuple[int, int, int, int, int]] = []
    for part_y, part_x, part_l in zip(np.split(ys, bounds), np.split(xs, bounds), np.split(lab, bounds)):
        y0, y1, x0, x1 = int(part_y.min()), int(part_y.max()), int(part_x.min()), int(part_x.max())
        if y0 == 0 or x0 == 0 or y1 == h - 1 or x1 == w - 1:
            continue  # touches the page edge: the page around the tables
        bw, bh = x1 - x0 + 1, y1 - y0 + 1
        if bw < min_cell or bh < min_cell or bw > 0.98 * w:
            continue
        if len(part_y) < 0.6 * bw * bh:
            continue  # not a box: a ring of a stamp, the space between strokes of a signature
        cells.append((int(part_l[0]), x0, y0, x1, y1))
    keep = np.zeros(int(labels.max()) + 1, dtype=bool)
    # cells sharing a ruling edge belong to one table: group by overlapping grown boxes
    groups: list[list[tuple[int, int, int, int, int]]] = []
    grow = max(2, int(round(1.5 * px_per_mm)))
    for c in sorted(cells, key=lambda c: (c[2], c[1])):
        hit = [g for g in groups if any(_touch(c, d, grow) for d in g)]
        merged = [c]
        for g in hit:
            merged.extend(g)
            groups.remove(g)
        groups.append(merged)
    for g in groups:
        if len(g) < 2:
            continue
        t = Table((min(c[1] for c in g) * factor, min(c[2] for c in g) * factor,
                   (max(c[3] for c in g) + 1) * factor, (max(c[4] for c in g) + 1) * factor))
        tol = max(2, int(round(2.0 * px_per_mm)))
        rows = _cluster([c[2] for c in g], tol)
        cols = _cluster([c[1] for c in g], tol)
        for lab_id, x0, y0, x1, y1 in g:
            cell = Cell(rows[y0], cols[x0], (x0 * factor, y0 * factor, (x1 + 1) * factor, (y1 + 1) * factor), lab_id)
            t.cells.append(cell)
            keep[lab_id] = True
            tm.cell_of[lab_id] = (len(tm.tables), cell)
        t.cells.sort(key=lambda c: (c.row, c.col))
        tm.tables.append(t)
    tm.tables.sort(key=lambda t: t.box[1])
    tm.labels = np.where(keep[labels], labels, 0)
    # table indices follow the page from the top
    index = {id(t): i for i, t in enumerate(tm.tables)}
    for lab_id, (_, cell) in list(tm.cell_of.items()):
        t = next(t for t in tm.tables if cell in t.cells)
        tm.cell_of[lab_id] = (index[id(t)], cell)
    return tm


def _touch(a, b, grow: int) -> bool:
    return not (a[3] + grow < b[1] or b[3] + grow < a[1] or a[4] + grow < b[2] or b[4] + grow < a[2])


def _cluster(values: list[int], tol: int) -> dict[int, int]:
    """Index of each value's cluster: sorted values closer than ``tol`` to the cluster's first share it."""
    out: dict[int, int] = {}
    k = -1
    start: Optional[int] = None
    for v in sorted(set(values)):
        if start is None or v - start > tol:
            k += 1
            start = v
        out[v] = k
    return out
