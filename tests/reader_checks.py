"""What every reader's output must be, shared by the reader tests (imported as a plain module: the tests folder
is on the path, and test_formats_agree imports the reader test modules the same way)."""
from __future__ import annotations


def blocks_ok(text: str, blocks) -> None:
    """A reader's blocks: non-empty, in order, inside the text, trimmed, of a known kind."""
    assert blocks
    for b in blocks:
        assert 0 <= b.start < b.end <= len(text)
        assert not text[b.start].isspace() and not text[b.end - 1].isspace(), b
        assert b.kind in ("heading", "paragraph", "item")
    assert all(a.end <= b.start for a, b in zip(blocks, blocks[1:]))
