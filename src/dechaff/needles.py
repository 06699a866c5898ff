"""A prefilter for case-insensitive searches of many texts (features._cues).

A text can match a pattern only if its lower-cased form holds one of the pattern's
*needles*, literal strings that every match contains. Finding needles with str.find
is far cheaper than running the pattern over every text.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

try:  # the search in C (see _textscan.c), built by pip install where it can be
    from . import _textscan
except ImportError:  # no C compiler at install time: str.find serves
    _textscan = None

try:  # the parsed-pattern opcodes and parser
    import re._constants as sre_constants
    import re._parser as sre_parse
except ImportError:  # Python 3.10
    import sre_constants
    import sre_parse

# Needle sets grow by concatenating alternatives ("sign" + "up" / "in"); at most this many.
MAX_NEEDLES = 64
# Needles this long are selective enough; beyond it, fewer needles is better.
GOOD_NEEDLE_CHARS = 4
_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT)


def _exact(op, av) -> set[str] | None:
    """The strings a parsed item matches, if it matches only literal strings."""
    if op is sre_constants.LITERAL:
        return {chr(av)}
    if op is sre_constants.AT:  # zero width: adds nothing to the string
        return {""}
    if op is sre_constants.IN and all(o is sre_constants.LITERAL for o, _ in av):
        return {chr(c) for _, c in av}  # a class of single characters: [$€£]
    if op is sre_constants.SUBPATTERN:
        return _exact_sequence(av[-1])
    if op is sre_constants.BRANCH:
        strings: set[str] = set()
        for alternative in av[1]:
            exact = _exact_sequence(alternative)
            if exact is None:
                return None
            strings |= exact
        return strings
    return None


def _exact_sequence(items) -> set[str] | None:
    strings = {""}
    for op, av in items:
        exact = _exact(op, av)
        if exact is None or len(strings) * len(exact) > MAX_NEEDLES:
            return None
        strings = {a + b for a in strings for b in exact}
    return strings


def _inner_needles(op, av) -> set[str] | None:
    """Needles of an item that is not exact but must match something that holds one."""
    if op is sre_constants.SUBPATTERN:
        return _needles(av[-1])
    if op in _REPEATS and av[0] >= 1:
        return _needles(av[2])
    if op is sre_constants.BRANCH:
        found = [_needles(alternative) for alternative in av[1]]
        return set().union(*found) if all(found) else None
    return None


def _needle_score(needles: set[str]) -> tuple[int, int, int]:
    shortest = min(map(len, needles))
    return min(shortest, GOOD_NEEDLE_CHARS), -len(needles), shortest


def _needles(items) -> set[str] | None:
    """Strings one of which every match of a parsed sequence contains (None: no such
    set found): the best of its runs of exact items and of its items' own needles."""
    items = list(items)
    candidates = []
    for start in range(len(items)):
        strings = {""}
        for op, av in items[start:]:
            exact = _exact(op, av)
            if exact is None or len(strings) * len(exact) > MAX_NEEDLES:
                break
            strings = {a + b for a in strings for b in exact}
            candidates.append(strings)
        inner = _inner_needles(*items[start])
        if inner:
            candidates.append(inner)
    candidates = [c for c in candidates if "" not in c]
    return max(candidates, key=_needle_score, default=None)


@lru_cache(maxsize=256)
def _pattern_needles(pattern: re.Pattern) -> tuple[tuple[str, ...], frozenset[str]] | None:
    """A case-insensitive pattern's lower-case needles and the characters that make them
    unsafe (see _unsafe_chars); None when the pattern has no needles."""
    needles = _needles(sre_parse.parse(pattern.pattern, pattern.flags).data)
    if not needles or not pattern.flags & re.IGNORECASE:
        return None
    literals = set("".join(needles))
    if any(len(ch.lower()) != 1 for ch in literals):
        return None
    wide = "".join(sorted(ch for ch in literals if not ch.isascii()))
    return tuple(sorted(n.lower() for n in needles)), _unsafe_chars(wide)


