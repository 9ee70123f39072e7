"""Builders for hostile and broken input files, made at test time from the real fixtures.

Nothing here is clever about the formats: each builder writes what a broken
scanner, a careless export or an attacker would, starting from a real document
where one exists (035 is a real .docx, 016 a real text-layer PDF).
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zipfile
from pathlib import Path
from typing import Callable, Optional

FIXTURES = Path(__file__).parent / "fixtures"
REAL = FIXTURES / "real"
SEEDS = FIXTURES / "seeds"


def real(prefix: str) -> Path:
    (path,) = REAL.glob(f"{prefix}_*")
    return path


def seed(prefix: str) -> Path:
    (path,) = SEEDS.glob(f"{prefix}_*")
    return path


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------
# PDF, with the standard security handler (RC4, revision 2) when asked
# ---------------------------------------------------------------------------

# PDF 32000-1, 7.6.3.3: the padding string for passwords
_PAD = bytes.fromhex("28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def _padded(password: str) -> bytes:
    return (password.encode("latin-1") + _PAD)[:32]


def pdf(pages: list[list[str]], *, user_password: Optional[str] = None,
        owner_password: Optional[str] = None) -> bytes:
    """A PDF whose pages hold the given lines (Helvetica, ASCII).

    With a password the file is encrypted (RC4 40-bit, PDF 1.4 standard handler):
    ``owner_password`` alone leaves the user password empty, so any reader opens
    it (the usual "protected" government PDF); ``user_password`` makes it unreadable
    without the password.
    """
    encrypt = user_password is not None or owner_password is not None
    file_id = hashlib.md5(b"kehoach-test").digest()
    perms = -44  # printing etc. allowed
    if encrypt:
        owner_key = hashlib.md5(_padded(owner_password or user_password or "")).digest()[:5]
        o_entry = _rc4(owner_key, _padded(user_password or ""))
        key = hashlib.md5(_padded(user_password or "") + o_entry + struct.pack("<i", perms) + file_id).digest()[:5]
        u_entry = _rc4(key, _PAD)

    objs: list[bytes] = []

    def add(obj: bytes) -> int:
        objs.append(obj)
        return len(objs)

    def stream(num: int, data: bytes) -> bytes:
        if encrypt:
            data = _rc4(hashlib.md5(key + struct.pack("<i", num)[:3] + b"\0\0").digest()[:10], data)
        return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    contents = []
    for lines in pages:
        ops = [b"BT /F1 11 Tf 60 780 Td 14 TL"]
        for line in lines:
            esc = line.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
            ops.append(b"(" + esc + b") Tj T*")
        ops.append(b"ET")
        num = len(objs) + 1
        contents.append(add(stream(num, b"\n".join(ops))))
    pages_id = len(objs) + len(pages) + 1
    kids = [add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> "
                b"/Contents %d 0 R >>" % (pages_id, font, c)) for c in contents]
    add(b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % len(kids))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    encrypt_id = None
    if encrypt:
        encrypt_id = add(b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P %d /O <%s> /U <%s> >>"
                         % (perms, o_entry.hex().encode(), u_entry.hex().encode()))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    trailer = b"<< /Size %d /Root %d 0 R /ID [<%s> <%s>]" % (len(objs) + 1, catalog, file_id.hex().encode(),
                                                               file_id.hex().encode())
    if encrypt_id:
        trailer += b" /Encrypt %d 0 R" % encrypt_id
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


PLAN_LINES = ["UY BAN NHAN DAN TINH LAO CAI", "So: 12/KH-UBND", "KE HOACH",
              "Trien khai cong tac kiem tra nam 2026",
              "1. So Noi vu chu tri, phoi hop voi cac don vi lien quan thuc hien.",
              "2. Bao cao ket qua truoc ngay 30/6/2026."]


# ---------------------------------------------------------------------------
# .docx
# ---------------------------------------------------------------------------

def rezip(src: Path, change: Callable[[str, bytes], Optional[bytes]]) -> bytes:
    """A copy of a .docx with each part passed through ``change(name, data)`` (None drops the part)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)
    return buf.getvalue()


def _document_xml(fn: Callable[[bytes], bytes]) -> Callable[[str, bytes], bytes]:
    return lambda name, data: fn(data) if name == "word/document.xml" else data


def _first_text_run(xml: bytes, insert: bytes) -> bytes:
    return re.sub(rb"(<w:t(?: [^>]*)?>)", rb"\1" + insert, xml, count=1)


def xxe_docx(canary: Path, pad: int = 0) -> bytes:
    """035 whose document.xml declares an external entity naming ``canary`` and uses it in the text.

    ``pad`` bytes of comment before the DOCTYPE push it past a scanner that only looks at the start.
    """
    def change(xml: bytes) -> bytes:
        decl, rest = xml.split(b"?>", 1)
        doctype = b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "' + canary.resolve().as_uri().encode() + b'">]>'
        comment = b"<!--" + b"x" * pad + b"-->" if pad else b""
        return decl + b"?>" + comment + doctype + _first_text_run(rest, b"&xxe;")
    return rezip(real("035"), _document_xml(change))


def billion_laughs_docx() -> bytes:
    """035 with the classic exponential entity ("billion laughs") in document.xml."""
    entities = b'<!ENTITY a0 "lol">' + b"".join(
        b'<!ENTITY a%d "' % i + b"&a%d;" % (i - 1) * 10 + b'">' for i in range(1, 10))

    def change(xml: bytes) -> bytes:
        decl, rest = xml.split(b"?>", 1)
        return decl + b"?><!DOCTYPE w:document [" + entities + b"]>" + _first_text_run(rest, b"&a9;")
    return rezip(real("035"), _document_xml(change))


def broken_xml_docx() -> bytes:
    return rezip(real("035"), _document_xml(lambda xml: xml[: len(xml) // 2]))


def zip_bomb_docx(megabytes: int = 210) -> bytes:
    """035 whose document.xml is padded with ``megabytes`` MB of blanks: ~200 KB on disk.

    The sizes in the zip are honest; the reader must refuse by them without inflating.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(real("035")) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename != "word/document.xml":
                zout.writestr(info.filename, data)
                continue
            with zout.open(info.filename, "w", force_zip64=True) as fh:
                head, tail = data.rsplit(b"</w:body>", 1)
                fh.write(head)
                block = b" " * (1 << 20)
                for _ in range(megabytes):
                    fh.write(block)
                fh.write(b"</w:body>" + tail)
    return buf.getvalue()


def lying_zip_docx() -> bytes:
    """035 whose document.xml entry declares a smaller size than its data inflates to.

    zipfile trusts the declared size, so the data past it is never inflated and the
    CRC no longer matches: the package is corrupt, not a memory hog.
    """
    data = bytearray(rezip(real("035"), _document_xml(lambda xml: xml + b" " * 5_000_000)))
    name = b"word/document.xml"
    # local header: sig(4) ver(2) flag(2) method(2) time(2) date(2) crc(4) csize(4) usize(4) nlen(2) xlen(2) name
    local = data.find(b"PK\x03\x04")
    while local != -1:
        nlen = struct.unpack_from("<H", data, local + 26)[0]
        if data[local + 30: local + 30 + nlen] == name:
            struct.pack_into("<I", data, local + 22, 1000)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        nlen = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46: central + 46 + nlen] == name:
            struct.pack_into("<I", data, central + 24, 1000)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)
