"""The pattern language, compiled once per pack and run over a Document.

Nodes (YAML keys): `phrase`, `terms`, `regex`, `date` (leaves); `any`, `all`, `near`, `not`, `heading` (combinators);
`ref` (a named definition, resolved at compile time). Any node may carry `scope` to widen the text it is
evaluated over (sentence < paragraph < section < document), e.g. "a rights word anywhere in the paragraph".

A node evaluated over a unit returns None (no match) or a list of (start, end) spans that matched, used
for highlighting; `not` and `heading` match with no spans of their own.
Leaves run once per document over the whole normalised text (`Doc.hits`), so evaluating a unit is a
bisect into sorted hit lists: cost is linear in the document size and the number of leaves.
Shortcuts that never change a result keep that cost low: phrases are tried only where their first word
occurs (the word index); a regex only over the sentences and units holding the literal strings every match
of it contains (`required_literals`), and over a long unit only around them (`regex_barriers`); and a
sentence is not evaluated where such evidence shows a pattern cannot match (`Doc.necessary`).
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import repeat
from datetime import date
from typing import Iterable, Sequence

from .cache import enabled as cache_enabled
from .dates import PATTERN as DATE_PATTERN, parse_date
from .document import normalise
from .model import Document

Span = tuple[int, int]
SCOPES = ("sentence", "paragraph", "section", "document")

_IGNORECASE = int(re.I)
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

    for op, av in getattr(parsed, "data", parsed):  # the parse tree's own list: much faster to walk
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
        items = list(getattr(items, "data", items))
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


MAX_REPEAT_RUN = 8  # a repeated literal (x{3,}) adds at most this many characters to a required string
MIN_LITERAL = 3  # shorter required literals (we, us) select nearly every sentence: not worth looking up
MAX_CLAUSES = 3
DIGIT = "\ue000"  # in a clause: any character \\d matches (not an ASCII literal, so never confused with one)
# a clause string starting with this is matched case-sensitively (from a (?-i:...) group): "\ue001GmbH"
CASED = "\ue001"
_RARE = frozenset("@#$%&+=<>|~^([{")  # a literal holding one of these is worth looking up however short


_ASCII_LOWER = [chr(i).lower() for i in range(128)]


def _weight(token: str) -> int:
    if token == DIGIT:
        return 2
    if token[:1] == CASED:
        # matched as written: with an upper-case letter, rarer than the same letters in any case ("AG", "SA";
        # even "S" alone is worth looking up)
        core = token[1:]
        if not _RARE.isdisjoint(core) or any(ch.isupper() for ch in core):
            return MIN_LITERAL if len(core) == 1 else max(len(core) + 1, MIN_LITERAL)
        return len(core)
    return max(len(token), MIN_LITERAL) if not _RARE.isdisjoint(token) else len(token)


def _holds(v: str, w: str) -> bool:
    """Every text holding clause string `v` holds clause string `w` (see CASED)."""
    if v[:1] == CASED:
        return w[1:] in v[1:] if w[:1] == CASED else w in v[1:].lower()
    return w[:1] != CASED and w in v


def literal_length(lit: str) -> int:
    """The length in the text of a clause string (see CASED)."""
    return len(lit) - 1 if lit[:1] == CASED else len(lit)


def required_literals(tree) -> tuple[tuple[str, ...], ...] | None:
    """What every non-empty match of a regex must contain, read off its parse tree: clauses of lower-case
    ASCII strings (or DIGIT) such that the match holds one of each clause:
    `\\b(?:not|never)\\s+(?:\\w+\\s+){0,3}(?:sell|share)s?\\b` -> (('never', 'not'), ('sell', 'share')).
    A text without them cannot match, so it need not be scanned. None when nothing at least MIN_LITERAL
    long (or a digit, or a rare character such as @) can be given. Wherever the pattern allows a choice every
    option must contribute, and a construct not understood contributes nothing, so the answer is safe."""
    from re import _constants as c  # noqa: PLC0415

    LITERAL = c.LITERAL
    qualities: dict[frozenset[str], tuple[int, int]] = {}

    def quality(clause: frozenset[str]) -> tuple[int, int]:
        q = qualities.get(clause)
        if q is None:
            q = qualities[clause] = (min(map(_weight, clause)), -len(clause))
        return q

    def digits_only(items) -> bool:
        items = list(getattr(items, "data", items))
        return bool(items) and all(op == c.CATEGORY and av == c.CATEGORY_DIGIT
                                   or op == c.RANGE and 48 <= av[0] <= av[1] <= 57
                                   or op == c.LITERAL and 48 <= av <= 57 for op, av in items)

    def leads(item, cased: bool) -> set[str]:
        """The literal text each alternative of a group or branch starts with ('' when it starts otherwise)."""
        op, av = item
        if op == c.SUBPATTERN:
            if _cased(av, cased) != cased:
                return {""}  # another case rule inside: not part of the same string
            items = list(av[-1])
            if len(items) == 1 and items[0][0] in (c.BRANCH, c.SUBPATTERN):
                return leads(items[0], cased)
            return {_lead_run(items, cased)}
        if op == c.BRANCH:
            out: set[str] = set()
            for branch in av[1]:
                items = list(branch)
                if len(items) == 1 and items[0][0] in (c.BRANCH, c.SUBPATTERN):
                    out |= leads(items[0], cased)
                else:
                    out.add(_lead_run(items, cased))
            return out
        return {""}

    def _lead_run(items, cased: bool) -> str:
        run = ""
        for op, av in items:
            if op != c.LITERAL or av >= 128 and not cased:
                break
            run += chr(av) if cased else chr(av).lower()
        return run

    def _cased(av, cased: bool) -> bool:
        """Whether a group's own flags make it match case-sensitively: (?-i:...) yes, (?i:...) no."""
        if av[2] & _IGNORECASE:
            return True
        if av[1] & _IGNORECASE:
            return False
        return cased

    def req(items, cased: bool = False) -> list[frozenset[str]]:
        """Clauses, every one of which a match of this sequence satisfies. `cased`: inside (?-i:...), where
        letters are kept as written and the strings marked CASED."""
        clauses: list[frozenset[str]] = []
        run = ""
        mark = CASED if cased else ""
        lower = (lambda code: chr(code)) if cased else _ASCII_LOWER.__getitem__
        digit = False  # a literal digit: the match holds a character \d matches
        for op, av in getattr(items, "data", items):
            if op is LITERAL and (av < 128 or cased):  # (matched as written: any character)
                run += lower(av)
                digit = digit or 48 <= av <= 57
                continue
            if op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
                sub = list(av[2])
                if len(sub) == 1 and sub[0][0] is LITERAL and sub[0][1] < 128:  # x+, x{2,}: at least av[0] x
                    least = lower(sub[0][1]) * min(av[0], MAX_REPEAT_RUN)
                    digit = digit or 48 <= sub[0][1] <= 57
                    if av[1] == av[0] <= MAX_REPEAT_RUN:  # a fixed count: the run goes on
                        run += least
                        continue
                    run += least  # what precedes and the first repetitions; then the last ones and what follows
                    if _weight(mark + run) >= MIN_LITERAL:
                        clauses.append(frozenset({mark + run}))
                    run = least
                    continue
            if run:
                if op in (c.SUBPATTERN, c.BRANCH):  # sell(?:s|ing) -> sells, selling
                    joined = {mark + run + lead for lead in leads((op, av), cased)}
                    if min(map(_weight, joined)) >= MIN_LITERAL:
                        clauses.append(frozenset(joined))
                if _weight(mark + run) >= MIN_LITERAL:
                    clauses.append(frozenset({mark + run}))
                run = ""
            if op == c.IN:
                if digits_only(av):
                    clauses.append(frozenset({DIGIT}))
                elif all(o is LITERAL and chr(a) in _RARE for o, a in av):  # [\[(]: one of these characters
                    clauses.append(frozenset(chr(a) for _, a in av))
            elif op == c.SUBPATTERN:
                clauses += req(av[-1], _cased(av, cased))
            elif op == c.BRANCH:
                options = [req(branch, cased) for branch in av[1]]
                if all(options):
                    clauses.append(frozenset().union(*(max(o, key=quality) for o in options)))
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
                clauses += req(av[2], cased)
        if run and _weight(mark + run) >= MIN_LITERAL:
            clauses.append(frozenset({mark + run}))
        if digit:
            clauses.append(frozenset({DIGIT}))
        return clauses

    best: list[frozenset[str]] = []
    for cl in sorted(set(req(list(tree))), key=lambda cl: (quality(cl), sorted(cl)), reverse=True):
        # ('ell', 'hare') says nothing more than ('sell', 'share'): every string of the one holds one of the other
        if len(best) < MAX_CLAUSES and not any(all(any(_holds(v, w) for w in cl) for v in b) for b in best):
            best.append(cl)
    return tuple(tuple(sorted(cl)) for cl in best) or None


