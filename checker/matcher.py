"""The pattern language, compiled once per pack and run over a Document.

Nodes (YAML keys): `phrase`, `terms`, `regex`, `date` (leaves); `any`, `all`, `near`, `not`, `heading` (combinators);
`ref` (a named definition, resolved at compile time). Any node may carry `scope` to widen the text it is
evaluated over (sentence < paragraph < section < document), e.g. "a rights word anywhere in the paragraph".

A node evaluated over a unit returns None (no match) or a list of (start, end) spans that matched, used
for highlighting; `not` and `heading` match with no spans of their own.
Leaves run once per document over the whole normalised text (`Doc.hits`), so evaluating a unit is a
bisect into sorted hit lists: cost is linear in the document size and the number of leaves.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date
from typing import Sequence

from .dates import PATTERN as DATE_PATTERN, parse_date
from .document import normalise
from .model import Document

Span = tuple[int, int]
SCOPES = ("sentence", "paragraph", "section", "document")

_FLAGS = int(re.I | re.M)  # a plain int: the stdlib compiler is much slower with RegexFlag enum values
_BACKREF = re.compile(r"\\[1-9]|\(\?P=")


class PatternError(ValueError):
    """A pattern that cannot be compiled; packs.py adds the file and line."""


def phrase_regex(phrase: str) -> str:
    """A phrase: case-insensitive words, word-bounded; whitespace/hyphens between words are interchangeable.

    `word*` matches any ending (delet* -> delete, deletion); `word?` makes the word optional; a `?` inside a
    word stands for any one letter (organi?ation -> organisation, organization); plain words also match simple
    plural and possessive endings (right -> rights, user -> user's).
    """
    words = normalise(phrase).split()
    if not words:
        raise PatternError("empty phrase")
    parts: list[tuple[str, bool]] = []
    for w in words:
        optional = w.endswith("?") and len(w) > 1
        if optional:
            w = w[:-1]
        wild = w.endswith("*") and len(w) > 1
        body = re.escape(w[:-1] if wild else w).replace(r"\-", r"[\s-]*").replace(r"\?", r"\w")
        if wild:
            body += r"[\w'-]*"
        elif w[-1:].isalpha() and len(w) >= 3:
            body += r"(?:'s|s|es)?"
        parts.append((body, optional))
    sep = r"[\s*_-]+"
    out = ""
    for i, (body, optional) in enumerate(parts):
        if i == 0:
            out = f"(?:{body}{sep})?" if optional else body
        elif optional:
            out += f"(?:{sep}{body})?"
        elif i == 1 and parts[0][1]:
            out += body  # the optional first word already took its separator
        else:
            out += sep + body
    first, last = words[0].rstrip("?"), words[-1].rstrip("?")
    lead = r"(?<![\w])" if re.match(r"\w", first) else ""
    tail = r"(?![\w])" if re.search(r"[\w*]$", last) else ""
    return lead + out + tail


_FIRST_TOKEN = re.compile(r"\w+")


def phrase_keys(phrase: str) -> tuple[set[str], set[str]] | None:
    """Index keys for a phrase: the lower-case word tokens it can start with (exact keys) and the prefixes a
    wildcard first word allows. None when the phrase cannot start at a word token (then the whole text is
    scanned)."""
    words = normalise(phrase).split()
    exact: set[str] = set()
    prefixes: set[str] = set()
    for w in words:
        optional = w.endswith("?") and len(w) > 1
        core = w[:-1] if optional else w
        wild = core.endswith("*") and len(core) > 1
        core = core[:-1] if wild else core
        m = _FIRST_TOKEN.match(core)
        if not m:
            return None
        first = m.group().lower()
        if "?" in core[m.end():m.end() + 1]:  # organi?ation: any word starting "organi"
            prefixes.add(first)
        elif wild and m.end() == len(core):
            prefixes.add(first)
        elif wild and "-" in core:  # e-mail* -> "e mail...", "e-mailing", "emailing"
            exact.add(first)
            prefixes.add(re.sub(r"[\s-]+", "", core.lower()))
        else:
            exact.add(first)
            if "-" in core:
                exact.add(re.sub(r"[\s-]+", "", core.lower()))
                exact.add(re.sub(r"[\s-]+", "", core.lower()) + "s")
            if m.end() == len(core) and core[-1:].isalpha() and len(core) >= 3:
                exact.update({first + "s", first + "es"})
        if not optional:
            return exact, prefixes
    return None  # every word optional


def _unbounded_repeat_nesting(parsed, inside_unbounded: bool = False) -> bool:
    """True when an unbounded repeat (*, +, {n,}) encloses another repeat of something that can vary in
    length: the shape of (a+)+ and ((a+)b?)+ at any depth, which backtracks exponentially on a near miss."""
    from re import _constants as c  # noqa: PLC0415 - the stdlib's own regex parse tree

    for op, av in parsed:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            lo, hi, sub = av
            unbounded = hi == c.MAXREPEAT
            if inside_unbounded and lo != hi:
                return True
            if _unbounded_repeat_nesting(sub, inside_unbounded or unbounded):
                return True
        elif op == c.SUBPATTERN:
            if _unbounded_repeat_nesting(av[-1], inside_unbounded):
                return True
        elif op == c.BRANCH:
            if any(_unbounded_repeat_nesting(b, inside_unbounded) for b in av[1]):
                return True
        elif op in (c.ASSERT, c.ASSERT_NOT):
            if _unbounded_repeat_nesting(av[1], inside_unbounded):
                return True
    return False


def regex_prefixes(tree: list) -> tuple[tuple[str, ...] | None, bool]:
    """The lower-case word beginnings that every match of `source` starts with, read off its parse tree:
    `\\b(?:do|does)\\s+not` -> ('do', 'does'). (None, _) when some match could start otherwise. The flag says
    whether a match may start inside a word (no leading \\b)."""
    from re import _constants as c  # noqa: PLC0415

    def starts(items) -> set[str] | None:
        items = list(items)
        i = 0
        while i < len(items) and items[i][0] == c.AT:
            i += 1
        if i == len(items):
            return None
        op, av = items[i]
        if op == c.LITERAL:
            word = ""
            while i < len(items) and items[i][0] == c.LITERAL and chr(items[i][1]).isalnum():
                word += chr(items[i][1]).lower()
                i += 1
            return {word} if len(word) >= 2 else None
        if op == c.SUBPATTERN:
            return starts(av[-1])
        if op == c.BRANCH:
            out: set[str] = set()
            for branch in av[1]:
                got = starts(branch)
                if got is None:
                    return None
                out |= got
            return out
        return None

    bounded = bool(tree) and tree[0][0] == c.AT and tree[0][1] == c.AT_BOUNDARY
    got = starts(tree)
    return (tuple(sorted(got)) if got else None), not bounded


def check_regex(source: str) -> tuple[list, re.Pattern]:
    """Parse, vet and compile a rule's regex; returns its parse tree and the compiled pattern."""
    from re import _parser  # noqa: PLC0415

    try:
        tree = _parser.parse(source, _FLAGS)
    except re.error as e:
        raise PatternError(f"bad regex '{source}': {e}") from None
    if _unbounded_repeat_nesting(tree):
        raise PatternError(f"regex '{source}' has a nested quantifier (catastrophic backtracking); rewrite it")
    if _BACKREF.search(source):
        raise PatternError(f"regex '{source}' uses a backreference, which is not allowed")
    try:
        try:  # compile the tree already parsed (the stdlib's own compiler entry point) rather than parse twice
            from re import _compiler  # noqa: PLC0415

            compiled = _compiler.compile(tree, _FLAGS)
        except (ImportError, AttributeError, TypeError):  # pragma: no cover - another Python's internals
            compiled = re.compile(source, _FLAGS)
        return list(tree), compiled
    except re.error as e:  # e.g. a variable-width look-behind, refused by the compiler
        raise PatternError(f"bad regex '{source}': {e}") from None


class Doc:
    """A Document prepared for matching: leaf hits, word positions and unit spans, computed lazily once."""

    def __init__(self, document: Document, as_of: date | None = None):
        self.document = document
        self.as_of = as_of or date.today()  # the check date, for elements that must be recent
        self.text = document.norm
        self._hits: dict[int, tuple[list[int], list[Span]]] = {}
        self._unit_hits: dict[tuple[int, Span], list[Span]] = {}
        self.sent_starts = [s.start for s in document.sentences]
        # a lone top-level heading that opens the document, above other headings, is its title ("Privacy
        # Policy"): it encloses every section, so it gives no section its context
        heads = document.sections[1:]
        top = min((h.level for h in heads), default=0)
        opens = bool(document.sentences) and document.sentences[0].start == (heads[0].start if heads else -1)
        self.title_section = (1 if len(heads) > 1 and opens and heads[0].level == top
                              and sum(h.level == top for h in heads) == 1 else None)
        self.word_starts: list[int] = []
        self.vocab: dict[str, list[int]] = {}  # lower-case word token -> its start offsets
        self._sorted_vocab: list[str] | None = None
        for m in _FIRST_TOKEN.finditer(self.text):
            self.word_starts.append(m.start())
            self.vocab.setdefault(m.group().lower(), []).append(m.start())

    def hits(self, leaf: "Leaf") -> tuple[list[int], list[Span]]:
        key = id(leaf)
        got = self._hits.get(key)
        if got is None:
            if leaf.groups is None:
                # sentence by sentence, as the units see it: a match never spans two sentences, and `^`/`$`
                # anchor at sentence (and line) boundaries
                spans = [sp for idx in self._regex_sentences(leaf)
                         for sp in self._regex_hits(leaf, (self.document.sentences[idx].start,
                                                           self.document.sentences[idx].end))]
            else:
                spans = self._indexed_hits(leaf)
            got = ([s for s, _ in spans], spans)
            self._hits[key] = got
        return got

    def unit_hits(self, leaf: "Leaf", span: Span) -> list[Span]:
        """Hits of a leaf inside one unit. A regex that only vetoes or confirms candidates never needs the
        whole text: it is run over the units asked about (memoised), which keeps many vetoes cheap."""
        if leaf.groups is not None or id(leaf) in self._hits:
            starts, spans = self.hits(leaf)
            lo = bisect_left(starts, span[0])
            hi = bisect_left(starts, span[1])
            return [sp for sp in spans[lo:hi] if sp[1] <= span[1]]
        key = (id(leaf), span)
        got = self._unit_hits.get(key)
        if got is None:
            got = self._unit_hits[key] = self._regex_hits(leaf, span)
        return got

    def _regex_sentences(self, leaf: "Leaf") -> list[int] | range:
        if not leaf.prefixes or leaf.inside_word:
            return range(len(self.document.sentences))
        if self._sorted_vocab is None:
            self._sorted_vocab = sorted(self.vocab)
        words = self._sorted_vocab
        found: set[int] = set()
        for p in leaf.prefixes:  # the words starting with p form one run of the sorted vocabulary
            for word in words[bisect_left(words, p):bisect_left(words, p + "\uffff")]:
                found.update(self.sentence_at(pos) for pos in self.vocab[word])
        return sorted(found)

    def _regex_hits(self, leaf: "Leaf", span: Span) -> list[Span]:
        s = span[0]
        return [(s + m.start(), s + m.end()) for m in leaf.regex.finditer(self.text[s:span[1]]) if m.end() > m.start()]

    def _indexed_hits(self, leaf: "Leaf") -> list[Span]:
        """Try the leaf's phrases only where one of their first words occurs (the word index), not at every
        character: the reason matching stays fast however many phrases a pack has."""
        found: set[Span] = set()
        text = self.text
        for group_key in leaf.groups:
            kind, word = group_key
            if kind == "=":
                positions = self.vocab.get(word, ())
            else:
                positions = [p for w, ps in self.vocab.items() if w.startswith(word) for p in ps]
            if not positions:
                continue
            rx = leaf.group_regex(group_key)
            for pos in positions:
                m = rx.match(text, pos)
                if m and m.end() > pos:
                    found.add((pos, m.end()))
        # like a left-to-right scan: a hit inside a longer, earlier-starting hit is not a hit of its own
        out: list[Span] = []
        for sp in sorted(found, key=lambda x: (x[0], -x[1])):
            if out and sp[1] <= out[-1][1]:
                continue
            out.append(sp)
        return out

    def word_index(self, offset: int) -> int:
        return bisect_right(self.word_starts, offset)

    def unit_span(self, scope: str, sentence_index: int) -> Span:
        d = self.document
        s = d.sentences[sentence_index]
        if scope == "sentence":
            return s.start, s.end
        if scope == "paragraph":
            p = d.paragraphs[s.paragraph]
            return p.start, p.end
        if scope == "section":
            sec = d.sections[s.section]
            return sec.start, sec.end
        return 0, len(self.text)

    def sentence_at(self, offset: int) -> int:
        return max(0, bisect_right(self.sent_starts, offset) - 1)


@dataclass(eq=False)
class Node:
    scope: str | None = field(default=None, kw_only=True)

    def eval(self, doc: Doc, span: Span, anchor: int) -> list[Span] | None:
        if self.scope is not None:
            span = doc.unit_span(self.scope, anchor)
        return self._eval(doc, span, anchor)

    def _eval(self, doc: Doc, span: Span, anchor: int) -> list[Span] | None:  # pragma: no cover
        raise NotImplementedError

    def positive_leaves(self) -> list["Leaf"] | None:
        """Leaves whose hits can make this node match (candidate generation): a sentence without a hit of
        one of them cannot match. None when no such set can be given (then every sentence is a candidate)."""
        return None


@dataclass(eq=False)
class Leaf(Node):
    """A phrase list or a regex. Regexes are compiled on first use, so loading many packs stays cheap and
    a document only pays for the words it contains."""

    pattern: str = ""  # the whole leaf as one regex (used when there is no index)
    source: str = ""
    # ("=", word) or ("^", prefix) -> regex of the phrases that can start there; None: scan the text
    groups: dict[tuple[str, str], str] | None = None
    # for a regex: the word beginnings every match starts with (from its parse tree), so only the sentences
    # holding one are scanned; None when the regex can start anywhere
    prefixes: tuple[str, ...] | None = None
    inside_word: bool = False  # the regex has no leading \b: a prefix may start inside a word
    _compiled: dict = field(default_factory=dict, repr=False)

    @property
    def regex(self) -> re.Pattern:
        rx = self._compiled.get(None)
        if rx is None:
            rx = self._compiled[None] = re.compile(self.pattern, _FLAGS)
        return rx

    def group_regex(self, key: tuple[str, str]) -> re.Pattern:
        rx = self._compiled.get(key)
        if rx is None:
            rx = self._compiled[key] = re.compile(self.groups[key], _FLAGS)  # type: ignore[index]
        return rx

    def _eval(self, doc, span, anchor):
        return doc.unit_hits(self, span) or None

    def positive_leaves(self):
        return [self] if self.scope in (None, "sentence") else None


@dataclass(eq=False)
class DateLeaf(Leaf):
    """A calendar date in any of the usual written forms (`date: true`); only real dates match."""

    def _eval(self, doc, span, anchor):
        return [sp for sp in doc.unit_hits(self, span) if parse_date(doc.text[sp[0]:sp[1]])] or None


@dataclass(eq=False)
class Any(Node):
    children: Sequence[Node] = ()

    def _eval(self, doc, span, anchor):
        out: list[Span] | None = None
        for c in self.children:
            r = c.eval(doc, span, anchor)
            if r is not None:
                out = (out or []) + r
        return out

    def positive_leaves(self):
        if self.scope not in (None, "sentence"):
            return None
        out: list[Leaf] = []
        for c in self.children:
            leaves = c.positive_leaves()
            if leaves is None:
                return None
            out += leaves
        return out


@dataclass(eq=False)
class All(Node):
    children: Sequence[Node] = ()

    def _eval(self, doc, span, anchor):
        out: list[Span] = []
        for c in self.children:
            r = c.eval(doc, span, anchor)
            if r is None:
                return None
            out += r
        return out

    def positive_leaves(self):
        # every child must match, so the leaves of any one child evaluated over the sentence itself are enough
        if self.scope not in (None, "sentence"):
            return None
        # A child with an explicit `scope: sentence` is evaluated on the anchor sentence even when this node
        # runs over a wider unit (a document-scoped condition): then only its hits can anchor a match.
        anchored = [c for c in self.children if c.scope == "sentence"]
        pool = anchored or [c for c in self.children if c.scope is None]
        options = [leaves for c in pool for leaves in [c.positive_leaves()] if leaves is not None]
        if not options:
            return None
        # the cheapest child to look up: word-indexed leaves before regexes that must scan sentences
        return min(options, key=lambda leaves: sum(leaf.groups is None and not leaf.prefixes for leaf in leaves))


@dataclass(eq=False)
class Near(Node):
    children: Sequence[Node] = ()
    within: int = 10

    def _eval(self, doc, span, anchor):
        results = []
        for c in self.children:
            r = c.eval(doc, span, anchor)
            if not r:
                return None
            results.append(sorted({(doc.word_index(s), s, e) for s, e in r}))
        best: list[Span] = []
        for w0, s0, e0 in results[0]:
            picked = [(s0, e0)]
            for other in results[1:]:
                close = [(s, e) for w, s, e in other if abs(w - w0) <= self.within]
                if not close:
                    break
                picked.append(close[0])
            else:
                best.extend(picked)
        return best or None

    def positive_leaves(self):
        if self.scope not in (None, "sentence") or not self.children:
            return None
        return self.children[0].positive_leaves() if self.children[0].scope in (None, "sentence") else None


@dataclass(eq=False)
class Not(Node):
    child: Node = None  # type: ignore[assignment]

    def _eval(self, doc, span, anchor):
        return [] if self.child.eval(doc, span, anchor) is None else None


@dataclass(eq=False)
class Heading(Node):
    """True when the sentence's section heading, or any enclosing heading, matches the child pattern."""

    child: Node = None  # type: ignore[assignment]

    def _eval(self, doc, span, anchor):
        d = doc.document
        sec_idx = d.sentences[anchor].section
        while sec_idx is not None and sec_idx > 0 and sec_idx != doc.title_section:
            sec = d.sections[sec_idx]
            hstart = sec.start
            hend = doc.text.find("\n", hstart)
            hend = len(doc.text) if hend < 0 else hend
            if self.child._eval(doc, (hstart, hend), anchor) is not None:
                return []
            sec_idx = sec.parent
        return None


def _alternation(regexes: list[str]) -> str:
    alts = sorted(set(regexes), key=lambda a: (-len(a), a))
    return "|".join(f"(?:{a})" for a in alts)


def _phrase_leaf(phrases: list[str]) -> Leaf:
    regexes = [phrase_regex(p) for p in phrases]
    groups: dict[tuple[str, str], list[str]] | None = {}
    for p, rx in zip(phrases, regexes):
        keys = phrase_keys(p)
        if keys is None:
            groups = None
            break
        exact, prefixes = keys
        for k in exact:
            groups.setdefault(("=", k), []).append(rx)
        for k in prefixes:
            groups.setdefault(("^", k), []).append(rx)
    return Leaf(
        pattern=_alternation(regexes),
        source=" | ".join(phrases),
        groups=None if groups is None else {k: _alternation(v) for k, v in sorted(groups.items())},
    )


def compile_pattern(spec, defs: dict[str, Node], path: str = "match") -> Node:
    """Compile a YAML pattern tree (already schema-validated). Raises PatternError with a dotted path."""
    if isinstance(spec, str):
        spec = {"phrase": spec}
    scope = spec.get("scope")
    try:
        if "phrase" in spec:
            node: Node = _phrase_leaf([spec["phrase"]])
        elif "terms" in spec:
            node = _phrase_leaf(list(spec["terms"]))
        elif "regex" in spec:
            source = normalise(spec["regex"])
            tree, compiled = check_regex(source)
            prefixes, inside_word = regex_prefixes(tree)
            node = Leaf(pattern=source, source=spec["regex"], prefixes=prefixes, inside_word=inside_word)
            node._compiled[None] = compiled
        elif "date" in spec:
            tree, compiled = check_regex(DATE_PATTERN)
            prefixes, inside_word = regex_prefixes(tree)
            node = DateLeaf(pattern=DATE_PATTERN, source="date", prefixes=prefixes, inside_word=inside_word)
            node._compiled[None] = compiled
        elif "any" in spec:
            node = Any(children=[compile_pattern(c, defs, f"{path}.any[{i}]") for i, c in enumerate(spec["any"])])
        elif "all" in spec:
            node = All(children=[compile_pattern(c, defs, f"{path}.all[{i}]") for i, c in enumerate(spec["all"])])
        elif "near" in spec:
            node = Near(children=[compile_pattern(c, defs, f"{path}.near[{i}]") for i, c in enumerate(spec["near"])],
                        within=spec.get("within", 10))
        elif "not" in spec:
            node = Not(child=compile_pattern(spec["not"], defs, f"{path}.not"))
        elif "heading" in spec:
            node = Heading(child=compile_pattern(spec["heading"], defs, f"{path}.heading"))
        elif "ref" in spec:
            name = spec["ref"]
            if name not in defs:
                raise PatternError(f"unknown definition '{name}' (defined: {', '.join(sorted(defs)) or 'none'})")
            node = defs[name]
            if scope:
                node = Any(children=[node])
        else:  # pragma: no cover - the schema rejects this
            raise PatternError("a pattern needs one of phrase, terms, regex, date, any, all, near, not, heading, ref")
    except re.error as e:
        raise PatternError(f"{path}: bad pattern: {e}") from None
    except PatternError as e:
        msg = str(e)
        raise PatternError(msg if msg.startswith(path) else f"{path}: {msg}") from None
    if scope:
        node.scope = scope
    return node


def candidates(node: Node, doc: Doc) -> list[int]:
    """Sentence indexes where `node` could match, from the hits of its positive leaves."""
    leaves = node.positive_leaves()
    if leaves is None:
        return list(range(len(doc.document.sentences)))
    found: set[int] = set()
    for leaf in leaves:
        for s in doc.hits(leaf)[0]:
            found.add(doc.sentence_at(s))
    return sorted(found)


def find(node: Node, doc: Doc, scope: str = "sentence") -> list[tuple[int, list[Span]]]:
    """All units (named by their first candidate sentence) where `node` matches, in document order."""
    out = []
    seen_units: set[Span] = set()
    for idx in candidates(node, doc):
        unit = doc.unit_span(scope, idx)
        if scope != "sentence":
            if unit in seen_units:
                continue
        r = node.eval(doc, unit, idx)
        if r is not None:
            seen_units.add(unit)
            out.append((idx, r))
    return out