_ASCII = "".join(map(chr, range(128)))


@lru_cache(maxsize=16)
def _unsafe_chars(wide: str) -> frozenset[str]:
    """Characters that match an ASCII character or one of ``wide`` case-insensitively
    (as ``re`` does it) but do not lower-case to it ("ſ" matches "s"): in a text, they
    void the needles. Found by trying every code point, once per process."""
    literals = _ASCII + wide
    every = np.arange(0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    matching = set(re.findall(f"[{re.escape(literals)}]", every, re.IGNORECASE))
    return frozenset(  # case-insensitive equality is symmetric: ch finds its literals
        ch for ch in matching
        if any(ch.lower() != literal.lower()
               for literal in re.findall(re.escape(ch), literals, re.IGNORECASE))
    )


_LITERAL_OPS = (sre_constants.LITERAL, sre_constants.NOT_LITERAL)


def _class_chars(members) -> list[str]:
    """The literal characters of a parsed character class (ranges spelled out)."""
    chars: list[str] = []
    for member, value in members:
        if member is sre_constants.RANGE:
            chars += map(chr, range(value[0], value[1] + 1))
        elif member in _LITERAL_OPS:
            chars.append(chr(value))
    return chars


def _inner_sequences(op, av) -> list | None:
    """The parsed sequences inside a group, alternation, repeat or lookaround."""
    if op is sre_constants.SUBPATTERN:
        return [av[-1]]
    if op is sre_constants.BRANCH:
        return av[1]
    if op in _REPEATS:
        return [av[2]]
    if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        return [av[1]]
    return None


def _lowercase_literals(items, wide: set[str]) -> bool:
    """Whether every literal character a parsed pattern names is lower case (those
    outside ASCII are added to ``wide``); False also for what this cannot vouch for
    (backreferences, conditionals)."""
    for op, av in items:
        if op in (sre_constants.AT, sre_constants.ANY, sre_constants.CATEGORY):
            continue
        if op in _LITERAL_OPS or op is sre_constants.IN:
            chars = [chr(av)] if op in _LITERAL_OPS else _class_chars(av)
            if any(ch.lower() != ch for ch in chars):
                return False
            wide.update(ch for ch in chars if not ch.isascii())
            continue
        inner = _inner_sequences(op, av)
        if inner is None or not all(_lowercase_literals(seq, wide) for seq in inner):
            return False
    return True


@lru_cache(maxsize=64)
def lowercase_pattern(pattern: re.Pattern) -> tuple[re.Pattern, frozenset[str]] | None:
    """A case-insensitive pattern written in lower case, as a case-sensitive one for
    lower-cased text (re runs it several times faster), and the characters that void
    the swap (see _unsafe_chars); None when the pattern does not qualify.

    On a lower-cased text of the same length as the original and holding none of those
    characters, in neither form, the two patterns match at the same places: each
    literal and class is lower case, and \\w, \\d, \\s do not change under lower-casing.
    """
    wide: set[str] = set()
    parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    if not pattern.flags & re.IGNORECASE or not _lowercase_literals(parsed.data, wide):
        return None
    sensitive = re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)
    return sensitive, _unsafe_chars("".join(sorted(wide)))


# _textscan's automata find at most this many needles in one pass.
NEEDLES_PER_PASS = 64


@lru_cache(maxsize=64)
def _automaton(needles: tuple[str, ...]) -> bytes:
    """_textscan's automaton for up to NEEDLES_PER_PASS needles (built once each)."""
    return _textscan.build_needles([n.encode("utf-8", "surrogatepass") for n in needles])


