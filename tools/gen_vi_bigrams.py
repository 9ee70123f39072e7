#!/usr/bin/env python3
"""Build kehoach/ingest/data/vi_bigrams.json: syllable and syllable-pair counts of Unicode Vietnamese text.

    .venv/bin/python tools/gen_vi_bigrams.py [--check]

Sources: the documents of ../shared/corpus/real and ../shared/corpus/seeds whose text
is Unicode at source (.docx, .txt, text-layer PDF, Unicode .doc, Word HTML). Left
out: scans and OCR'd pages, legacy-encoded files (their text is our own
conversion), every transcript, and 013's text version (013's scan is OCR'd,
so its text is kept for checking the restorer on unseen text).
Only pairs of well-formed syllables are counted; pairs seen once are kept
(a small corpus), lower-case.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "kehoach" / "ingest" / "data" / "vi_bigrams.json"
SHARED = ROOT.parent / "shared" / "corpus"
HELD_OUT = ("013_",)
_TOKEN = re.compile(r"[^\W\d_]+|\S")


def sources() -> list[Path]:
    out = []
    for d in (SHARED / "real", SHARED / "seeds"):
        for p in sorted(d.iterdir()):
            if p.is_file() and p.suffix.lower() in (".docx", ".txt", ".pdf", ".doc", ".htm", ".html") \
                    and not p.name.startswith(HELD_OUT):
                out.append(p)
    return out


def build() -> dict:
    sys.path.insert(0, str(ROOT))
    from kehoach.ingest import DocumentLoadError, read_document
    from kehoach.ingest.vietnamese import is_syllable

    uni: Counter = Counter()
    bi: Counter = Counter()
    used = []
    for p in sources():
        if p.name.endswith("_scan.pdf") or "scan_" in p.name:
            continue  # a scan: never read here (OCR is slow and its text is not as written)
        try:
            st = read_document(p)
        except DocumentLoadError:
            continue
        if st.encodings or any(pg.method != "text" or pg.note for pg in st.pages):
            continue  # legacy-converted, OCR'd, or a scan's OCR layer: not text as written
        if any(u.stem[4:] == p.stem[4:].replace("_WordHTML", "") for u in used):
            continue  # 032 is 031 saved as HTML: count it once
        used.append(p)
        for line in unicodedata.normalize("NFC", st.text).lower().split("\n"):
            toks = _TOKEN.findall(line)
            prev = None
            for t in toks:
                ok = is_syllable(t)
                if ok:
                    uni[t] += 1
                    if prev:
                        bi[f"{prev} {t}"] += 1
                prev = t if ok else None
    return {"sources": [p.name for p in used],
            "unigrams": dict(sorted(uni.items())), "bigrams": dict(sorted(bi.items()))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="verify the shipped file instead of writing it")
    args = ap.parse_args()
    data = build()
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    if args.check:
        same = OUT.read_text(encoding="utf-8") == text
        print("vi_bigrams.json is up to date" if same else "vi_bigrams.json differs: regenerate it")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"{OUT}: {len(data['unigrams'])} syllables, {len(data['bigrams'])} pairs from {len(data['sources'])} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
