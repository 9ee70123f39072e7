"""Memory of one extracting process over many documents: spaCy's vocabulary with and without renewal.

    .venv/bin/python bench/vocab.py              # 3,000 documents, 150 new word forms each
    .venv/bin/python bench/vocab.py --docs 10000

spaCy's tokenizer keeps every word form it meets (~620 bytes each) and never drops one. A real
archive brings new forms in every plan: numbers, dates, codes and words with punctuation attached
("2026;", "12/KH-UBND"), ~3 % of the tokens even after thousands of plans. The documents here are
SYNTHETIC: the seed and real .txt fixtures, each copy with a line of forms no other copy has
(``--new`` per document). The same documents are extracted twice in fresh processes: with the
pipeline renewed past ``kehoach.extract.pipeline.MAX_VOCAB`` entries (what kehoach does), and with
renewal switched off (the vocabulary grows without end). Prints the resident memory after each
1,000 documents and the time per document.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BASES = sorted((ROOT / "tests" / "fixtures" / "seeds").glob("*.txt")) \
    + sorted((ROOT / "tests" / "fixtures" / "real").glob("*.txt"))


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def run(docs: int, new: int, renew: bool) -> None:
    from kehoach.extract import extract_record, pipeline
    from kehoach.ingest.text import source_from_text

    if not renew:
        pipeline.MAX_VOCAB = 10**12
    texts = [p.read_text(encoding="utf-8") for p in BASES]
    extract_record(source_from_text(texts[0]))
    start = rss_mb()
    t = time.perf_counter()
    for i in range(docs):
        codes = " ".join(f"{i * new + j}/HS-{i % 97};" for j in range(new))
        extract_record(source_from_text(texts[i % len(texts)] + "\nMã hồ sơ: " + codes))
        if (i + 1) % 1000 == 0 or i + 1 == docs:
            print(f"  {i + 1:6d} docs: RSS {rss_mb():6.0f} MB (+{rss_mb() - start:.0f}), "
                  f"vocabulary {len(pipeline.get_nlp().vocab):,} entries", flush=True)
    print(f"  {1000 * (time.perf_counter() - t) / docs:.1f} ms/doc")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--new", type=int, default=150, help="new word forms per document (default 150)")
    ap.add_argument("--one", choices=["renew", "grow"], help=argparse.SUPPRESS)  # the child process
    a = ap.parse_args()
    if a.one:
        run(a.docs, a.new, a.one == "renew")
        return
    print(f"{a.docs} SYNTHETIC documents, {a.new} new word forms each, one process")
    for mode, label in (("renew", "pipeline renewed past MAX_VOCAB (kehoach)"),
                        ("grow", "never renewed (spaCy's default)")):
        print(label)
        subprocess.run([sys.executable, __file__, "--docs", str(a.docs), "--new", str(a.new), "--one", mode],
                       check=True)


if __name__ == "__main__":
    main()
