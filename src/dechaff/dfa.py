"""Regular expressions compiled to one DFA that finds, in one pass over a text, which
of them match somewhere in it (features._cues runs it in C, see _textscan.c).

Python's ``re`` searches each pattern in turn and backtracks; the cues only ask
*whether* each pattern matches a block, which a deterministic automaton answers in
one step per character for all patterns at once. The automaton reads lower-cased
text: patterns are written in lower case and stand for case-insensitive ones (see
needles.lowercase_pattern for when the two agree).

Characters are read as classes: every ASCII character, each non-ASCII character the
patterns name, and four classes for the rest (decimal digits, other word characters,
white space, anything else), which the patterns can only tell apart by those
categories. ``\\b`` and ``^`` are handled by carrying, in each state, what the
previous character was (none yet, a word character or another).

Only a subset of the syntax is compiled: literals, character classes of ASCII
ranges, ``\\d \\w \\s`` and their negations, ``.``, groups, alternation, bounded and
unbounded repeats, ``\\b \\B`` and ``^``. Anything else (lookarounds, back
references, flags such as ``(?i)`` or ``(?m)``, ``$``) makes ``compile_patterns``
return None, and the caller searches with ``re``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

try:  # the parsed-pattern opcodes and parser
    import re._constants as sre_constants
    import re._parser as sre_parse
except ImportError:  # Python 3.10
    import sre_constants
    import sre_parse

# A repeat expands into this many copies of its item at most (``\d{1,2}`` is two).
MAX_REPEAT_COPIES = 16
# Bigger automata are not worth building: the caller falls back to ``re``.
MAX_STATES = 20_000
# Patterns are reported as the bits of one unsigned 32-bit mask.
MAX_PATTERNS = 32

# Representatives of the non-ASCII characters the patterns do not name: a decimal
# digit (Arabic-Indic three), a letter (e acute), a space (em space), a symbol (dagger).
RESIDUALS = {"digit": "\u0663", "word": "\u00e9", "space": "\u2003", "other": "\u2020"}

# What came before the current position, for \b and ^.
START, NONWORD, WORD = 0, 1, 2


class Unsupported(ValueError):
    """A pattern uses syntax this compiler does not handle."""


def is_word(ch: str) -> bool:
    """``re``'s \\w for str patterns: alphanumeric (Unicode) or the underscore."""
    return ch.isalnum() or ch == "_"


_CATEGORIES = {
    sre_constants.CATEGORY_DIGIT: str.isdecimal,
    sre_constants.CATEGORY_NOT_DIGIT: lambda ch: not ch.isdecimal(),
    sre_constants.CATEGORY_WORD: is_word,
    sre_constants.CATEGORY_NOT_WORD: lambda ch: not is_word(ch),
    sre_constants.CATEGORY_SPACE: str.isspace,
    sre_constants.CATEGORY_NOT_SPACE: lambda ch: not ch.isspace(),
}


def _member_test(member, value):
    if member is sre_constants.LITERAL:
        return lambda ch: ch == chr(value)
    if member is sre_constants.RANGE:
        if value[1] > 127:
            raise Unsupported("a range beyond ASCII")
        return lambda ch: value[0] <= ord(ch) <= value[1]
    if member is sre_constants.CATEGORY and value in _CATEGORIES:
        return _CATEGORIES[value]
    raise Unsupported(f"class member {member}")


def _charset(op, av):
    """A predicate over characters for a parsed character-matching item, else None."""
    if op is sre_constants.LITERAL:
        return lambda ch: ch == chr(av)
    if op is sre_constants.NOT_LITERAL:
        return lambda ch: ch != chr(av)
    if op is sre_constants.ANY:
        return lambda ch: ch != "\n"
    if op is sre_constants.IN:
        negate = bool(av) and av[0][0] is sre_constants.NEGATE
        tests = [_member_test(m, v) for m, v in (av[1:] if negate else av)]
        return lambda ch: any(t(ch) for t in tests) != negate
    return None


def _named_chars(items, found: set[str]) -> None:
    """Every non-ASCII character a parsed pattern names, into ``found``."""
    for op, av in items:
        if op in (sre_constants.LITERAL, sre_constants.NOT_LITERAL) and av > 127:
            found.add(chr(av))
        elif op is sre_constants.IN:
            found.update(chr(v) for m, v in av if m is sre_constants.LITERAL and v > 127)
        elif op is sre_constants.SUBPATTERN:
            _named_chars(av[-1], found)
        elif op is sre_constants.BRANCH:
            for alternative in av[1]:
                _named_chars(alternative, found)
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            _named_chars(av[2], found)