BARRIER_CANDIDATES = ".!?;:\n"


def regex_barriers(tree) -> str:
    """The characters among BARRIER_CANDIDATES that no match of the regex can run over: neither the match
    nor a look-ahead inside it can consume them (look-behinds only read what precedes). "" when there are
    none, or when the regex could match the empty string or tests for the end of the string, where reading
    a text cut short after such a character could differ (see Doc._chunked_hits)."""
    from re import _constants as c  # noqa: PLC0415

    everything = frozenset(BARRIER_CANDIDATES)
    # what each character category takes of the candidates (none of them is a letter, digit or underscore)
    by_category = {c.CATEGORY_WORD: frozenset(), c.CATEGORY_NOT_WORD: everything,
                   c.CATEGORY_DIGIT: frozenset(), c.CATEGORY_NOT_DIGIT: everything,
                   c.CATEGORY_SPACE: everything & frozenset(" \t\n\r\f\v"),
                   c.CATEGORY_NOT_SPACE: everything - frozenset(" \t\n\r\f\v")}

    def in_class(items) -> frozenset[str]:
        """The candidates a character class [...] takes."""
        negate = False
        hit: set[str] = set()
        for op, av in items:
            if op == c.NEGATE:
                negate = True
            elif op == c.LITERAL:
                if chr(av) in everything:
                    hit.add(chr(av))
            elif op == c.RANGE:
                hit.update(ch for ch in everything if av[0] <= ord(ch) <= av[1])
            elif op == c.CATEGORY and av in by_category:
                hit |= by_category[av]
            else:
                return everything  # not understood: say it may
        return everything - hit if negate else frozenset(hit)

    def consumed(items) -> frozenset[str]:
        """The candidates some element of `items` may consume."""
        out: set[str] = set()
        for op, av in getattr(items, "data", items):
            if op == c.LITERAL:
                if chr(av) in everything:
                    out.add(chr(av))
            elif op == c.NOT_LITERAL:
                out |= everything - {chr(av)}
            elif op == c.IN:
                out |= in_class(av)
            elif op == c.AT:
                if av in (c.AT_END, c.AT_END_STRING):
                    return everything  # refuse: see above
            elif op == c.SUBPATTERN:
                out |= consumed(av[-1])
            elif op == c.BRANCH:
                for b in av[1]:
                    out |= consumed(b)
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
                if av[1] > 0:
                    out |= consumed(av[2])
            elif op in (c.ASSERT, c.ASSERT_NOT):
                if av[0] >= 0:  # a look-ahead reads on; a look-behind (-n) does not
                    out |= consumed(av[1])
            else:  # ANY and everything else: it may
                return everything
            if len(out) == len(everything):
                break
        return frozenset(out)

    tree = list(getattr(tree, "data", tree))
    try:
        if _parser_width(tree)[0] < 1:
            return ""
    except Exception:  # pragma: no cover - another Python's internals
        return ""
    taken = consumed(tree)
    return "".join(ch for ch in BARRIER_CANDIDATES if ch not in taken)


def _parser_width(tree) -> tuple[int, int]:
    from re import _parser  # noqa: PLC0415

    sub = _parser.SubPattern(_parser.State(), tree) if not isinstance(tree, _parser.SubPattern) else tree
    return sub.getwidth()


