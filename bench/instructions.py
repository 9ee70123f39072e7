"""Instructions per document for reading and extracting, counted by valgrind (cachegrind).

Wall-clock figures on the 2-core machine vary by up to 25 % between two runs of the
same code (bench/ingest.py; README "Bulk loading"), which hides a 5 % change. An
instruction count does not move between runs, so this is the bench to compare two
versions of the reader or the extractor:

    .venv/bin/python bench/instructions.py --formats txt,docx --n 10

For each format it runs read (or read + extract) of the first document, then of
the first N + 1, each in a fresh Python under ``valgrind --tool=cachegrind
--cache-sim=no``, and prints (I(N + 1) - I(1)) / N: start-up and first-use costs
cancel out. The documents are bench/ingest.py's synthetic corpus (built on first
use). Needs valgrind (Debian: ``apt-get install valgrind``); --n 10 takes about
2.5 minutes per format.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import corpus  # noqa: E402

_CHILD = """
import sys
from kehoach.ingest import read_document
from kehoach.extract import extract_record
stage, files = sys.argv[1], sys.argv[2:]
for f in files:
    source = read_document(f)
    if stage == "extract":
        extract_record(source)
"""


def instructions(stage: str, files: list[Path]) -> int:
    """Instructions valgrind counts for a fresh Python that reads (and extracts) ``files``."""
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
           sys.executable, "-c", _CHILD, stage, *map(str, files)]
    # one hash seed: set and dict orders (and so a few code paths) otherwise move the count by ~1 M
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stderr
    m = re.search(r"I\s+refs:\s+([\d,]+)", out)
    if not m:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{out[-2000:]}")
    return int(m.group(1).replace(",", ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--formats", default="txt,docx", help="comma-separated: txt, docx, pdf")
    ap.add_argument("--n", type=int, default=10, help="documents counted per format (default 10)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("Error: valgrind is not installed — apt-get install valgrind")
    print(f"instructions per document (valgrind cachegrind; synthetic corpus, seed {args.seed}; "
          f"{args.n} documents after the first)")
    for fmt in args.formats.split(","):
        files = sorted(corpus(fmt, max(args.n + 1, 100), args.seed).iterdir())[: args.n + 1]
        per = {}
        for stage in ("read", "extract"):
            first = instructions(stage, files[:1])
            per[stage] = (instructions(stage, files) - first) / args.n
        print(f"  {fmt:5s} read {per['read'] / 1e6:7.1f} M   extract {(per['extract'] - per['read']) / 1e6:7.1f} M"
              f"   (read + extract {per['extract'] / 1e6:.1f} M)")


if __name__ == "__main__":
    main()