class _NFA:
    """Thompson automaton: per node, edges (kind, argument, target)."""

    def __init__(self, representatives: list[str]) -> None:
        self.edges: list[list[tuple[str, object, int]]] = []
        self.representatives = representatives

    def node(self) -> int:
        self.edges.append([])
        return len(self.edges) - 1

    def sequence(self, items, start: int) -> int:
        """Add a parsed sequence after ``start``; returns its end node."""
        for op, av in items:
            start = self.item(op, av, start)
        return start

    def item(self, op, av, start: int) -> int:
        test = _charset(op, av)
        end = self.node()
        if test is not None:
            classes = frozenset(k for k, ch in enumerate(self.representatives) if test(ch))
            self.edges[start].append(("char", classes, end))
        elif op is sre_constants.SUBPATTERN:
            if av[1] or av[2]:
                raise Unsupported("inline flags")
            self.edges[self.sequence(av[-1], start)].append(("eps", None, end))
        elif op is sre_constants.BRANCH:
            for alternative in av[1]:
                self.edges[self.sequence(alternative, start)].append(("eps", None, end))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            self._repeat(*av, start, end)
        elif op is sre_constants.AT and av in (sre_constants.AT_BOUNDARY,
                                               sre_constants.AT_NON_BOUNDARY):
            self.edges[start].append(("bound", av is sre_constants.AT_BOUNDARY, end))
        elif op is sre_constants.AT and av in (sre_constants.AT_BEGINNING,
                                               sre_constants.AT_BEGINNING_STRING):
            self.edges[start].append(("begin", None, end))
        else:
            raise Unsupported(f"{op} {av}")
        return end

    def _repeat(self, low: int, high, items, start: int, end: int) -> None:
        unbounded = high is sre_constants.MAXREPEAT
        if low > MAX_REPEAT_COPIES or (not unbounded and high > MAX_REPEAT_COPIES):
            raise Unsupported("a repeat too long to spell out")
        for _ in range(low):
            start = self.sequence(items, start)
        if unbounded:
            loop_end = self.sequence(items, start)
            self.edges[loop_end].append(("eps", None, start))
        else:
            for _ in range(high - low):
                self.edges[start].append(("eps", None, end))
                start = self.sequence(items, start)
        self.edges[start].append(("eps", None, end))


@dataclass(frozen=True)
class CueAutomaton:
    """The compiled patterns: ``transitions[state, class]`` is the next state, and
    ``matched[state, class]`` the patterns (bits) whose match ends before that
    character; ``matched_at_end[state]`` those whose match ends with the text."""

    ascii_classes: np.ndarray  # uint8 or int32 per ASCII code point
    named: dict[str, int]  # non-ASCII characters the patterns name -> class
    residual: tuple[int, int, int, int]  # classes of other digits, letters, spaces, rest
    transitions: np.ndarray  # int32 (states, classes)
    matched: np.ndarray  # uint32 (states, classes)
    matched_at_end: np.ndarray  # uint32 (states,)

    def class_of(self, ch: str) -> int:
        """The class of one (already lower-cased) character, as _textscan finds it."""
        if ord(ch) < 128:
            return int(self.ascii_classes[ord(ch)])
        if ch in self.named:
            return self.named[ch]
        digit, word, space, rest = self.residual
        if ch.isdecimal():
            return digit
        if is_word(ch):
            return word
        return space if ch.isspace() else rest

    def search(self, text: str) -> int:
        """The bits of the patterns that match ``text`` (lower-cased), in Python: the
        reference for the C scan, and what tests compare with ``re``."""
        state, found = 0, 0
        for ch in text:
            k = self.class_of(ch)
            found |= int(self.matched[state, k])
            state = int(self.transitions[state, k])
        return found | int(self.matched_at_end[state])


def _representatives(items_list) -> tuple[list[str], dict[str, int], list[str]]:
    named: set[str] = set()
    for items in items_list:
        _named_chars(items, named)
    if any(ch in RESIDUALS.values() for ch in named):
        raise Unsupported("a pattern names a residual representative")
    chars = [chr(c) for c in range(128)] + sorted(named) + list(RESIDUALS.values())
    return chars, {ch: i for i, ch in enumerate(chars)}, sorted(named)