def first_characters(tree) -> list | None:
    """The character-class members ([...] items of the parse tree) that hold the first character of every
    match, read off the parse tree: `\\b(?:sell|share)s?` -> [s, s]; None when a match could start with
    something else (or be empty). Look-arounds and anchors are zero-width: they do not decide it."""
    from re import _constants as c  # noqa: PLC0415

    def first(items) -> tuple[list, bool] | None:  # (class members, whether the items can match nothing)
        out: list = []
        for op, av in getattr(items, "data", items):
            if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
                continue
            if op == c.LITERAL:
                return out + [(op, av)], False
            if op == c.IN:
                if any(o == c.NEGATE for o, _ in av):
                    return None
                return out + list(av), False
            if op == c.BRANCH:
                options = [first(b) for b in av[1]]
                if any(o is None for o in options):
                    return None
                for o in options:
                    out += o[0]  # type: ignore[index]
                if not any(o[1] for o in options):  # type: ignore[index]
                    return out, False
            elif op == c.SUBPATTERN or op in (c.MAX_REPEAT, c.MIN_REPEAT):
                got = first(av[-1])
                if got is None:
                    return None
                out += got[0]
                if not got[1] and (op == c.SUBPATTERN or av[0] > 0):
                    return out, False
            else:  # ANY, NOT_LITERAL, CATEGORY outside a class, ...: not understood
                return None
        return out, True

    got = first(tree)
    if got is None or got[1]:
        return None
    return list(dict.fromkeys(got[0]))


def _fanout(items) -> int:
    """How many alternatives a match attempt opens at its first character (1 without a leading choice)."""
    from re import _constants as c  # noqa: PLC0415

    for op, av in getattr(items, "data", items):
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue
        if op == c.BRANCH:
            return sum(_fanout(b) for b in av[1])
        if op == c.SUBPATTERN:
            return _fanout(av[-1])
        return 1
    return 1


_CATEGORY_TEXT = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
                  "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}
GUARD_FANOUT = 2  # a guard pays where a failed attempt opens this many alternatives or more


def _class_text(items) -> str | None:
    from re import _constants as c  # noqa: PLC0415

    def char(code: int) -> str:
        return chr(code) if chr(code).isascii() and chr(code).isalnum() else f"\\U{code:08x}"

    out = ""
    for op, av in items:
        if op == c.LITERAL:
            out += char(av)
        elif op == c.RANGE:
            out += char(av[0]) + "-" + char(av[1])
        elif op == c.CATEGORY and str(av) in _CATEGORY_TEXT:
            out += _CATEGORY_TEXT[str(av)]
        else:
            return None
    return out


def scan_source(source: str, tree=None) -> str:
    """The regex that scans a text for `source`: `(?=[...])(?:source)`, where [...] holds what every match
    starts with (first_characters), when `source` opens many alternatives at each position (the stdlib
    engine would try each of them at every character: the look-ahead turns most positions away at once);
    else `source` itself. It finds exactly the same matches (the look-ahead tests, under the same flags,
    the characters a match starts with)."""
    from re import _compiler, _parser  # noqa: PLC0415

    try:
        if tree is None:
            tree = _parser.parse(source, _FLAGS)
        if tree.state.flags != _parser.parse("", _FLAGS).state.flags or _fanout(tree) < GUARD_FANOUT:
            return source  # inline global flags would not survive the wrapping
        if _compiler._get_literal_prefix(tree, _FLAGS)[0] or _compiler._get_charset_prefix(tree, _FLAGS):
            return source  # the engine skips ahead by itself
        items = first_characters(tree)
        text = None if items is None else _class_text(items)
    except Exception:  # noqa: BLE001 - another Python's internals: no guard
        return source
    return source if not text else f"(?=[{text}])(?:{source})"


def _scan_tree(source: str, tree):
    """The parse tree of scan_source(source, tree), built without parsing `source` again."""
    from re import _constants as c, _parser  # noqa: PLC0415

    guarded = scan_source(source, tree)
    if guarded == source:
        return tree
    guard = _parser.parse(guarded[:guarded.index("(?:")], _FLAGS)
    return _parser.SubPattern(tree.state, list(guard.data) + [(c.SUBPATTERN, (None, 0, 0, tree))])


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
        try:  # compile the tree already parsed (the stdlib's own compiler steps) rather than parse twice
            if _recording():  # and keep the compiled form for the pack cache (see _CODES)
                args = _code_args(source, tree)
                compiled = _build(source, args)
                _CODES[source] = args
            else:
                from re import _compiler  # noqa: PLC0415

                compiled = _compiler.compile(_scan_tree(source, tree), _FLAGS)
        except (ImportError, AttributeError, TypeError):  # pragma: no cover - another Python's internals
            compiled = re.compile(source, _FLAGS)
        return list(tree), compiled
    except re.error as e:  # e.g. a variable-width look-behind, refused by the compiler
        raise PatternError(f"bad regex '{source}': {e}") from None


_LEAF_KEYS: dict[tuple, int] = {}


def _leaf_key(pattern: str, groups: dict | None) -> int:
    k = (pattern, None if groups is None else tuple(groups.items()))
    got = _LEAF_KEYS.get(k)
    if got is None:
        got = _LEAF_KEYS[k] = len(_LEAF_KEYS)
    return got


_COMPILED: dict[str, re.Pattern] = {}  # source -> compiled, shared by every leaf (the same phrase group recurs)
# source -> what the stdlib regex compiler made of it: the arguments of its last step, _sre.compile. Building
# a pattern from them skips parsing and compiling, most of the cost of a first check in a process; the pack
# cache stores them (checker/packs.py). CPython only; anything unexpected falls back to re.compile.
_CODES: dict[str, tuple] = {}
_CODES_OK: bool | None = None  # this Python's regex internals are the expected ones (checked once)


def _codes_ok() -> bool:
    global _CODES_OK
    if _CODES_OK is None:
        try:
            probe = r"(?<![\w])(?:data(?:'s|s|es)?[\s*_-]+subject)|(?P<x>a[bc]+?)\b"
            _CODES_OK = _build(probe, _code_args(probe, guard=False)) == re.compile(probe, _FLAGS)
        except Exception:  # noqa: BLE001
            _CODES_OK = False
    return _CODES_OK


def _recording() -> bool:
    """Keep the compiled form of each regex compiled: only worth it for the pack cache."""
    return _codes_ok() and cache_enabled()


def _code_args(source: str, tree=None, guard: bool = True) -> tuple:
    """What re.compile passes to _sre.compile (re/_compiler.py, compile()) for scan_source(source), or for
    `source` itself without `guard`."""
    from re import _compiler, _parser  # noqa: PLC0415

    if tree is None:
        tree = _parser.parse(source, _FLAGS)
    if guard:
        tree = _scan_tree(source, tree)
    code = [int(op) for op in _compiler._code(tree, _FLAGS)]
    groupindex = dict(tree.state.groupdict)
    indexgroup = [None] * tree.state.groups
    for name, i in groupindex.items():
        indexgroup[i] = name
    return _FLAGS | tree.state.flags, code, tree.state.groups - 1, groupindex, tuple(indexgroup)


