"""Bytes -> text, refusing input that is not text rather than reading garbage."""
from __future__ import annotations

import codecs

from ..model import GapcheckError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_bytes(data: bytes, name: str, encoding: str | None = None) -> str:
    return decode_detect(data, name, encoding)[0]


def decode_detect(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding used): the declared encoding; else a BOM (UTF-8/16/32); else UTF-8; else, for a text
    that is not UTF-8 but reads as a legacy Windows/Latin-1 text (no control bytes, its non-ASCII bytes
    letters or cp1252 typographic marks), cp1252, reported as "cp1252 (detected)". Anything else is refused
    with the advice to give --encoding."""
    used = encoding
    if encoding:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise GapcheckError(f"{name}: unknown encoding '{encoding}'") from None
        except UnicodeDecodeError as e:
            raise GapcheckError(f"{name}: not valid {encoding} at byte {e.start}") from None
    else:
        for bom, codec in _BOMS:
            if data.startswith(bom):
                try:
                    text = data.decode(codec)
                except UnicodeDecodeError as e:
                    raise GapcheckError(f"{name}: not valid {codec} at byte {e.start}") from None
                used = codec.replace("-sig", "")
                break
        else:
            if b"\x00" in data[:8192]:
                raise GapcheckError(f"{name}: binary data, not a text policy")
            try:
                text = data.decode("utf-8")
                used = "utf-8"
            except UnicodeDecodeError as e:
                text = _legacy(data)
                if text is None:
                    raise GapcheckError(
                        f"{name}: not valid UTF-8 at byte {e.start} (give the encoding with --encoding, e.g. cp1252)"
                    ) from None
                used = "cp1252 (detected)"
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise GapcheckError(f"{name}: empty policy (no text)")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if controls > max(8, len(text[:8192]) // 100):
        raise GapcheckError(f"{name}: binary data, not a text policy")
    return text, used or "utf-8"


def _legacy(data: bytes) -> str | None:
    """cp1252 text, when the bytes look like it: every byte above 0x7F is defined in cp1252 (typographic
    quotes and dashes, Latin-1 letters and signs), and they are at most a tenth of the text: a legacy English or
    Western European policy, not a text in another script's legacy encoding (where most letters are high
    bytes) nor binary data."""
    high = [b for b in data if b > 0x7F]
    if not high or len(high) > len(data) // 10:
        return None
    if any(b in b"\x81\x8d\x8f\x90\x9d" for b in high):  # undefined in cp1252
        return None
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # pragma: no cover - the undefined bytes are excluded above
        return None