class CaselessFinder:
    """Which of some texts may match case-insensitive patterns (see _pattern_needles).

    ``containing`` may say True of a text that does not match, never False of one that
    does: a filter before the pattern itself.
    """

    def __init__(self, texts: list[str], separator: str) -> None:
        self.joined = separator.join(texts)
        self.lowered = self.joined.lower()
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        self.starts = np.cumsum(lengths + 1) - (lengths + 1)
        # One character lower-casing to two would shift every position after it.
        self.aligned = len(self.lowered) == len(self.joined)
        self._separator = separator
        self._scan: tuple[bytes, np.ndarray] | bool | None = None  # see _utf8

    def _utf8(self) -> tuple[bytes, np.ndarray] | None:
        """The lowered texts as UTF-8, and where each ends, for _textscan (worked out
        once); None where the separator is not one ASCII character or the texts hold it."""
        if self._scan is None:
            self._scan = False
            if len(self._separator) == 1 and self._separator.isascii():
                encoded = self.lowered.encode("utf-8", "surrogatepass")
                ends = np.flatnonzero(np.frombuffer(encoded, dtype=np.uint8)
                                      == ord(self._separator))
                if len(ends) == len(self.starts) - 1:
                    self._scan = (encoded, np.append(ends, len(encoded)).astype(np.int64))
        return self._scan or None

    def lowercase_is_exact(self, unsafe: frozenset[str]) -> bool:
        """Whether the lowered texts line up with the texts and hold none of the
        ``unsafe`` characters in either form (Σ lowers to ς at the end of a word)."""
        return self.aligned and not any(
            ch in self.joined or ch in self.lowered for ch in unsafe)

    def containing(self, pattern: re.Pattern) -> np.ndarray:
        """Per text: whether it may match ``pattern`` (True for all if unsure)."""
        return self.containing_each([pattern])[:, 0]

    def containing_each(self, patterns: list[re.Pattern]) -> np.ndarray:
        """(texts, patterns) bool: ``containing`` of each pattern, with one search for
        the needles of all of them."""
        out = np.ones((len(self.starts), len(patterns)), dtype=bool)
        searched = {}
        unsafe: dict[frozenset[str], bool] = {}  # patterns share their unsafe characters
        for j, pattern in enumerate(patterns):
            found = _pattern_needles(pattern) if self.aligned else None
            if found is None:
                continue
            if found[1] not in unsafe:
                unsafe[found[1]] = not self.lowercase_is_exact(found[1])
            if not unsafe[found[1]]:
                searched[j] = found[0]
        if searched:
            needles = sorted(set().union(*searched.values()))
            holds = self._holding(needles)
            column = {needle: k for k, needle in enumerate(needles)}
            for j, wanted in searched.items():
                out[:, j] = holds[:, [column[n] for n in wanted]].any(axis=1)
        return out

    def _holding(self, needles: list[str]) -> np.ndarray:
        """(texts, needles) bool: which lowered texts hold which needles."""
        scan = self._utf8() if _textscan is not None else None
        if scan is None:
            return np.column_stack([self._holding_in_python(n) for n in needles])
        columns = []
        for first in range(0, len(needles), NEEDLES_PER_PASS):
            chunk = tuple(needles[first:first + NEEDLES_PER_PASS])
            marks = np.zeros(len(self.starts), dtype=np.uint64)
            _textscan.mark_needles(scan[0], scan[1], _automaton(chunk), marks)
            bits = np.arange(len(chunk), dtype=np.uint64)
            columns.append((marks[:, None] >> bits) & np.uint64(1) == 1)
        return np.hstack(columns)

    def _holding_in_python(self, needle: str) -> np.ndarray:
        """Which lowered texts hold ``needle``, by str.find."""
        lowered, positions = self.lowered, []
        at = lowered.find(needle)
        while at >= 0:
            positions.append(at)
            at = lowered.find(needle, at + 1)
        hit = np.zeros(len(self.starts), dtype=bool)
        if positions:
            owner = np.searchsorted(self.starts, np.array(positions, dtype=np.int64), "right")
            hit[owner - 1] = True
        return hit