def _build(source: str, args: tuple) -> re.Pattern:
    import _sre  # noqa: PLC0415

    return _sre.compile(source, *args)


def _compile_cached(source: str) -> re.Pattern:
    rx = _COMPILED.get(source)
    if rx is None:
        if source in _CODES or _recording():
            try:
                args = _CODES.get(source)
                if args is None:
                    args = _CODES[source] = _code_args(source)
                rx = _build(source, args)
            except Exception:  # noqa: BLE001 - not the expected internals (or a bad regex): as usual
                _CODES.pop(source, None)
        if rx is None:
            try:
                from re import _compiler, _parser  # noqa: PLC0415

                rx = _compiler.compile(_scan_tree(source, _parser.parse(source, _FLAGS)), _FLAGS)
            except (ImportError, AttributeError, TypeError):  # pragma: no cover - another Python's internals
                rx = re.compile(source, _FLAGS)
        _COMPILED[source] = rx
    return rx


def compiled_count() -> int:
    return len(_CODES)


def regex_codes(sources: Iterable[str]) -> dict[str, tuple]:
    """The compiled form (see _CODES) of those of `sources` compiled so far in this process."""
    return {s: _CODES[s] for s in sources if s in _CODES}


def use_regex_codes(table: dict[str, tuple] | None) -> None:
    """Compiled forms stored by an earlier process (the pack cache)."""
    if table and _codes_ok():
        for source, args in table.items():
            _CODES.setdefault(source, args)


def leaves_of(nodes: Iterable["Node"]) -> list["Leaf"]:
    """Every leaf under the nodes, each once."""
    seen: dict[int, Leaf] = {}
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, Leaf):
            seen.setdefault(id(node), node)
            continue
        stack.extend(getattr(node, "children", ()) or ())
        child = getattr(node, "child", None)
        if child is not None:
            stack.append(child)
    return list(seen.values())


def leaf_sources(leaves: Iterable["Leaf"]) -> list[str]:
    """Every regex source the leaves may compile: their whole pattern or, when indexed, their phrase groups."""
    out: dict[str, None] = {}
    for leaf in leaves:
        for src in ([leaf.pattern] if leaf.groups is None else leaf.groups.values()):
            out.setdefault(src)
    return list(out)


# characters that match an ASCII letter under re.IGNORECASE though their str.lower() is not that letter: in a
# text that holds one, a regex can match where the lower-cased text lacks its required literals
_CASE_EXOTIC = "\u0130\u0131\u017f\u212a"
_DIGIT_RX = re.compile(r"\d")
# characters (about 3 million words): longer texts have no tables by offset (two pointers a character, 320 MB at
# the limit), and sentences are found by bisection. At a million words (6 million characters) the tables took the
# check from 32.5 to 28.5 s, and peak memory from 1.31 to 1.17 GB (the bisection's sets cost more)
OFFSET_INDEX_MAX = 20_000_000
MEMO_MAX = 20_000  # sentences (about 400,000 words): above, what match_set was asked is not remembered (memory)
LAZY_MAX = 64  # a regex asked about more sentences than this, most of those it may match in, scans them all once
CHUNKED_MIN = 2000  # a unit longer than this is searched piecewise when the regex allows it


