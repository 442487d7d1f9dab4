"""Decoding a user's text file: UTF-8, GBK/GB18030, Big5 or Windows-1252, never silently wrong.

A CSV saved by a spreadsheet is in whatever encoding the computer uses: UTF-8 (often with a
byte order mark), GBK on a Chinese Windows (GB18030 is its superset), Big5 on a traditional
Chinese one, Windows-1252 on a Western European one. The same bytes can often be decoded in
several of these without an error — GBK's ``日期`` is Windows-1252's ``ÈÕÆÚ`` — so trying
encodings one after the other gives mojibake without a word. :func:`decode_text` instead

1. decodes with ``encoding=`` when it is given (and says where it fails);
2. honours a byte order mark, and takes text that is valid UTF-8 as UTF-8, unless it is just
   as well common Chinese in GBK and not Western text (GBK's ``水位`` is UTF-8's ``ˮλ``);
3. otherwise asks charset-normalizer which of ``_DETECTED`` reads the bytes as the most
   plausible text, leaves out readings that cannot be real text in the encoding's languages
   (kana in Big5, ``‚‹‰•`` in Windows-1252), prefers common simplified Chinese over Latin
   letters that never touch a Latin word (GBK's ``日期`` is Windows-1252's ``ÈÕÆÚ``), and
   refuses when two readings still differ (a short header such as ``t°C``, which is ``t癈`` in
   GBK), or when none reads cleanly (then showing what GB18030 and Big5 make of the bytes).
   The refusal names the file, the encodings tried, what each made of the first line, and the
   ``encoding=`` to pass. Other encodings (Shift-JIS, EUC-KR, ...) need ``encoding=``.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from helpers._kit.errors import DataError

#: Encodings recognised without ``encoding=``, besides UTF-8 (with or without BOM).
_DETECTED = ("gb18030", "big5", "cp1252")

#: Readable names of the encodings, for messages.
NAMES = {"gb18030": "GB18030 (GBK)", "big5": "Big5", "cp1252": "Windows-1252"}

#: Largest "chaos" (charset-normalizer's share of implausible characters) still read as text.
_MAX_CHAOS = 0.05

#: How much more chaos than the best reading a reading may have and still count as a rival.
_TIE = 0.01

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))

# Signs beyond ASCII that Western data files use besides letters.
_LATIN_SIGNS = "°²³µ€£±×"

# Japanese kana, which Chinese text does not use.
_KANA = re.compile(r"[\u3040-\u30ff]")

# An accented letter or a sign of _LATIN_SIGNS next to an ASCII letter or digit: Western text
# (Zürich, °C, m³, 5 €) as opposed to Chinese bytes read in the wrong encoding.
_WESTERN_IN_WORD = re.compile(
    rf"[A-Za-z0-9][\u00c0-\u017f{_LATIN_SIGNS}]|[\u00c0-\u017f{_LATIN_SIGNS}][A-Za-z0-9]"
)

# A Latin letter with an accent next to a plain ASCII letter: how accents appear in words.
_ACCENT_IN_WORD = re.compile(r"[A-Za-z][\u00c0-\u00ff]|[\u00c0-\u00ff][A-Za-z]")


def decode_text(raw: bytes, name: str, encoding: str | None = None) -> str:
    """Decode the bytes of a user's file; refuse rather than guess.

    Parameters
    ----------
    raw : bytes
        The file's content.
    name : str
        How messages name the file, e.g. ``"file 'record.csv'"``.
    encoding : str, optional
        The file's encoding (``"gbk"``, ``"utf-8"``, ``"cp1252"``, ...); ``None`` detects it.

    Returns
    -------
    str

    Raises
    ------
    DataError
        When the bytes are not valid in ``encoding``, or when no encoding reads them with
        confidence; the message names the encodings tried and the ``encoding=`` to pass.
    """
    if encoding is not None:
        return _decode_as(raw, name, encoding)
    for mark, codec in _BOMS:
        if raw.startswith(mark):
            return _decode_as(raw, name, codec)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _detect(raw, name)
    _refuse_chinese_read_as_utf8(raw, text, name)
    return text


def _refuse_chinese_read_as_utf8(raw: bytes, text: str, name: str) -> None:
    """Refuse valid UTF-8 that is just as well common Chinese in GBK, unless it reads as Western.

    Chinese text in UTF-8 has three bytes a character; GBK has two, and some pairs are valid
    UTF-8 too: GBK's ``水位`` is UTF-8's ``ˮλ``. When every character beyond ASCII is a
    two-byte one, the bytes are also common Chinese (GB2312) and no accent or sign such as
    ``°C`` or ``m³`` sits next to a Latin letter or digit (``Zürich``), the file is refused with
    both readings.
    """
    if text.isascii():
        return
    beyond_ascii = [ord(ch) for ch in text if not ch.isascii()]
    if max(beyond_ascii) >= 0x800 or _WESTERN_IN_WORD.search(text):
        return
    try:
        chinese = raw.decode("gb2312")
    except UnicodeDecodeError:
        return
    raise DataError(
        f"cannot tell the encoding of {name}: UTF-8 reads {first_non_ascii_line(text)!r}; "
        f"{NAMES['gb18030']} reads {first_non_ascii_line(chinese)!r}. Pass the right one, "
        "encoding='utf-8' or encoding='gb18030' (encodings tried: UTF-8, GB18030 (GBK))"
    )


def _decode_as(raw: bytes, name: str, encoding: str) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise DataError(
            f"unknown encoding {encoding!r}; use e.g. 'utf-8', 'gbk', 'cp1252'"
        ) from None
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(
            f"{name} is not valid {encoding!r} text: bytes {raw[error.start:error.end]!r} on "
            f"line {line} cannot be decoded; pass the file's real encoding as encoding=..., or "
            "leave encoding out to have it detected"
        ) from None


def _detect(raw: bytes, name: str) -> str:
    """The one plausible reading among ``_DETECTED``, or a refusal that shows the rivals."""
    tried = "UTF-8, " + ", ".join(NAMES[e] for e in _DETECTED)
    matches = [
        match for match in from_bytes(raw, cp_isolation=list(_DETECTED))
        if match.encoding in _DETECTED and match.chaos <= _MAX_CHAOS
        and _plausible(match.encoding, str(match))
    ]
    if not matches:
        raise DataError(
            f"{name} is not text in any of the encodings tried ({tried}) with confidence"
            f"{_strict_readings(raw)}: pass its encoding (e.g. encoding='gb18030' if that "
            "reading is right, encoding='shift_jis', encoding='euc-kr'), or save it as UTF-8"
        )
    best = min(match.chaos for match in matches)
    readings: dict[str, str] = {}
    for match in sorted(matches, key=lambda m: _DETECTED.index(m.encoding)):
        if match.chaos <= best + _TIE:
            readings.setdefault(str(match), match.encoding)
    if len(readings) > 1:
        readings = _prefer_chinese_over_latin(raw, readings)
    if len(readings) > 1:
        shown = "; ".join(
            f"{NAMES[codec]} reads {first_non_ascii_line(text)!r}"
            for text, codec in readings.items()
        )
        options = " or ".join(f"encoding={codec!r}" for codec in readings.values())
        raise DataError(
            f"cannot tell the encoding of {name}: {shown}. Pass the right one, {options} "
            f"(encodings tried: {tried})"
        )
    (codec,) = readings.values()
    return raw.decode(codec)  # the whole file, strictly: an error here would be a bug


def _strict_readings(raw: bytes) -> str:
    """What GB18030 and Big5 make of bytes that detection found no plausible reading for.

    charset-normalizer counts Chinese characters outside its list of about 500 common ones as
    implausible, so a GBK file whose rows repeat a station name (黄河站) can fall here: the
    message then shows the GB18030 reading, for the learner to recognise and pass.
    """
    readings = []
    for codec in ("gb18030", "big5"):
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        readings.append(f"{NAMES[codec]} reads {first_non_ascii_line(text)!r}")
    return f" ({'; '.join(readings)})" if readings else ""


def _plausible(encoding: str, text: str) -> bool:
    """Whether a reading could be real text in that encoding's languages.

    Western text read as Windows-1252 has letters (``é``, ``ü``) and a few signs (``°C``,
    ``m³``) beyond ASCII, not punctuation such as ``‚‹‰•`` (Shift-JIS read as Windows-1252);
    Chinese text read as Big5 has no Japanese kana (GBK read as Big5 has them).
    """
    beyond_ascii = [ch for ch in text if not ch.isascii()]
    if encoding == "cp1252" and beyond_ascii:
        letters = sum(ch.isalpha() or ch in _LATIN_SIGNS for ch in beyond_ascii)
        return letters >= 0.9 * len(beyond_ascii)
    if encoding == "big5":
        return not _KANA.search(text)
    return True


def _prefer_chinese_over_latin(raw: bytes, readings: dict[str, str]) -> dict[str, str]:
    """Drop a Windows-1252 reading of common Chinese whose accents never touch a Latin letter.

    In Western text accents sit inside words (``Zürich``, ``température``); in GBK bytes read
    as Windows-1252 they come in runs of their own (``ÈÕÆÚ``). When the GB18030 reading is one
    of the rivals, every character of it is in GB2312 (the common simplified characters and
    symbols such as ℃), and the Windows-1252 reading has no accent inside a word, the file is
    Chinese. ``°C`` in Windows-1252 is GBK's rare ``癈``, outside GB2312: still refused.
    """
    by_codec = {codec: text for text, codec in readings.items()}
    latin = by_codec.get("cp1252")
    if "gb18030" not in by_codec or latin is None or _ACCENT_IN_WORD.search(latin):
        return readings
    try:
        raw.decode("gb2312")
    except UnicodeDecodeError:
        return readings
    return {text: codec for text, codec in readings.items() if codec != "cp1252"}


def first_non_ascii_line(text: str) -> str:
    """The first line with a non-ASCII character, cut to 60 characters: what a message shows.

    Parameters
    ----------
    text : str
        Decoded text, e.g. a whole file.

    Returns
    -------
    str
        That line, or the start of ``text`` when every line is ASCII.
    """
    for line in text.splitlines():
        if not line.isascii():
            return line[:60]
    return text[:60]
