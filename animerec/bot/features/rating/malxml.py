"""Reading a MyAnimeList anime list export (XML, optionally gzipped as MAL serves it).

Untrusted input: parsed with defusedxml (no DTDs, so no entity expansion bombs and no external
references), and bounded in size before and after decompression.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

MAX_BYTES = 5 * 1024 * 1024  # an entry exports to about 860 bytes uncompressed: 5 MB is about 6,000 titles
LIST_SIZE = "about 6,000 titles"  # what MAX_BYTES holds, in the member's terms
EXPORT_PAGE = "myanimelist.net/panel.php?go=export"
_ENCODING = re.compile(rb"\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)")
# What an export starts with once a byte-order mark and white space are stripped: XML's "<".
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
GZIP_MAGIC = b"\x1f\x8b"


class MalImportError(ValueError):
    """The file cannot be imported; the message is meant for the member."""


@dataclass(frozen=True)
class MalEntry:
    anime_id: int
    title: str
    score: int  # 0 = no score
    status: str  # as exported: "Completed", "Watching", "Plan to Watch", ... (lowercased)


def _text(node, tag: str) -> str:
    child = node.find(tag)
    return (child.text or "").strip() if child is not None else ""


def _is_count(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _decompress(data: bytes) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            out = f.read(MAX_BYTES + 1)  # bounded: a small gzip can expand to gigabytes
    except (OSError, EOFError, zlib.error):
        raise MalImportError("the file looks gzipped but cannot be decompressed") from None
    if len(out) > MAX_BYTES:
        raise MalImportError(f"the export is larger than {MAX_BYTES // 1024 // 1024} MB once decompressed "
                             f"({LIST_SIZE}), more than I can take")
    return out


def _declared_encoding(data: bytes) -> str:
    """The encoding the XML declaration names, lowercased; "" for none."""
    found = _ENCODING.match(data)
    return found[1].decode("ascii", "replace").lower() if found else ""


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def parse_mal_export(data: bytes) -> tuple[list[MalEntry], int]:
    """The entries of an export and how many <anime> elements were malformed (no usable id/score)."""
    if len(data) > MAX_BYTES:
        raise MalImportError(f"the file is larger than {MAX_BYTES // 1024 // 1024} MB ({LIST_SIZE}), more than I "
                             "can take")
    if data.startswith(GZIP_MAGIC):
        data = _decompress(data)
    head = data
    for bom in _BOMS:
        head = head.removeprefix(bom)
    head = head.lstrip(b" \t\r\n\x00")[:1]  # UTF-16 text has a NUL beside each ASCII byte
    if not head:
        raise MalImportError(f"the file is empty: export your list at {EXPORT_PAGE}")
    if not head.startswith(b"<"):
        # A picture, a PDF, a CSV or a web page saved as text: "not well-formed XML (line 1, column 0)" said nothing.
        raise MalImportError(f"that is not an XML file: a MyAnimeList export is the .xml.gz (or .xml) file from "
                             f"{EXPORT_PAGE}")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise MalImportError("the file declares a DTD or entities, which a MyAnimeList export never does") from None
    except ParseError as exc:
        line, column = exc.position
        if _declared_encoding(data) in ("", "utf-8", "utf8") and b"\x00" not in data[:64] and not _utf8(data):
            # Saved again by an editor in another encoding (Windows-1252): the bytes, not the XML, are wrong.
            raise MalImportError("the file is not UTF-8 text, as a MyAnimeList export is (was it saved again in "
                                 f"another encoding?): export it again at {EXPORT_PAGE}") from None
        raise MalImportError(f"the file is not well-formed XML (line {line}, column {column})") from None
    except (LookupError, ValueError):  # an encoding the parser does not know (encoding="x-bogus"), or cannot read
        raise MalImportError("the file declares a text encoding I cannot read (a MyAnimeList export is UTF-8)") from None
    if root.tag != "myanimelist":
        raise MalImportError(f"this is not a MyAnimeList export (it starts with <{root.tag[:40]}>)")
    entries, malformed = [], 0
    for node in root.iter("anime"):
        anime_id, score = _text(node, "series_animedb_id"), _text(node, "my_score") or "0"
        if not (_is_count(anime_id) and _is_count(score) and len(anime_id) <= 9 and int(anime_id) > 0
                and int(score) <= 10):
            malformed += 1
            continue
        entries.append(MalEntry(int(anime_id), _text(node, "series_title"), int(score),
                                _text(node, "my_status").lower()))
    if not entries and not malformed:
        raise MalImportError("the export lists no anime")
    return entries, malformed