class Doc:
    """A Document prepared for matching: leaf hits, word positions and unit spans, computed lazily once."""

    def __init__(self, document: Document, as_of: date | None = None, profile=None):
        self.document = document
        self.as_of = as_of or date.today()  # the check date, for elements that must be recent
        self.profile = profile  # checker.profile.Profile: declared facts that decide conditions
        self.text = document.norm
        self._hits: dict[object, tuple[list[int], list[Span]]] = {}  # by Leaf.key
        self._hits_asked: set[int] = set()  # ids of the leaves whose hits() were asked for (see unit_hits)
        self._unit_hits: dict[tuple[object, Span], list[Span]] = {}
        self._lower: str | None = None  # the text lower-cased, for required literals; "" when unusable
        self._literal_at: dict[str, list[int]] = {}
        self._literal_spans: dict[tuple[str, ...], tuple[list[int], list[int]]] = {}
        self._literal_sents: dict[tuple[tuple[str, ...], ...], set[int]] = {}
        self._lit_sents: dict[str, set[int]] = {}
        self._necessary: dict[int, set[int] | None] = {}
        self._matched: dict[tuple[int, str], tuple[set[int], set[int]]] = {}  # see match_set
        self._barriers: dict[str, list[int]] = {}
        self._group_hits: dict[tuple[tuple[str, str], str], list[Span]] = {}
        self._vocab_joined: tuple[list[str], list[int], str] | None = None
        self._sent_spans = [(s.start, s.end) for s in document.sentences]
        self._sent_ends = [s.end for s in document.sentences]
        self._by_sentence: dict[int, dict[int, list[Span]]] = {}  # by Leaf.key (see by_sentence)
        self.sent_starts = [s.start for s in document.sentences]
        # offset -> sentence_at(offset), and offset -> the sentence whose span holds it (-1: none), for every
        # offset of the text; only for sentences in order and apart (as segment() makes them), and a text of
        # reasonable size (two pointers a character); otherwise bisect does the same, slower
        starts = self.sent_starts
        spans = self._sent_spans
        # sentences in order and apart, within the text (as segment() makes them): a hit lies whole in one at most
        self._apart = (all(a <= b for a, b in zip(starts, starts[1:]))
                       and all(e <= b for (_, e), (b, _) in zip(spans, spans[1:]))
                       and (not spans or spans[-1][1] <= len(self.text)))
        self._sent_of: list[int] | None = None
        self._cover: list[int] | None = None
        if len(self.text) <= OFFSET_INDEX_MAX and all(a <= b for a, b in zip(starts, starts[1:])):
            size = len(self.text) + 1
            sent_of = [0] * size
            for i, a in enumerate(starts):
                b = starts[i + 1] if i + 1 < len(starts) else size
                if a < b:
                    sent_of[a:b] = [i] * (b - a)
            self._sent_of = sent_of[:size]
            if self._apart:
                cover = [-1] * len(self.text)
                for i, (a, e) in enumerate(spans):
                    cover[a:e] = [i] * (e - a)
                self._cover = cover
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
        self._hits_asked.add(id(leaf))
        key = leaf.key
        got = self._hits.get(key)
        if got is None:
            if leaf.groups is None:
                # sentence by sentence, as the units see it: a match never spans two sentences, and `^`/`$`
                # anchor at sentence (and line) boundaries
                sentences = self.document.sentences
                spans = [sp for idx in self._regex_sentences(leaf)
                         for sp in self._regex_hits(leaf, (sentences[idx].start, sentences[idx].end))]
            else:
                spans = self._indexed_hits(leaf)
            got = ([s for s, _ in spans], spans)
            self._hits[key] = got
        return got

    def unit_hits(self, leaf: "Leaf", span: Span, anchor: int = -1) -> Sequence[Span]:
        """Hits of a leaf inside one unit. A phrase list's are its whole-text hits (from the word index) that lie
        in the unit. A regex reads the unit's own text: over a paragraph or section it also sees what lies
        between sentences (list markers) and may match across them, whatever was asked before. Over the anchor
        sentence itself (most units) the whole text's hits, found sentence by sentence, are looked up in a
        table by sentence once computed; otherwise the regex is run over the units asked about (memoised),
        which keeps many vetoes cheap, and a unit without any of its required literals is not scanned at all."""
        sentence = anchor >= 0 and self._cover is not None and self._sent_spans[anchor] == span
        if leaf.groups is not None or sentence and id(leaf) in self._hits_asked:
            if sentence:
                table = self._by_sentence.get(leaf.key)  # (by_sentence inline: the hot path)
                if table is None:
                    table = self.by_sentence(leaf)
                return table.get(anchor, ())
            got = self._hits.get(leaf.key)
            starts, spans = self.hits(leaf) if got is None else got
            lo = bisect_left(starts, span[0])
            hi = bisect_left(starts, span[1], lo)
            end = span[1]
            return [sp for sp in spans[lo:hi] if sp[1] <= end]
        key = (leaf.key, span)
        got = self._unit_hits.get(key)
        if got is None:
            if leaf.literals is not None and self.lower:
                if sentence:
                    if anchor not in self.literal_sentences(leaf.literals):  # type: ignore[operator]
                        got = self._unit_hits[key] = []
                        return got
                else:
                    for clause in leaf.literals:
                        starts, _, min_end = self._literal_occurrences(clause)
                        i = bisect_left(starts, span[0])
                        if i == len(starts) or min_end[i] > span[1]:
                            got = self._unit_hits[key] = []
                            return got
            got = self._unit_hits[key] = self._regex_hits(leaf, span)
        return got

    def by_sentence(self, leaf: "Leaf") -> dict[int, list[Span]]:
        """The leaf's hits by the sentence that holds them whole (what unit_hits gives over each sentence);
        memoised."""
        table = self._by_sentence.get(leaf.key)
        if table is not None:
            return table
        got = self._hits.get(leaf.key)
        spans = (self.hits(leaf) if got is None else got)[1]
        cover, ends, starts = self._cover, self._sent_ends, self.sent_starts
        table: dict[int, list[Span]] = {}
        for sp in spans:
            if cover is not None:
                k = cover[sp[0]]
            else:  # a long text: the sentence starting last at or before the hit, if it holds the hit's start
                k = bisect_right(starts, sp[0]) - 1
                if k >= 0 and sp[0] >= ends[k]:
                    k = -1
            if k >= 0 and sp[1] <= ends[k]:
                at = table.get(k)
                if at is None:
                    table[k] = [sp]
                else:
                    at.append(sp)
        self._by_sentence[leaf.key] = table
        return table

    @property
    def lower(self) -> str:
        """The text lower-cased, offset for offset; "" when that cannot stand in for the case-insensitive
        matching of ASCII literals (a length-changing or exotic case mapping in the text)."""
        if self._lower is None:
            low = self.text.lower()
            ok = len(low) == len(self.text) and not any(ch in self.text for ch in _CASE_EXOTIC)
            self._lower = low if ok else ""
        return self._lower

    def _literal_at_offsets(self, lit: str) -> list[int]:
        """Every offset where `lit` occurs in the lower-cased text (overlapping ones too), in no set order."""
        at = self._literal_at.get(lit)
        if at is not None:
            return at
        at = []
        if lit == DIGIT:
            at = [m.start() for m in _DIGIT_RX.finditer(self.text)]
        elif lit[:1] == CASED:  # as written, in the text itself
            find, core = self.text.find, lit[1:]
            i = find(core)
            while i >= 0:
                at.append(i)
                i = find(core, i + 1)
        elif lit.isascii() and lit.isalnum():
            # letters and digits only: an occurrence lies within one word, so look for it in the list of
            # distinct words (a few times shorter than the text) and place it at each of that word's offsets
            words, word_at, joined = self._vocab_string()
            find = joined.find
            n = len(lit)
            i = find(lit)
            while i >= 0:
                w = bisect_right(word_at, i) - 1
                k = i - word_at[w]
                if k + n <= len(words[w]):
                    positions = self.vocab[words[w]]
                    at.extend(positions if k == 0 else [p + k for p in positions])
                i = find(lit, i + 1)
        else:
            find = self.lower.find
            i = find(lit)
            while i >= 0:
                at.append(i)
                i = find(lit, i + 1)
        self._literal_at[lit] = at
        return at

    def _vocab_string(self) -> tuple[list[str], list[int], str]:
        got = self._vocab_joined
        if got is None:
            if self._sorted_vocab is None:
                self._sorted_vocab = sorted(self.vocab)
            words = self._sorted_vocab
            word_at, offset = [], 0
            for w in words:
                word_at.append(offset)
                offset += len(w) + 1
            got = self._vocab_joined = (words, word_at, "\n".join(words))
        return got

    def _literal_occurrences(self, literals: tuple[str, ...]) -> tuple[list[int], list[int], list[int]]:
        """Where any of `literals` occurs in the text: the sorted start offsets, their end offsets, and for
        each the smallest end offset of the occurrences from there on (so "one lies within [s, e)" is one
        bisect)."""
        got = self._literal_spans.get(literals)
        if got is None:
            occ: list[Span] = []
            for lit in literals:
                n = literal_length(lit)
                occ.extend((i, i + n) for i in self._literal_at_offsets(lit))
            occ.sort()
            starts = [s for s, _ in occ]
            ends = [e for _, e in occ]
            min_end = list(ends)
            for k in range(len(min_end) - 2, -1, -1):
                if min_end[k + 1] < min_end[k]:
                    min_end[k] = min_end[k + 1]
            got = self._literal_spans[literals] = (starts, ends, min_end)
        return got

    def literal_sentences(self, literals: tuple[tuple[str, ...], ...]) -> set[int] | None:
        """The sentences that hold a whole occurrence of a string of each clause (see required_literals);
        None when the text does not allow the test."""
        if not self.lower:
            return None
        got = self._literal_sents.get(literals)
        if got is None:
            for clause in literals:
                found: set[int] = set()
                for lit in clause:
                    found |= self._literal_sentences(lit)
                got = found if got is None else got & found
                if not got:
                    break
            self._literal_sents[literals] = got  # type: ignore[assignment]
        return got

    def _literal_sentences(self, lit: str) -> set[int]:
        got = self._lit_sents.get(lit)
        if got is None:
            at = self._literal_at_offsets(lit)
            last = literal_length(lit) - 1
            cover = self._cover
            if cover is not None:  # the occurrence's first and last character lie in the same sentence
                got = {k for i in at for k in (cover[i],) if k >= 0 and cover[i + last] == k}
            else:
                sentences = self.document.sentences
                got = set()
                for i in at:
                    k = self.sentence_at(i)
                    if sentences[k].start <= i and i + last < sentences[k].end:
                        got.add(k)
            self._lit_sents[lit] = got
        return got

    def hit_sentences(self, leaf: "Leaf") -> set[int]:
        """The sentences where hits of `leaf` start."""
        starts = self.hits(leaf)[0]
        sent_of = self._sent_of
        if sent_of is not None and (not starts or starts[-1] < len(sent_of)):
            return {sent_of[s] for s in starts}
        return {self.sentence_at(s) for s in starts}

    def cannot_match(self, node: "Node", span: Span, anchor: int) -> bool:
        """True when `node`, evaluated over the anchor sentence itself, is known not to match there (see
        necessary); False when it may, or when `span` is another unit."""
        if self._sent_spans[anchor] != span:
            return False
        key = id(node)
        bound = self._necessary[key] if key in self._necessary else self.necessary(node)
        return bound is not None and anchor not in bound

    def necessary(self, node: "Node") -> set[int] | None:
        """Sentences outside which `node`, evaluated over a sentence, cannot match (None: no such bound);
        memoised per node, since definitions are shared by many rules."""
        key = id(node)
        if key in self._necessary:
            return self._necessary[key]
        got = self._necessary[key] = node.necessary(self) if node.scope in (None, "sentence") else None
        return got

    def match_set(self, node: "Node", anchors: set[int], ctx: str) -> set[int]:
        """Exactly the anchors k of `anchors` where `node.eval(doc, unit_span(ctx, k), k)` matches, found a
        node at a time over the whole set (set operations, and each leaf asked only about the anchors its
        siblings left) rather than a sentence at a time through the whole tree. Memoised per node (definitions
        are shared by many rules) and kind of unit, up to MEMO_MAX sentences; a leaf's hits are memoised
        already."""
        ctx = node.scope or ctx
        if isinstance(node, Leaf) and not isinstance(node, DateLeaf) or len(self._sent_spans) > MEMO_MAX:
            return node.match_set(self, anchors, ctx)  # a leaf's hits are memoised already; or too large to keep
        key = (id(node), ctx)
        memo = self._matched.get(key)
        if memo is None:
            memo = self._matched[key] = (set(), set())
        asked, yes = memo
        todo = anchors - asked
        if todo:
            yes |= node.match_set(self, todo, ctx)
            asked |= todo
        return anchors & yes

    def each_unit(self, ctx: str, anchors: set[int]) -> dict[Span, list[int]]:
        """The anchors grouped by their unit of kind `ctx`."""
        out: dict[Span, list[int]] = {}
        span = self.unit_span
        for k in anchors:
            out.setdefault(span(ctx, k), []).append(k)
        return out

    def _regex_sentences(self, leaf: "Leaf") -> list[int] | range:
        # a sentence without the regex's required literals cannot hold a match: not scanned
        lit = self.literal_sentences(leaf.literals) if leaf.literals is not None else None
        if not leaf.prefixes or leaf.inside_word:
            return range(len(self.document.sentences)) if lit is None else sorted(lit)
        if self._sorted_vocab is None:
            self._sorted_vocab = sorted(self.vocab)
        words = self._sorted_vocab
        found: set[int] = set()
        sent_of = self._sent_of.__getitem__ if self._sent_of is not None else self.sentence_at  # word starts
        for p in leaf.prefixes:  # the words starting with p form one run of the sorted vocabulary
            for word in words[bisect_left(words, p):bisect_left(words, p + "\uffff")]:
                found.update(map(sent_of, self.vocab[word]))
        return sorted(found if lit is None else found & lit)

    def _regex_hits(self, leaf: "Leaf", span: Span) -> list[Span]:
        s = span[0]
        if span[1] - s > CHUNKED_MIN and leaf.barriers and leaf.literals is not None and self.lower:
            return self._chunked_hits(leaf, span)
        return [(s + m.start(), s + m.end()) for m in leaf.regex.finditer(self.text[s:span[1]]) if m.end() > m.start()]

    def _chunked_hits(self, leaf: "Leaf", span: Span) -> list[Span]:
        """What finditer over the unit gives, found by searching only the stretches between two barrier
        characters (Leaf.barriers) that hold one of the regex's required literals. Exact: a match holds such a
        literal and runs over no barrier, so none starts before the barrier preceding the next literal; and
        as neither the match nor a look-ahead reads past the next barrier, a search cut short just after it
        (endpos) decides every start up to it as the whole text would. The regex cannot match the empty
        string, so finditer is plain repeated search."""
        s, e = span
        x = self.text[s:e]
        search = leaf.regex.search
        starts, ends, _ = self._literal_occurrences(leaf.literals[0])  # type: ignore[index]
        bars = self._barrier_positions(leaf.barriers)
        out: list[Span] = []
        pos = s
        n = len(starts)
        while True:
            i = bisect_left(starts, pos)
            while i < n and starts[i] < e and ends[i] > e:
                i += 1
            if i == n or starts[i] >= e:
                return out
            o = starts[i]
            k = bisect_left(bars, o)
            jump = bars[k - 1] + 1 if k and bars[k - 1] + 1 > pos else pos
            stop = bars[k] + 1 if k < len(bars) and bars[k] < e else e
            m = search(x, jump - s, stop - s)
            if m is None:
                if stop >= e:
                    return out
                pos = stop
            else:
                out.append((s + m.start(), s + m.end()))
                pos = s + m.end()

    def _barrier_positions(self, chars: str) -> list[int]:
        got = self._barriers.get(chars)
        if got is None:
            got = self._barriers[chars] = [m.start() for m in re.finditer(f"[{re.escape(chars)}]", self.text)]
        return got

    def _indexed_hits(self, leaf: "Leaf") -> list[Span]:
        """Try the leaf's phrases only where one of their first words occurs (the word index), not at every
        character: the reason matching stays fast however many phrases a pack has."""
        found: list[Span] = []
        text = self.text
        memo = self._group_hits
        vocab = self.vocab
        for group_key, source in leaf.groups.items():  # type: ignore[union-attr]
            if group_key[0] == "=" and group_key[1] not in vocab:
                continue  # most groups start with a word the text lacks (a plural, another spelling)
            got = memo.get((group_key, source))  # the same group recurs in many leaves
            if got is None:
                kind, word = group_key
                if kind == "=":
                    positions = self.vocab.get(word, ())
                else:  # the words starting with `word` form one run of the sorted vocabulary
                    if self._sorted_vocab is None:
                        self._sorted_vocab = sorted(self.vocab)
                    words = self._sorted_vocab
                    positions = []
                    for i in range(bisect_left(words, word), len(words)):
                        if not words[i].startswith(word):
                            break
                        positions.extend(self.vocab[words[i]])
                got = []
                if positions:
                    match = leaf.group_regex(group_key).match
                    for pos, m in zip(positions, map(match, repeat(text), positions)):
                        if m is not None:
                            end = m.end()
                            if end > pos:
                                got.append((pos, end))
                memo[(group_key, source)] = got
            found += got
        # like a left-to-right scan: a hit inside a longer, earlier-starting hit is not a hit of its own (of the
        # hits starting at one offset, the longest is the candidate)
        out: list[Span] = []
        last_end = -1
        prev: Span | None = None
        for sp in sorted(set(found)):
            if prev is not None and prev[0] != sp[0] and prev[1] > last_end:
                out.append(prev)
                last_end = prev[1]
            prev = sp
        if prev is not None and prev[1] > last_end:
            out.append(prev)
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
        sent_of = self._sent_of
        if sent_of is not None and 0 <= offset < len(sent_of):
            return sent_of[offset]
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

    def match_set(self, doc: Doc, anchors: set[int], ctx: str) -> set[int]:
        """The anchors where this node, evaluated over their unit of kind `ctx` (its own scope already
        applied), matches: see Doc.match_set. By default one anchor at a time."""
        span = doc.unit_span
        _eval = self._eval
        return {k for k in anchors if _eval(doc, span(ctx, k), k) is not None}

    def positive_leaves(self) -> list["Leaf"] | None:
        """Leaves whose hits can make this node match (candidate generation): a sentence without a hit of
        one of them cannot match. None when no such set can be given (then every sentence is a candidate)."""
        return None

    def necessary(self, doc: Doc) -> set[int] | None:
        """The sentences where this node, evaluated over that sentence, can match; a superset, from cheap
        evidence only (word-indexed phrase hits, the literals a regex requires). None: no bound. Called
        through Doc.necessary, only for nodes whose scope is None or sentence."""
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
    # for a regex: strings one of which every match contains (required_literals); a sentence or unit without
    # any of them is not scanned
    literals: tuple[tuple[str, ...], ...] | None = None
    barriers: str = ""  # characters no match runs over (regex_barriers): a long unit is searched piecewise
    _compiled: dict = field(default_factory=dict, repr=False)
    # what the leaf's hits depend on, as a small number: leaves written the same way in several rules
    # share their hits
    key: int = field(default=-1, init=False, repr=False, compare=False)

    def __post_init__(self):
        self.key = _leaf_key(self.pattern, self.groups)

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.key = _leaf_key(self.pattern, self.groups)

    @property
    def regex(self) -> re.Pattern:
        rx = self._compiled.get(None)
        if rx is None:
            rx = self._compiled[None] = _compile_cached(self.pattern)
        return rx

    def group_regex(self, key: tuple[str, str]) -> re.Pattern:
        rx = self._compiled.get(key)
        if rx is None:
            rx = self._compiled[key] = _compile_cached(self.groups[key])  # type: ignore[index]
        return rx

    def __getstate__(self):  # pickled (the pack cache) without compiled regexes: they are rebuilt on use
        state = dict(self.__dict__)
        state["_compiled"] = {}
        del state["key"]  # numbered afresh in each process
        return state

    def eval(self, doc, span, anchor):  # Node.eval and _eval in one call: leaves are evaluated most often
        if self.scope is not None:
            span = doc.unit_span(self.scope, anchor)
        return doc.unit_hits(self, span, anchor) or None

    def _eval(self, doc, span, anchor):
        return doc.unit_hits(self, span, anchor) or None

    def match_set(self, doc, anchors, ctx):
        hits = doc.unit_hits
        if ctx == "sentence" and doc._apart:
            whole = self.groups is not None or id(self) in doc._hits_asked  # the hits by sentence, as unit_hits has
            if not whole:
                pool = doc.literal_sentences(self.literals) if self.literals is not None and doc.lower else None
                if pool is not None:  # a sentence without the required literals: no hit
                    anchors = anchors & pool
                # asked about most of the sentences it may match in: scan them all once (a table by sentence)
                whole = len(anchors) > LAZY_MAX and 2 * len(anchors) >= len(doc._sent_spans if pool is None else pool)
            if whole:
                return anchors & doc.by_sentence(self).keys()
            # scanned sentence by sentence, only those asked about (what unit_hits does, without its checks)
            spans, memo, scan, key = doc._sent_spans, doc._unit_hits, doc._regex_hits, self.key
            out = set()
            for k in anchors:
                sp = spans[k]
                got = memo.get((key, sp))
                if got is None:
                    got = memo[(key, sp)] = scan(self, sp)
                if got:
                    out.add(k)
            return out
        out: set[int] = set()
        for unit, ks in doc.each_unit(ctx, anchors).items():
            if hits(self, unit, ks[0]):
                out.update(ks)
        return out

    def positive_leaves(self):
        return [self] if self.scope in (None, "sentence") else None

    def necessary(self, doc):
        if self.groups is not None:
            return doc.hit_sentences(self)
        return doc.literal_sentences(self.literals) if self.literals is not None else None