def _merge_classes(chars: list[str], nfa: _NFA) -> list[int]:
    """Characters no edge tells apart (and alike for \\b) share one class."""
    char_sets = sorted({arg for edges in nfa.edges for kind, arg, _ in edges
                        if kind == "char"}, key=sorted)
    signatures: dict[tuple, int] = {}
    return [signatures.setdefault(
        (is_word(ch), tuple(i in s for s in char_sets)), len(signatures))
        for i, ch in enumerate(chars)]


class _Builder:
    """Subset construction over (NFA nodes, what came before)."""

    def __init__(self, nfa: _NFA, starts: list[int], accepts: dict[int, int],
                 classes: list[int], words: list[bool]) -> None:
        self.nfa, self.starts, self.accepts = nfa, starts, accepts
        self.classes, self.words = classes, words
        self.n_classes = max(classes) + 1
        # one character of each class, to step over
        self.members = [classes.index(k) for k in range(self.n_classes)]

    def closure(self, kernel: frozenset[int], before: int, next_word: bool):
        seen = set(kernel) | set(self.starts)
        stack = list(seen)
        while stack:
            for kind, arg, target in self.nfa.edges[stack.pop()]:
                if target in seen or kind == "char":
                    continue
                if kind == "bound" and ((before == WORD) != next_word) != arg:
                    continue
                if kind == "begin" and before != START:
                    continue
                seen.add(target)
                stack.append(target)
        mask = 0
        for node in seen:
            mask |= self.accepts.get(node, 0)
        return seen, mask

    def build(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        index = {(frozenset(), START): 0}
        queue = [(frozenset(), START)]
        transitions, matched, at_end = [], [], []
        while queue:
            kernel, before = queue.pop(0)
            row, hits = [], []
            closures = {w: self.closure(kernel, before, w) for w in (False, True)}
            for k in range(self.n_classes):
                char = self.members[k]
                nodes, mask = closures[self.words[char]]
                target = frozenset(t for n in nodes for kind, arg, t in self.nfa.edges[n]
                                   if kind == "char" and char in arg)
                key = (target, WORD if self.words[char] else NONWORD)
                if key not in index:
                    if len(index) >= MAX_STATES:
                        raise Unsupported("too many states")
                    index[key] = len(index)
                    queue.append(key)
                row.append(index[key])
                hits.append(mask)
            transitions.append(row)
            matched.append(hits)
            at_end.append(closures[False][1])
        return (np.array(transitions, dtype=np.int32), np.array(matched, dtype=np.uint32),
                np.array(at_end, dtype=np.uint32))


# Flags a whole pattern may carry: str patterns are Unicode, and verbose patterns
# parse to the same items. Others ((?i), (?a), (?m), (?s)...) change what the items mean.
_SAFE_FLAGS = sre_constants.SRE_FLAG_UNICODE | sre_constants.SRE_FLAG_VERBOSE


def _parse(source: str):
    parsed = sre_parse.parse(source)
    if parsed.state.flags & ~_SAFE_FLAGS:
        raise Unsupported("flags for the whole pattern")
    return parsed.data


def compile_patterns(sources: list[str]) -> CueAutomaton | None:
    """One automaton for case-sensitive ``sources`` (bit i: the i-th matches), or None
    when one of them uses syntax outside the compiled subset or there are too many."""
    if len(sources) > MAX_PATTERNS:
        return None
    try:
        parsed = [_parse(source) for source in sources]
        chars, position, named = _representatives(parsed)
        nfa = _NFA(chars)  # char edges hold character positions, merged below
        starts, accepts = [], {}
        for bit, items in enumerate(parsed):
            start = nfa.node()
            starts.append(start)
            accepts[nfa.sequence(items, start)] = 1 << bit
        classes = _merge_classes(chars, nfa)
        words = [is_word(ch) for ch in chars]
        transitions, matched, at_end = _Builder(nfa, starts, accepts, classes,
                                                words).build()
    except (Unsupported, re.error):
        return None
    residual = tuple(classes[position[ch]] for ch in RESIDUALS.values())
    return CueAutomaton(np.array(classes[:128], dtype=np.int32),
                        {ch: classes[position[ch]] for ch in named}, residual,
                        transitions, matched, at_end)
