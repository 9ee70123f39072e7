#!/usr/bin/env python3
"""Read every file of a corpus folder and print its route, outcome and transcript difference.

    .venv/bin/python tools/formats_report.py [CORPUS_DIR] [--no-extract] [--json OUT]

CORPUS_DIR defaults to ../shared/corpus/real. A file with a transcript in
CORPUS_DIR/transcripts/ (same stem; "045-046_x.txt" covers 045_x and 046_x read
one after the other) gets its word-level difference: substitutions, deletions
and insertions of words (NFC, case-folded, punctuation ignored) over the
transcript's words. Targets (issue 4): legacy encodings <= 1 %, scans <= 8 %.
"Without those" leaves out differences that are not reading errors: words
split by stray spaces in a transcript, list numbers Word draws that a
transcript lacks, Word field codes a transcript kept, passages placed
elsewhere (text boxes). The table is
docs/formats.md's; regenerate it with this script.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wordiff import word_diff_detail  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "real"
SKIP = {"SOURCES.tsv", "TEXT_SOURCES.tsv"}


def transcripts(corpus: Path) -> dict[str, tuple[Path, list[str]]]:
    """transcript -> the file prefixes ("045", "046") it covers, keyed by transcript name."""
    out: dict[str, tuple[Path, list[str]]] = {}
    tdir = corpus / "transcripts"
    if not tdir.is_dir():
        return out
    for t in sorted(tdir.glob("*.txt")):
        m = re.match(r"^(\d{3})(?:-(\d{3}))?_", t.name)
        if not m:
            continue
        a = int(m.group(1))
        b = int(m.group(2) or m.group(1))
        out[t.name] = (t, [f"{k:03d}" for k in range(a, b + 1)])
    return out


def route_of(st) -> str:
    methods = sorted({p.method for p in st.pages})
    r = st.route or st.format
    if st.encodings:
        r += f" ({'/'.join(st.encodings)})"
    if methods and methods != ["text"]:
        counts = {m: sum(1 for p in st.pages if p.method == m) for m in methods}
        r += " [" + ", ".join(f"{m} {c}p" for m, c in counts.items()) + "]"
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--no-extract", action="store_true", help="only read, do not run the extractor")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = ap.parse_args()

    from kehoach.ingest import DocumentLoadError, read_document
    from kehoach.ingest import doc as doc_reader

    files = sorted(p for p in args.corpus.iterdir() if p.is_file() and p.name not in SKIP)
    doc_reader.read_ahead(files)
    texts: dict[str, str] = {}
    rows = []
    for f in files:
        t0 = time.perf_counter()
        row = {"file": f.name, "route": "", "outcome": "", "seconds": 0.0, "ocr_conf": None}
        try:
            st = read_document(f)
        except DocumentLoadError as e:
            row["outcome"] = f"error ({e.stage}): {e.reason}"
            row["seconds"] = round(time.perf_counter() - t0, 2)
            rows.append(row)
            continue
        row["seconds"] = round(time.perf_counter() - t0, 2)
        texts[f.name[:3]] = texts.get(f.name[:3], "") + "\n" + st.text
        row["route"] = route_of(st)
        confs = [p.confidence for p in st.pages if p.confidence is not None]
        row["ocr_conf"] = round(sum(confs) / len(confs), 1) if confs else None
        outcome = f"{len(st.text)} chars"
        if not args.no_extract:
            from kehoach.extract import extract_record

            rec = extract_record(st)
            outcome += f"; {rec.doc_type or '?'} {rec.number or ''}".rstrip()
        if st.warnings:
            outcome += f"; {len(st.warnings)} warning(s): {st.warnings[0][:80]}"
        row["outcome"] = outcome
        rows.append(row)

    diffs = []
    for name, (tpath, prefixes) in transcripts(args.corpus).items():
        if not all(p in texts for p in prefixes):
            diffs.append({"transcript": name, "files": prefixes, "errors": None, "words": None, "wer": None})
            continue
        hyp = "\n".join(texts[p] for p in prefixes)
        d = word_diff_detail(hyp, tpath.read_text(encoding="utf-8"))
        n = d["words"]
        diffs.append({"transcript": name, "files": prefixes, **d,
                      "wer": round(100.0 * d["errors"] / n, 2) if n else None,
                      "wer_adjusted": round(100.0 * d["adjusted"] / n, 2) if n else None})

    print("| file | route | outcome | s | OCR conf |")
    print("|---|---|---|---:|---:|")
    for r in rows:
        conf = "" if r["ocr_conf"] is None else f"{r['ocr_conf']:.0f}"
        print(f"| {r['file']} | {r['route']} | {r['outcome']} | {r['seconds']:.1f} | {conf} |")
    print()
    print("| transcript | files | words | word errors | difference | of which spacing / list numbers / "
          "field codes / moved | difference without those |")
    print("|---|---|---:|---:|---:|---|---:|")
    for d in diffs:
        if d["wer"] is None:
            print(f"| {d['transcript']} | {', '.join(d['files'])} | | | not read | | |")
            continue
        print(f"| {d['transcript']} | {', '.join(d['files'])} | {d['words']} | {d['errors']} | {d['wer']:.2f} % "
              f"| {d['spacing']} / {d['labels']} / {d['fields']} / {d['moved']} | {d['wer_adjusted']:.2f} % |")
    if args.json:
        args.json.write_text(json.dumps({"files": rows, "transcripts": diffs}, ensure_ascii=False, indent=1),
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