@dataclass(eq=False)
class DateLeaf(Leaf):
    """A calendar date in any of the usual written forms (`date: true`); only real dates match."""

    eval = Node.eval

    def _eval(self, doc, span, anchor):
        return [sp for sp in doc.unit_hits(self, span, anchor) if parse_date(doc.text[sp[0]:sp[1]])] or None

    def match_set(self, doc, anchors, ctx):
        return Node.match_set(self, doc, Leaf.match_set(self, doc, anchors, ctx), ctx)


@dataclass(eq=False)
class Any(Node):
    children: Sequence[Node] = ()

    def eval(self, doc, span, anchor):
        if self.scope is not None:
            span = doc.unit_span(self.scope, anchor)
        elif doc.cannot_match(self, span, anchor):
            return None
        return self._eval(doc, span, anchor)

    def _eval(self, doc, span, anchor):
        out: list[Span] | None = None
        for c in self.children:
            r = c.eval(doc, span, anchor)
            if r is not None:
                out = (out or []) + r
        return out

    def match_set(self, doc, anchors, ctx):
        anchors = _bounded(self, doc, anchors, ctx)
        out: set[int] = set()
        for c in self.children:
            if not anchors:
                break
            got = doc.match_set(c, anchors, ctx)
            if got:
                out |= got
                anchors = anchors - got
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

    def necessary(self, doc):
        out: set[int] = set()
        for c in self.children:
            got = doc.necessary(c)
            if got is None:
                return None
            out |= got
        return out


