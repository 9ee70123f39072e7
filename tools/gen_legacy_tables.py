#!/usr/bin/env python3
"""Generate the legacy Vietnamese encoding tables shipped in kehoach/ingest/data/.

Run once on a machine with glibc ``iconv`` and GNU ``recode`` (Debian: apt-get
install recode); the JSON it writes is committed, so kehoach itself never needs
either tool. Re-run only to audit or extend the tables:

    python3 tools/gen_legacy_tables.py            # rewrite the two JSON files
    python3 tools/gen_legacy_tables.py --check    # exit 1 if the shipped files differ

Word keeps text typed in an 8-bit "Vietnamese" font (.VnTime, VNI-Times) as the
Windows-1252 characters of its bytes, so a table maps *the character as it
appears in the file* (byte decoded as cp1252) to the Vietnamese letter.

TCVN3 (TCVN 5712:1993 VN3, the .VnTime/.VnTimeH fonts): one byte per letter.
glibc's TCVN5712-1 is VN1, a superset that also puts upper-case toned letters in
0x01-0x17 and 0x80-0x9F; VN3 fonts draw ordinary quotes and dashes there
(0x96 "–" in 026), so only 0xA1-0xFF is taken. 0xB0-0xB4 are VN1's combining
tone marks, which VN3 fonts do not use ("25°C" must stay), so they are left out.

VNI (VNI-Windows, the VNI-Times/VNI-Helve fonts): a vowel byte followed by a
modifier byte ("aù" = á, "Ñoäc" = Độc), plus single-byte letters (ñ = đ,
ô = ơ, ö = ư, ò = ị, ó = ĩ, æ = ỉ, î = ỵ). recode's VNI decodes the pairs; its
lone bytes 0xA0-0xDF follow the DOS variant (0xA9 "©" would become "ẹ"), so the
single-byte letters are taken only for the VNI-Windows positions listed below.
recode swaps breve+acute and breve+grave after an upper-case A ("AÈ" gives Ắ,
while "aè" gives ằ); upper-case modifiers are the lower-case ones minus 0x20,
so upper-case pairs are derived from the lower-case ones and the disagreement
is printed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import unicodedata
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "kehoach" / "ingest" / "data"

# VNI-Windows single-byte letters (positions, not values: values come from recode)
VNI_SINGLE_BYTES = [0xD1, 0xF1, 0xD4, 0xF4, 0xD6, 0xF6, 0xD2, 0xF2, 0xD3, 0xF3, 0xC6, 0xE6, 0xCE, 0xEE]
VNI_BASES = "aeiouyAEIOUY" + "\xf4\xf6\xd4\xd6"  # plain vowels and ô/ö (ơ/ư) which take tone bytes


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def _iconv_byte(b: int) -> str:
    out = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=bytes([b]),
                         capture_output=True, check=True).stdout
    return nfc(out.decode("utf-8"))


def _recode(items: list[str]) -> list[str]:
    """Decode each latin-1 string as VNI with one recode call (one item per line)."""
    data = ("\n".join(items) + "\n").encode("latin-1")
    out = subprocess.run(["recode", "VNI..UTF-8"], input=data, capture_output=True, check=True).stdout
    res = out.decode("utf-8").split("\n")[: len(items)]
    assert len(res) == len(items), "recode output does not line up with its input"
    return [nfc(r) for r in res]


def tcvn3_table() -> dict:
    mapping = {}
    for b in range(0xA1, 0x100):
        if 0xB0 <= b <= 0xB4:
            continue
        ch = bytes([b]).decode("cp1252")
        uni = _iconv_byte(b)
        if uni != ch:
            mapping[ch] = uni
    return {
        "encoding": "tcvn3",
        "source": "glibc iconv TCVN5712-1, bytes 0xA1-0xFF without 0xB0-0xB4 (tools/gen_legacy_tables.py)",
        "fonts": "names starting with '.Vn' (.VnTime, .VnTimeH, .VnArial), VnTimeH(Ds)-style names, VNSTCVN3",
        # seen in PDFs whose text layer keeps TCVN3 bytes through a font's glyph names
        # (030 read by pdfminer: U+2212 MINUS SIGN where the byte 0xAD is ư, U+2219 for 0xB8 ã);
        # pdfium takes 0xAD before a space for a soft hyphen at a break and returns U+FFFE
        # in place of both ("®Çu t\ufffecßn" = "đầu tư còn", 030 pages 7, 15, 26)
        "pdf_glyph_aliases": {"\u2212": "ư", "\u2219": "ã", "\ufffe": "ư "},
        "map": mapping,
        "examples": [["Céng hßa x· héi chñ nghÜa ViÖt Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam"],
                     ["§éc lËp - Tù do - H¹nh phóc", "Độc lập - Tự do - Hạnh phúc"],
                     ["b\u00adíc tiÕn míi", "bước tiến mới"]],
    }


def vni_table() -> dict:
    lower_mods = [chr(m) for m in range(0xE0, 0x100)]
    pairs_in = [b + m for b in "aeiouy\xf4\xf6" for m in lower_mods]
    pairs_out = _recode(pairs_in)
    pairs = {i: o for i, o in zip(pairs_in, pairs_out) if len(o) == 1 and o != i and o.isalpha()}
    mods = sorted({k[1] for k in pairs})
    # upper-case: base and/or modifier upper-case; value cased like the base
    derived: dict[str, str] = {}
    for k, v in pairs.items():
        b, m = k
        for bb in {b, b.upper()}:
            for mm in {m, m.upper()}:
                derived[bb + mm] = v.upper() if bb.isupper() else v
    check_in = [k for k in derived if k not in pairs]
    check_out = _recode(check_in)
    for k, o in zip(check_in, check_out):
        if len(o) == 1 and o != derived[k]:
            print(f"recode disagrees: {k!r} -> {o!r}, derived {derived[k]!r}", file=sys.stderr)
    singles_in = [chr(b) for b in VNI_SINGLE_BYTES]
    singles = {i: o for i, o in zip(singles_in, _recode(singles_in)) if o != i}
    return {
        "encoding": "vni",
        "source": "GNU recode VNI: vowel+modifier pairs and VNI-Windows single-byte letters "
                  "(tools/gen_legacy_tables.py)",
        "fonts": "names starting with 'VNI-' or 'VNI ' (VNI-Times, VNI-Helve), VNS...VNI... (VNSVNI2)",
        "modifiers": "".join(mods) + "".join(m.upper() for m in mods),
        "pairs": dict(sorted(derived.items())),
        "singles": dict(sorted(singles.items())),
        "examples": [["COÄNG HOAØ XAÕ HOÄI CHUÛ NGHÓA VIEÄT NAM", "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
                     ["Ñoäc laäp - Töï do - Haïnh phuùc", "Độc lập - Tự do - Hạnh phúc"],
                     ["Quyeát ñònh soá 991/QÑ-UBND", "Quyết định số 991/QĐ-UBND"]],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the shipped files instead of writing")
    args = ap.parse_args()
    ok = True
    for name, table in (("legacy_tcvn3.json", tcvn3_table()), ("legacy_vni.json", vni_table())):
        text = json.dumps(table, ensure_ascii=False, indent=1) + "\n"
        path = DATA / name
        if args.check:
            same = path.exists() and path.read_text(encoding="utf-8") == text
            print(f"{name}: {'same' if same else 'DIFFERS'}")
            ok &= same
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
