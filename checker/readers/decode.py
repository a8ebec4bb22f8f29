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
                break
        else:
            if b"\x00" in data[:8192]:
                raise GapcheckError(f"{name}: binary data, not a text policy")
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as e:
                raise GapcheckError(
                    f"{name}: not valid UTF-8 at byte {e.start} (give the encoding with --encoding, e.g. cp1252)"
                ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise GapcheckError(f"{name}: empty policy (no text)")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if controls > max(8, len(text[:8192]) // 100):
        raise GapcheckError(f"{name}: binary data, not a text policy")
    return text