@dataclass(eq=False)
class All(Node):
    children: Sequence[Node] = ()

    def eval(self, doc, span, anchor):
        if self.scope is not None:
            span = doc.unit_span(self.scope, anchor)
        elif doc.cannot_match(self, span, anchor):
            return None
        return self._eval(doc, span, anchor)

    def _eval(self, doc, span, anchor):
        out: list[Span] = []
        for c in self.children:
            r = c.eval(doc, span, anchor)
            if r is None:
                return None
            out += r
        return out

    def match_set(self, doc, anchors, ctx):
        anchors = _bounded(self, doc, anchors, ctx)
        for c in self.children:
            if not anchors:
                break
            anchors = doc.match_set(c, anchors, ctx)
        return anchors

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

    def necessary(self, doc):
        return _intersect(doc, self.children)


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

    def necessary(self, doc):
        return _intersect(doc, self.children)

    def match_set(self, doc, anchors, ctx):
        anchors = _bounded(self, doc, anchors, ctx)
        for c in self.children:  # each child must match (with spans of its own, which _eval then tests)
            if not anchors:
                return anchors
            anchors = doc.match_set(c, anchors, ctx)
        return Node.match_set(self, doc, anchors, ctx)


def _bounded(node: Node, doc: Doc, anchors: set[int], ctx: str) -> set[int]:
    """The anchors where `node` may match, by its cheap bound (Doc.necessary) when evaluated over sentences."""
    if ctx == "sentence":
        bound = doc.necessary(node)
        if bound is not None:
            return anchors & bound
    return anchors


def _intersect(doc: Doc, children: Sequence[Node]) -> set[int] | None:
    """Every child must match over the same sentence: the intersection of their bounds (children of a wider
    scope look beyond the sentence and give none)."""
    out: set[int] | None = None
    for c in children:
        if c.scope not in (None, "sentence"):
            continue
        got = doc.necessary(c)
        if got is not None:
            out = got if out is None else out & got
            if not out:
                break
    return out


@dataclass(eq=False)
class Not(Node):
    child: Node = None  # type: ignore[assignment]

    def _eval(self, doc, span, anchor):
        return [] if self.child.eval(doc, span, anchor) is None else None

    def match_set(self, doc, anchors, ctx):
        return anchors - doc.match_set(self.child, anchors, ctx)


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


_INTERNED: dict[str, str] = {}


def _alternation(regexes: list[str]) -> str:
    alts = sorted(set(regexes), key=lambda a: (-len(a), a))
    out = "|".join(f"(?:{a})" for a in alts)
    return _INTERNED.setdefault(out, out)  # one string for the same group in every leaf (and pickle)


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
    pattern = _alternation(regexes)
    literals, barriers = None, ""
    if groups is None:  # scanned like a regex: look for its required literals first
        from re import _parser  # noqa: PLC0415

        tree = _parser.parse(pattern, _FLAGS)
        literals, barriers = required_literals(tree), regex_barriers(tree)
    return Leaf(
        pattern=pattern,
        source=" | ".join(phrases),
        groups=None if groups is None else {k: _alternation(v) for k, v in sorted(groups.items())},
        literals=literals,
        barriers=barriers,
    )


_REGEX_LEAF_FIELDS: dict[str, tuple[re.Pattern, dict]] = {}


def _regex_leaf_fields(source: str) -> tuple[re.Pattern, dict]:
    """check_regex and what the parse tree tells about a regex, once per source (rules repeat regexes)."""
    got = _REGEX_LEAF_FIELDS.get(source)
    if got is None:
        tree, compiled = check_regex(source)
        prefixes, inside_word = regex_prefixes(tree)
        fields = dict(prefixes=prefixes, inside_word=inside_word, literals=required_literals(tree),
                      barriers=regex_barriers(tree))
        got = _REGEX_LEAF_FIELDS[source] = (compiled, fields)
    return got


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
            compiled, fields = _regex_leaf_fields(source)
            node = Leaf(pattern=source, source=spec["regex"], **fields)
            node._compiled[None] = compiled
        elif "date" in spec:
            compiled, fields = _regex_leaf_fields(DATE_PATTERN)
            node = DateLeaf(pattern=DATE_PATTERN, source="date", **fields)
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
        found |= doc.hit_sentences(leaf)
    return sorted(found)


def find(node: Node, doc: Doc, scope: str = "sentence") -> list[tuple[int, list[Span]]]:
    """All units (named by their first candidate sentence) where `node` matches, in document order."""
    out = []
    seen_units: set[Span] = set()
    bound = doc.necessary(node) if scope == "sentence" else None
    if bound is not None:  # the sentences where the node may match, cheaply known: without scanning regexes
        cands = sorted(bound)
    else:  # over wider units the first candidate that matches names the unit, so they stay those of the leaves
        cands = candidates(node, doc)
    for idx in sorted(doc.match_set(node, set(cands), scope)):  # where it matches; then the spans, only there
        unit = doc.unit_span(scope, idx)
        if scope != "sentence":
            if unit in seen_units:
                continue
        r = node.eval(doc, unit, idx)
        if r is not None:
            seen_units.add(unit)
            out.append((idx, r))
    return out
