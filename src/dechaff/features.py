"""Blocks to matrix: every block becomes a row of named numeric features.

``FEATURE_NAMES`` is the one list of what the model sees, in column order. The
groups, in that order:

- ``text.*``: the block's own text statistics (words, characters, link density...).
- ``cue.*``: boilerplate phrases in the block's text (copyright, cookies, sign-up...).
- ``kind.*``, ``tag.*``: what kind of block it is and which element owns it.
- ``in.*``: semantic context from the ancestors (main, article, nav, footer, roles).
- ``cls.*`` / ``anc.*``: words in the class/id/role/itemprop of the block's own
  elements / of any ancestor. Ancestors carry most of the signal (dragnet).
- ``pos.*``: place in the page and depth in the tree.
- ``nb.*``: the same text statistics for the neighbouring blocks, and a window.
- ``box.*``: the containers above the block: their share of the page's words and
  their link density, so the model can see the region a block belongs to; and
  whether the nearest container holds a donation or sign-up cue (the whole box is
  chrome, not just the paragraph that asks).
- ``rep.*``: how many siblings share the tag and classes of the block's element and
  of its containers: repeated cards, posts and list entries.
- ``page.*``: page-level size and link density, and what the page says it is
  (og:type, JSON-LD @type), so the model can tell a listing from an article.
- ``title.*``: how much of the block is the page's title, and where the block lies
  from the title's heading: chrome comes before it (menus, breadcrumbs) and the
  content starts there.
- ``dup.*``: how often the block's exact text recurs in the page (a menu repeated
  in the footer, a teaser repeated in a sidebar).

``CONTEXT_NAMES`` are the second pass's extra features: the first pass's content
probabilities around each block (neighbours, containers, page), as in stacking, and
over the blocks of the same *group*: blocks whose elements repeat one another
(the sibling cards of a listing, the posts of a thread, the paragraphs of one body),
so that repeated elements are kept or dropped together.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .blocks import Block
from .counts import TEXT_COUNTS, WORD, text_counts, word_overlap
from .dfa import compile_patterns
from .needles import CaselessFinder, lowercase_pattern
from .page import Page
from .structure import ancestor_or, chains, signature_ids

try:  # the class words in C (see _textscan.c), built by pip install where it can be
    from . import _textscan
except ImportError:  # no C compiler at install time: the Python functions serve
    _textscan = None
try:  # the second pass's group pooling in C (see _frames.c), where it is built
    from . import _frames
except ImportError:
    _frames = None

# Stems matched against the tokens of class, id, role and itemprop values. A stem of
# three or more letters matches tokens that start with it ("nav" matches
# "navigation"); a longer stem also matches inside a token ("sidebar" in
# "leftsidebar"). Two-letter stems must equal a token ("ad" but not "header").
CLASS_WORDS = tuple(
    """nav menu header footer sidebar side aside widget banner breadcrumb crumb cookie
    consent gdpr modal popup overlay dialog newsletter subscri signup login regist account
    search share social facebook twitter follow related recommend popular trending most
    more promo sponsor ad ads advert dfp outbrain taboola comment reply disqus respond
    author byline bio avatar meta date time tag categor label toc pagination pager next prev
    skip hidden sr visually logo brand copyright legal contact cta button btn form donat
    support cart price rating review card teaser thumb list grid item feed caption credit
    figure image photo gallery video tool print mail article post entry content body main
    text story blog prose markdown rte rich detail description page section container
    wrapper inner wrap row col lead summary excerpt intro headline title heading hentry
    single thread message question answer product recipe ingredient instruction step doc
    faq topic""".split()
)
CONTEXT_TAGS = (
    "main article nav aside footer header form li table figure blockquote noscript a "
    "section dl details".split()
)
ROLES = "navigation main banner contentinfo complementary article dialog menu search".split()
OWNER_TAGS = (
    "p div li tr h1 h2 h3 h4 h5 h6 pre blockquote dd dt figcaption section article header "
    "footer nav aside form body noscript caption".split()
)
KINDS = ("heading", "paragraph", "item", "row", "code", "quote")
# Boilerplate phrases that recur across sites and languages' English pages.
TEXT_CUES = {
    "copyright": r"©|\bcopyright\b|all rights reserved",
    "cookie": r"\bcookies?\b|\bconsent\b",
    "signup": r"\bsubscribe|\bnewsletter|\bsign[ -]?up\b|\bregister\b",
    "login": r"\blog[ -]?in\b|\bsign[ -]?in\b|\blog[ -]?out\b|\bmy account\b",
    "share": r"\bshare\b|\btweet\b|\bfollow us\b|\bpin it\b",
    "more": r"\bread more\b|\bcontinue reading\b|\bsee (?:all|more)\b|\bview (?:all|more)\b",
    "ad": r"\badvertis|\bsponsored\b|\bpromoted\b",
    "legal": r"\bprivacy\b|\bterms\b|\bdisclaimer\b",
    "comment": r"\bcomments?\b|\breply\b|\bleave a\b",
    "date": r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b"
    r"|\b\d{1,2}:\d{2}\b|\b\d{4}-\d{2}-\d{2}\b|\bago\b",
    "byline": r"^by\b|\bauthor",
    "appeal": r"\bdonat|\bbecom(?:e|ing) a (?:member|subscriber|supporter|patron)\b|\bmembership\b"
    r"|\bsupport (?:us|our (?:journalism|work|reporting))\b|\bpatreon\b"
    r"|\bfunded by (?:our )?readers\b|\bmake a (?:contribution|donation|gift)\b",
    "price": r"[$€£¥₹]\s?\d|\d\s?(?:€|£|\beur\b|\busd\b|\bgbp\b)",
}
# Page types as sites declare them (og:type, JSON-LD @type), folded into families.
PAGE_TYPE_SIGNALS = {
    "article": ("og:article", "article", "newsarticle", "blogposting", "reportagenewsarticle",
                "opinionnewsarticle", "scholarlyarticle", "liveblogposting", "report"),
    "product": ("og:product", "product", "productgroup", "offer", "aggregateoffer",
                "og:product.item"),
    "forum": ("discussionforumposting", "qapage", "question", "answer", "comment",
              "socialmediaposting"),
    "collection": ("collectionpage", "itemlist", "searchresultspage", "offercatalog",
                   "listitem", "store"),
    "docs": ("techarticle", "apireference", "howto", "faqpage"),
    "recipe": ("recipe",),
    "service": ("service", "localbusiness", "professionalservice", "course", "event",
                "organization"),
    "website": ("og:website", "website", "webpage"),
}
REPEAT_LEVELS = 4  # the owner element and its three nearest containers
NEIGHBOUR_OFFSETS = (-2, -1, 1, 2)
WINDOW = 3  # blocks on each side for the windowed averages
CONTAINER_LEVELS = 3  # parent, grandparent, great-grandparent of the owner
# Cues that mark a whole box, not one block: a donation or newsletter box's heading
# and button share its container with the paragraph that says what it is.
BOX_CUES = ("appeal", "signup")

# A block of at most this many words can be the page's title repeated; longer ones
# are prose that mentions it.
TITLE_MAX_WORDS = 40
# A block is the title's heading when at least this share of its words are title
# words and this share of the title's words are in it.
TITLE_MATCH = 0.5

# Page-level shape, for telling a thread or a listing from an article by its layout
# rather than by what it declares (see _page_shape).
_PAGE_SHAPE = ("repeated_word_share", "comment_word_share", "link_block_share",
               "log_headings", "log_prices")
# A block is "repeated" when one of its containers has at least this many siblings of
# the same tag and attributes: cards, posts, list entries.
REPEATED_SIBLINGS = 2

_TEXT_STATS = (
    "log_words", "log_chars", "link_density", "avg_word_len", "punct_ratio", "digit_ratio",
    "upper_ratio", "cap_words", "ends_sentence", "sentences", "lines",
)

# Longer blocks are prose that may mention cookies or comments in passing, so a cue
# only counts in blocks up to this many characters; appeals for money come as long
# paragraphs, so theirs reaches further.
CUE_MAX_CHARS = 400
CUE_MAX_CHARS_BY_CUE = {"appeal": 1200}
_TOKEN_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])")


def _names() -> tuple[str, ...]:
    names = [f"text.{s}" for s in _TEXT_STATS]
    names += [f"cue.{c}" for c in TEXT_CUES]
    names += [f"kind.{k}" for k in KINDS] + ["kind.heading_level", "kind.list_depth"]
    names += [f"tag.{t}" for t in OWNER_TAGS] + ["tag.other"]
    names += [f"in.{t}" for t in CONTEXT_TAGS] + [f"in.role_{r}" for r in ROLES]
    names += ["in.itemprop_articlebody"]
    names += [f"cls.{w}" for w in CLASS_WORDS] + [f"anc.{w}" for w in CLASS_WORDS]
    names += ["pos.block", "pos.words_before", "pos.depth", "pos.rel_depth"]
    for offset in NEIGHBOUR_OFFSETS:
        names += [f"nb.{offset:+d}.log_words", f"nb.{offset:+d}.link_density"]
        names += [f"nb.{offset:+d}.heading", f"nb.{offset:+d}.same_parent"]
    names += ["nb.window_log_words", "nb.window_link_density"]
    for level in range(1, CONTAINER_LEVELS + 1):
        names += [f"box.{level}.word_share", f"box.{level}.link_density"]
        names += [f"box.{level}.log_blocks"]
    names += [f"box.1.cue_{c}" for c in BOX_CUES]
    names += [f"rep.{level}.log_siblings" for level in range(REPEAT_LEVELS)]
    names += ["page.log_words", "page.log_blocks", "page.link_density"]
    names += [f"page.type_{t}" for t in PAGE_TYPE_SIGNALS]
    names += [f"page.{stat}" for stat in _PAGE_SHAPE]
    names += ["title.overlap", "title.found", "title.offset"]
    names += ["dup.log_count"]
    names += ["hidden.block", "hidden.page_word_share"]
    return tuple(names)


FEATURE_NAMES: tuple[str, ...] = _names()

CONTEXT_OFFSETS = (-3, -2, -1, 1, 2, 3)
# The groups of blocks whose first-pass probabilities the second pass pools (see
# _groups): siblings of the same tag and attributes at the owner (``sib.0``), its
# parent and grandparent; and elements styled alike anywhere in the page, the owner
# (``style.0``) and its parent.
GROUP_KEYS = ("sib.0", "sib.1", "sib.2", "style.0", "style.1")
# How far up from a block's owner the features look: repeats, containers, groups.
ANCESTOR_LEVELS = max(REPEAT_LEVELS, CONTAINER_LEVELS + 1,
                      *(int(key.split(".")[1]) + 1 for key in GROUP_KEYS))
CONTEXT_NAMES: tuple[str, ...] = (
    ("ctx.p",)
    + tuple(f"ctx.nb.{o:+d}" for o in CONTEXT_OFFSETS)
    + ("ctx.window_mean",)
    + tuple(f"ctx.box.{level}.{stat}" for level in range(1, CONTAINER_LEVELS + 1)
            for stat in ("mean", "max"))
    + ("ctx.page.mean", "ctx.page.max", "ctx.page.kept_share", "ctx.rank",
       "ctx.gap_before", "ctx.gap_after")
    + ("ctx.region.inside", "ctx.region.mass_share", "ctx.region.block_share")
    + tuple(f"ctx.group.{key}.{stat}" for key in GROUP_KEYS for stat in ("mean", "max"))
)
# The content region: the deepest element holding this share of the first pass's
# content mass (probability × words). Content-like chrome outside it stands out.
REGION_MASS = 0.8


@dataclass(slots=True)
class Features:
    """A page's feature matrix and the layout facts the second pass needs."""

    X: np.ndarray  # (blocks, FEATURE_NAMES) float32
    words: np.ndarray  # (blocks,) words per block
    containers: np.ndarray  # (blocks, CONTAINER_LEVELS) frame index of each container
    owners: np.ndarray  # (blocks,) frame index of each block's element
    parents: np.ndarray  # (frames,) parent frame index, -1 at the root
    groups: np.ndarray  # (blocks, GROUP_KEYS) group id of each block under each key
    # structure.chains: every (block, ancestor frame, distance) of the page
    chains: tuple[np.ndarray, np.ndarray, np.ndarray]
    texts: list[str] = field(default_factory=list)  # each block's text (for a lexicon)

    def __len__(self) -> int:
        return len(self.X)


def _word_bits(keep) -> dict[str, int]:
    """CLASS_WORDS that ``keep`` accepts, each with its bit (bits, if it recurs)."""
    bits: dict[str, int] = {}
    for i, word in enumerate(CLASS_WORDS):
        if keep(len(word)):
            bits[word] = bits.get(word, 0) | 1 << i
    return bits


# How a stem matches a token (see CLASS_WORDS): equal, a prefix, or a substring.
_EXACT_BITS = _word_bits(lambda n: n <= 2)
_PREFIX_BITS = _word_bits(lambda n: 3 <= n <= 4)
_PREFIX_LENGTHS = sorted({len(w) for w in _PREFIX_BITS})
_INNER_BITS = tuple(_word_bits(lambda n: n >= 5).items())


# The class and context words of (tag, attributes) pairs are found in C
# (_textscan.stem_bits, see _style_bits); where the extension is not built, the Python
# functions below do it, with caches. Values (and tokens) longer than this are worked
# out afresh each time instead of cached: the caches hold up to 65,536 entries each,
# and a crawl of hostile pages with huge, unique class strings must not fill memory
# with them. On the WCXB dev pages 0.1% of elements have longer class/id values, and
# no token is longer.
_CACHED_VALUE_CHARS = 256


def _class_mask(attrs: str) -> int:
    """Bit i set when CLASS_WORDS[i] occurs in an element's class/id/role/itemprop.
    Cached by its caller, _frame_bits (per tag and value), and per token below."""
    mask = 0
    for token in _TOKEN_SPLIT.split(attrs):
        if token:
            token = token.lower()
            mask |= (_token_mask(token) if len(token) <= _CACHED_VALUE_CHARS
                     else _mask_of_token(token))
    return mask


def _mask_of_token(token: str) -> int:
    """_class_mask of one token. The stems have no separators in them, so a stem found
    in a value is always found in one token; tokens recur across pages far more than
    whole values do, so that is where the cache (_token_mask) hits."""
    mask = _EXACT_BITS.get(token, 0)
    for length in _PREFIX_LENGTHS:
        if len(token) >= length:
            mask |= _PREFIX_BITS.get(token[:length], 0)
    for word, bits in _INNER_BITS:
        if word in token:
            mask |= bits
    return mask


_token_mask = lru_cache(maxsize=65536)(_mask_of_token)


_CONTEXT_BITS = {t: 1 << i for i, t in enumerate(CONTEXT_TAGS)}
_ROLE_BITS = {r: 1 << (len(CONTEXT_TAGS) + i) for i, r in enumerate(ROLES)}
_ARTICLEBODY_BIT = 1 << (len(CONTEXT_TAGS) + len(ROLES))
_N_CONTEXT = len(CONTEXT_TAGS) + len(ROLES) + 1


def _own_context(tag: str, attrs: str) -> int:  # cached by its caller, _frame_bits
    bits = _CONTEXT_BITS.get(tag, 0)
    if attrs:
        lowered = attrs.lower()
        for role, bit in _ROLE_BITS.items():
            if role in lowered:
                bits |= bit
        if "articlebody" in lowered:
            bits |= _ARTICLEBODY_BIT
    return bits


# A frame's bits as unsigned 64-bit words: its class mask (CLASS_WORDS), then its
# context bits (CONTEXT_TAGS, ROLES, itemprop=articleBody).
_CLASS_WORDS64 = -(-len(CLASS_WORDS) // 64)
_WORD64 = (1 << 64) - 1


def _bits_of_frame(tag: str, attrs: str) -> tuple[int, ...]:
    """_class_mask of an element, as _CLASS_WORDS64 64-bit words, and _own_context."""
    mask = _class_mask(attrs)
    return (*(mask >> (64 * k) & _WORD64 for k in range(_CLASS_WORDS64)),
            _own_context(tag, attrs))


_frame_bits = lru_cache(maxsize=65536)(_bits_of_frame)


def _python_style_bits(styles: list[tuple[str, str]]) -> np.ndarray:
    """_style_bits in Python, through the caches unless the value is too long."""
    rows = [(_frame_bits if len(attrs) <= _CACHED_VALUE_CHARS else _bits_of_frame)(tag, attrs)
            for tag, attrs in styles]
    return np.array(rows, dtype=np.uint64).reshape(len(styles), _CLASS_WORDS64 + 1)


def _stem_table() -> list[tuple[bytes, int, int]]:
    """The class words and the context words as _textscan.compile_stems takes them: each
    with its bit in a frame's row (class mask, then _own_context) and how it matches."""
    if _textscan is None:
        return []
    table = []
    for i, word in enumerate(CLASS_WORDS):
        mode = (_textscan.TOKEN_EXACT if len(word) <= 2 else
                _textscan.TOKEN_PREFIX if len(word) <= 4 else _textscan.TOKEN_INNER)
        table.append((word.encode(), i, mode))
    context = 64 * _CLASS_WORDS64
    for name, bit in [*_ROLE_BITS.items(), ("articlebody", _ARTICLEBODY_BIT)]:
        table.append((name.encode(), context + bit.bit_length() - 1, _textscan.VALUE_INNER))
    return table


_STEM_TABLE = _stem_table()
_STEMS = (None if _textscan is None  # compiled once, not for every page
          else _textscan.compile_stems(_STEM_TABLE, 64 * (_CLASS_WORDS64 + 1)))


def _style_bits(styles: list[tuple[str, str]]) -> np.ndarray:
    """(styles, _CLASS_WORDS64 + 1) uint64: _bits_of_frame of each (tag, attributes)."""
    if _textscan is None:
        return _python_style_bits(styles)
    out = np.zeros((len(styles), _CLASS_WORDS64 + 1), dtype=np.uint64)
    _textscan.stem_bits([attrs for _, attrs in styles], _STEMS, out)
    out[:, -1] |= np.array([_CONTEXT_BITS.get(tag, 0) for tag, _ in styles], dtype=np.uint64)
    return out


def _bit_columns(words: np.ndarray, width: int) -> np.ndarray:
    """(rows, width) float32 0/1: bit j of each row's little-endian 64-bit words."""
    as_bytes = np.ascontiguousarray(words, dtype="<u8").view(np.uint8)
    return np.unpackbits(as_bytes, axis=1, bitorder="little")[:, :width].astype(np.float32)


def _word_masks(parents: np.ndarray, blocks: list[Block], style_ids: np.ndarray,
                styles: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                        np.ndarray]:
    """Per block: class words of its own elements (owner and text frames), class words
    of those and all their ancestors, and their context bits; and per frame, its depth.

    ``parents``: each frame's parent (int64). ``style_ids`` and ``styles`` from
    structure.signature_ids: frames styled alike have the same bits, so each (tag,
    attributes) is worked out once."""
    own = _style_bits(styles)[style_ids]
    cumulative, depth = ancestor_or(own, parents)
    if _frames is not None:  # the same OR'd and unpacked bits, in one pass in C
        n_class = len(CLASS_WORDS)
        bits = np.empty((len(blocks), 2 * n_class + _N_CONTEXT), dtype=np.float32)
        _frames.block_bits(blocks, own, cumulative, n_class, _N_CONTEXT, bits)
        return bits[:, :n_class], bits[:, n_class:2 * n_class], bits[:, 2 * n_class:], depth
    used = [(block.owner, *block.text_frames) for block in blocks]
    starts = np.cumsum([0] + [len(u) for u in used[:-1]])
    flat = np.fromiter((f for u in used for f in u), dtype=np.int64)
    own_or = np.bitwise_or.reduceat(own[flat, :_CLASS_WORDS64], starts, axis=0)
    all_or = np.bitwise_or.reduceat(cumulative[flat], starts, axis=0)
    return (_bit_columns(own_or, len(CLASS_WORDS)),
            _bit_columns(all_or[:, :_CLASS_WORDS64], len(CLASS_WORDS)),
            _bit_columns(all_or[:, _CLASS_WORDS64:], _N_CONTEXT),
            depth)


def _text_stats(texts: list[str], links: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """text.* columns of the blocks' texts and link characters; and each block's words
    (Block.words)."""
    if not texts:
        return np.zeros((0, len(_TEXT_STATS)), dtype=np.float32), np.zeros(0, dtype=np.int64)
    counts = dict(zip(TEXT_COUNTS, text_counts(texts).T))
    chars, words = counts["chars"], counts["words"]
    columns = [
        np.log1p(words),
        np.log1p(chars),
        links / chars,
        (chars - words + 1) / words,
        counts["punct"] / chars,
        counts["digits"] / chars,
        counts["upper"] / chars,
        counts["caps"] / words,
        counts["ends_sentence"].astype(np.float64),
        np.log1p(counts["sentences"]),
        counts["newlines"] + 1,
    ]
    return np.column_stack(columns).astype(np.float32), words


# Joins the texts searched for cues: no cue matches it, so no match spans two blocks,
# and to \b it is a non-word character, like the start or end of a string.
_CUE_SEPARATOR = "\x00"


def _anchored(source: str, flags: int) -> tuple[re.Pattern, re.Pattern] | None:
    """A cue with ``^`` alternatives as (those, anchored; the rest, searched), else None.

    ``^`` (without MULTILINE) is the start of the block's text, which a search of the
    joined texts cannot see, so those alternatives are matched block by block.
    """
    if "^" not in source:
        return None
    if "(" in source or "[" in source:
        raise ValueError(f"cue {source!r}: ^ only in top-level alternatives, please")
    alternatives = source.split("|")
    start = [a[1:] for a in alternatives if a.startswith("^")]
    rest = [a for a in alternatives if not a.startswith("^")]
    return re.compile("|".join(start), flags), re.compile("|".join(rest) or "(?!)", flags)


def _cue_forms(flags: int) -> dict[str, tuple[re.Pattern, tuple | None]]:
    """Each cue compiled with ``flags``, and its anchored split (see _anchored)."""
    return {k: (re.compile(v, flags), _anchored(v, flags)) for k, v in TEXT_CUES.items()}


_CASELESS_CUES = _cue_forms(re.IGNORECASE)
_CUE_PATTERNS = {name: pattern for name, (pattern, _) in _CASELESS_CUES.items()}


@lru_cache(maxsize=1)
def _lowercase_cues() -> tuple[dict, frozenset[str]] | None:
    """The cues for lower-cased texts, without IGNORECASE (several times faster in re),
    and the characters that void them (see needles.lowercase_pattern); None if a cue
    is not written in lower case. Worked out on first use: it scans every code point."""
    forms = [lowercase_pattern(pattern) for pattern in _CUE_PATTERNS.values()]
    if not all(forms):
        return None
    return _cue_forms(0), frozenset().union(*(f[1] for f in forms))


def _cue_hits(texts: list[str], eligible: np.ndarray, pattern: re.Pattern) -> np.ndarray:
    """Per text: does ``pattern`` match it (only ``eligible`` texts are searched)."""
    hit = np.zeros(len(texts), dtype=bool)
    index = np.flatnonzero(eligible)
    if not len(index):
        return hit
    chosen = [texts[i] for i in index.tolist()]
    lengths = np.fromiter(map(len, chosen), dtype=np.int64, count=len(chosen))
    starts = np.cumsum(lengths + 1) - (lengths + 1)
    found = [m.start() for m in pattern.finditer(_CUE_SEPARATOR.join(chosen))]
    if found:
        owner = np.searchsorted(starts, np.array(found, dtype=np.int64), side="right") - 1
        hit[index[owner]] = True
    return hit


_CUE_INDEX = {name: i for i, name in enumerate(TEXT_CUES)}
_CUE_LIMITS = np.array([CUE_MAX_CHARS_BY_CUE.get(name, CUE_MAX_CHARS) for name in TEXT_CUES],
                       dtype=np.int64)


@lru_cache(maxsize=1)
def _packed_cues() -> tuple[bytes, str] | None:
    """The cues as one automaton for _textscan.scan_cues (see dfa.py), and the
    characters that void it; None where the C scan or the automaton is not to be had.
    Worked out on first use (about 0.1 s)."""
    lowercase = _lowercase_cues()
    if not hasattr(_textscan, "scan_cues") or lowercase is None:
        return None
    automaton = compile_patterns(list(TEXT_CUES.values()))
    if automaton is None:
        return None
    lowered_ascii = [automaton.class_of(chr(c).lower()) for c in range(128)]
    header = [automaton.transitions.shape[0], automaton.transitions.shape[1],
              len(automaton.named), *automaton.residual, *lowered_ascii,
              *map(ord, automaton.named), *automaton.named.values()]
    packed = b"".join([np.array(header, dtype="=i4").tobytes(),
                       automaton.transitions.astype("=i4").tobytes(),
                       automaton.matched.astype("=u4").tobytes(),
                       automaton.matched_at_end.astype("=u4").tobytes()])
    return packed, "".join(sorted(lowercase[1]))


def _scanned_cues(texts: list[str]) -> np.ndarray | None:
    """_cues by one pass of the cue automaton over each text, in C; None where that
    cannot stand in for re (see _packed_cues and _textscan.scan_cues)."""
    packed = _packed_cues() if _textscan is not None else None
    if packed is None:
        return None
    found = np.empty((len(texts), len(TEXT_CUES)), dtype=np.float32)
    if not _textscan.scan_cues(texts, packed[0], packed[1], _CUE_LIMITS, found):
        return None
    return found


def _cues(texts: list[str]) -> np.ndarray:
    """Per text, which TEXT_CUES it matches (case-insensitive, short texts only)."""
    scanned = _scanned_cues(texts)
    return scanned if scanned is not None else _searched_cues(texts)


def _searched_cues(texts: list[str]) -> np.ndarray:
    """_cues by re: each cue searched in the texts that hold one of its needles."""
    if any(_CUE_SEPARATOR in t for t in texts):
        return _cues_one_by_one(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    rows = np.zeros((len(texts), len(_CUE_PATTERNS)), dtype=np.float32)
    finder = CaselessFinder(texts, _CUE_SEPARATOR)
    # Only texts that hold one of a cue's literal strings can match it.
    may_match = finder.containing_each(list(_CUE_PATTERNS.values()))
    forms, lowercase = _CASELESS_CUES, _lowercase_cues()
    if texts and lowercase is not None and finder.lowercase_is_exact(lowercase[1]):
        texts, forms = finder.lowered.split(_CUE_SEPARATOR), lowercase[0]
    for j, (name, (pattern, anchored)) in enumerate(forms.items()):
        eligible = lengths < CUE_MAX_CHARS_BY_CUE.get(name, CUE_MAX_CHARS)
        eligible &= may_match[:, j]
        if anchored is not None:
            start, anywhere = anchored
            hit = _cue_hits(texts, eligible, anywhere)
            for i in np.flatnonzero(eligible & ~hit).tolist():
                hit[i] = start.match(texts[i]) is not None
        else:
            hit = _cue_hits(texts, eligible, pattern)
        rows[hit, j] = 1.0
    return rows


def _cues_one_by_one(texts: list[str]) -> np.ndarray:
    """_cues for texts that hold the separator: every pattern searched in every text."""
    rows = np.zeros((len(texts), len(_CUE_PATTERNS)), dtype=np.float32)
    for j, (name, pattern) in enumerate(_CUE_PATTERNS.items()):
        limit = CUE_MAX_CHARS_BY_CUE.get(name, CUE_MAX_CHARS)
        for i, text in enumerate(texts):
            if len(text) < limit and pattern.search(text):
                rows[i, j] = 1.0
    return rows


def _one_hot(columns: np.ndarray, width: int) -> np.ndarray:
    """(rows, width) float32: a 1 in each row's column, none where the column is -1."""
    out = np.zeros((len(columns), width), dtype=np.float32)
    rows = np.flatnonzero(columns >= 0)
    out[rows, columns[rows]] = 1.0
    return out


# _block_table's columns: per block, its owner, the index of its kind in KINDS (-1 for
# none), its level, its link characters and the index of its owner's tag in OWNER_TAGS
# (len(OWNER_TAGS), the tag.other column, for the rest).
_OWNER, _KIND, _LEVEL, _LINK_CHARS, _TAG = range(5)
_KIND_INDEX = {kind: i for i, kind in enumerate(KINDS)}
_OWNER_TAG_INDEX = {tag: i for i, tag in enumerate(OWNER_TAGS)}


def _block_table(blocks: list[Block], tags: list[str]) -> tuple[np.ndarray, list[str]]:
    """(blocks, 5) int64 of the _OWNER ... _TAG columns, and the blocks' texts: the
    Block records read once (in C, where _frames is built). ``tags``: Frames.tags."""
    table = np.empty((len(blocks), 5), dtype=np.int64)
    other = len(OWNER_TAGS)
    if _frames is not None:
        texts = _frames.block_table(blocks, _KIND_INDEX, tags, _OWNER_TAG_INDEX, other, table)
        return table, texts
    table[:] = [(b.owner, _KIND_INDEX.get(b.kind, -1), b.level, b.link_chars,
                 _OWNER_TAG_INDEX.get(tags[b.owner], other)) for b in blocks]
    return table, [b.text for b in blocks]


def _offset_slices(offset: int) -> tuple[slice, slice]:
    """For a non-zero offset: the rows that have a row ``offset`` away, and those rows."""
    if offset > 0:
        return slice(None, -offset), slice(offset, None)
    return slice(-offset, None), slice(None, offset)


def _shift(column: np.ndarray, offset: int, fill: float = 0.0) -> np.ndarray:
    """Each row's value ``offset`` rows away (non-zero), ``fill`` off the ends."""
    out = np.full_like(column, fill)
    target, source = _offset_slices(offset)
    out[target] = column[source]
    return out


def _window_mean(column: np.ndarray, radius: int) -> np.ndarray:
    padded = np.concatenate([[0.0], np.cumsum(column, dtype=np.float64)])
    index = np.arange(len(column))
    lo = np.maximum(index - radius, 0)
    hi = np.minimum(index + radius + 1, len(column))
    return ((padded[hi] - padded[lo]) / (hi - lo)).astype(np.float32)


def _neighbours(stats: np.ndarray, parents: np.ndarray, words: np.ndarray,
                link_density: np.ndarray) -> np.ndarray:
    """nb.* columns: per NEIGHBOUR_OFFSETS offset, the block that far away's ``stats``
    (log words, link density, heading; 0 past the page's ends) and whether it has the
    same parent; then the WINDOW means of words (logged) and link density."""
    n, width = stats.shape
    out = np.zeros((n, len(NEIGHBOUR_OFFSETS) * (width + 1) + 2), dtype=np.float32)
    for i, offset in enumerate(NEIGHBOUR_OFFSETS):
        at = i * (width + 1)
        target, source = _offset_slices(offset)
        out[target, at:at + width] = stats[source]
        out[target, at + width] = parents[source] == parents[target]
    out[:, -2] = np.log1p(_window_mean(words, WINDOW))
    out[:, -1] = _window_mean(link_density, WINDOW)
    return out


def _container_ids(ancestors: np.ndarray) -> np.ndarray:
    """(blocks, CONTAINER_LEVELS): each level's ancestor of the owner, the topmost
    frame when the chain ends sooner (from _ancestors)."""
    ids = ancestors[:, 1:CONTAINER_LEVELS + 1].copy()
    below = ancestors[:, 0]
    for level in range(CONTAINER_LEVELS):
        ids[:, level] = np.where(ids[:, level] >= 0, ids[:, level], below)
        below = ids[:, level]
    return ids


def _containers(page_chains: tuple[np.ndarray, np.ndarray, np.ndarray], n_frames: int,
                ancestors: np.ndarray, words: np.ndarray, links: np.ndarray):
    """Per block and container level: the container's word share, link density, blocks.

    ``page_chains``: structure.chains of the page. Also returns the containers' frame
    indices, (blocks, CONTAINER_LEVELS).
    """
    block, frame, _ = page_chains
    word_sum = np.bincount(frame, weights=words[block], minlength=n_frames)
    link_sum = np.bincount(frame, weights=links[block], minlength=n_frames)
    block_count = np.bincount(frame, minlength=n_frames).astype(np.float64)
    total = max(words.sum(), 1.0)
    ids = _container_ids(ancestors)
    out = np.zeros((len(ancestors), 3 * CONTAINER_LEVELS), dtype=np.float32)
    for level in range(CONTAINER_LEVELS):
        frame = ids[:, level]
        out[:, 3 * level] = word_sum[frame] / total
        out[:, 3 * level + 1] = link_sum[frame] / np.maximum(word_sum[frame], 1.0)
        out[:, 3 * level + 2] = np.log1p(block_count[frame])
    return out, ids


def _box_cues(cues: np.ndarray, containers: np.ndarray, n_frames: int) -> np.ndarray:
    """Per block and BOX_CUES cue: 1 when any block in its nearest container has it.

    ``containers``: each block's nearest container, a frame index below ``n_frames``."""
    out = np.zeros((len(cues), len(BOX_CUES)), dtype=np.float32)
    for j, name in enumerate(BOX_CUES):
        hit = np.zeros(n_frames, dtype=bool)
        hit[containers[cues[:, _CUE_INDEX[name]] > 0]] = True
        out[:, j] = hit[containers]
    return out


def _ancestors(owners: np.ndarray, parents: np.ndarray, levels: int) -> np.ndarray:
    """(blocks, levels): the owner (level 0) and its ancestors, -1 above the root."""
    out = np.full((len(owners), levels), -1, dtype=np.int64)
    frame = owners.astype(np.int64)
    for level in range(levels):
        out[:, level] = frame
        frame = np.where(frame >= 0, parents[np.maximum(frame, 0)], -1)
    return out


def _repeats(sibling_ids: np.ndarray, ancestors: np.ndarray) -> np.ndarray:
    """log(1 + siblings with the same tag and attributes) for the owner and containers."""
    siblings = np.bincount(sibling_ids)[sibling_ids] - 1
    there = ancestors[:, :REPEAT_LEVELS] >= 0
    out = np.zeros(there.shape, dtype=np.float32)
    out[there] = np.log1p(siblings[ancestors[:, :REPEAT_LEVELS][there]])
    return out


def _groups(sibling_ids: np.ndarray, style_ids: np.ndarray, ancestors: np.ndarray
            ) -> np.ndarray:
    """(blocks, GROUP_KEYS): the group id of each block under each key.

    Each column is pooled on its own, so ids need only be unique within a column. A
    block without the ancestor a key needs (near the root) is a group of its own.
    """
    n = len(ancestors)
    alone = -1 - np.arange(n)  # negative ids: one group per block
    out = np.empty((n, len(GROUP_KEYS)), dtype=np.int64)
    for j, key in enumerate(GROUP_KEYS):
        family, level = key.split(".")
        frame = ancestors[:, int(level)]
        ids = sibling_ids if family == "sib" else style_ids
        out[:, j] = np.where(frame >= 0, ids[np.maximum(frame, 0)], alone)
    return out


def _title(texts: list[str], title: str, block_words: np.ndarray) -> np.ndarray:
    """title.* columns: the block's share of title words; whether the title's heading
    was found; the signed log distance in blocks from it (0 when not found).

    ``texts`` and ``block_words``: each block's text and Block.words. The title's
    heading is the first block with the highest score, at least TITLE_MATCH: the
    smaller of its share of title words and the share of the title's words it holds."""
    out = np.zeros((len(texts), 3), dtype=np.float32)
    title_words = sorted(set(WORD.findall(title.lower())))
    if not title_words:
        return out
    short = np.flatnonzero(block_words <= TITLE_MAX_WORDS)
    overlap = word_overlap([texts[i] for i in short.tolist()], title_words)
    words, found, distinct = overlap.T.astype(np.float64)
    hits = found > 0  # the others: share and score 0, never the title's heading
    share = np.divide(found, words, out=np.zeros(len(short)), where=hits)
    out[short, 0] = share
    score = np.minimum(share, distinct / len(title_words))
    if len(score) and score.max() >= TITLE_MATCH:
        offset = np.arange(len(texts)) - short[np.argmax(score)]
        out[:, 1] = 1.0
        out[:, 2] = np.sign(offset) * np.log1p(np.abs(offset))
    return out


def _duplicates(texts: list[str]) -> np.ndarray:
    """log(1 + other blocks with exactly the same text)."""
    counts = Counter(texts)
    return np.log1p(np.fromiter(map(counts.__getitem__, texts), dtype=np.float32,
                                count=len(texts)) - 1)


def _page_shape(words: np.ndarray, link_density: np.ndarray, heading: np.ndarray,
                repeats: np.ndarray, comment: np.ndarray, price: np.ndarray) -> list[float]:
    """_PAGE_SHAPE values: shares of the page's words in repeated and in comment-classed
    blocks, share of mostly-link blocks, and counts of headings and prices."""
    total = max(words.sum(), 1.0)
    repeated = (repeats[:, 1:] >= np.log1p(REPEATED_SIBLINGS)).any(axis=1)
    return [
        float(words[repeated].sum() / total),
        float(words[comment > 0].sum() / total),
        np.count_nonzero(link_density > 0.5) / len(words),
        float(np.log1p(heading.sum())),
        float(np.log1p(price.sum())),
    ]


def _hidden_columns(frames, owners: np.ndarray, words: np.ndarray) -> np.ndarray:
    """hidden.* columns: the block sits in a hidden element (see blocks.HIDDEN_STYLES),
    and the share of the page's words that do."""
    if len(frames.hidden) != len(frames.tags):  # Frames made without the flags
        return np.zeros((len(owners), 2), dtype=np.float32)
    hidden = np.array(frames.hidden, dtype=bool)[owners]
    share = words[hidden].sum() / max(words.sum(), 1.0)
    return np.column_stack([hidden, np.full(len(owners), share)])


def _page_types(types: frozenset[str]) -> list[float]:
    return [float(any(t in types for t in family)) for family in PAGE_TYPE_SIGNALS.values()]


def featurize(page: Page) -> Features:
    """The features of a page's blocks: one row per block, FEATURE_NAMES columns."""
    blocks, frames = page.blocks, page.frames
    n = len(blocks)
    if n == 0:
        none = np.zeros(0, dtype=np.int64)
        return Features(np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32),
                        np.zeros(0), np.zeros((0, CONTAINER_LEVELS), dtype=np.int64),
                        none, none, np.zeros((0, len(GROUP_KEYS)), dtype=np.int64),
                        (none, none, none))
    table, texts = _block_table(blocks, frames.tags)
    owners = table[:, _OWNER].copy()
    frame_parents = np.array(frames.parents, dtype=np.int64)
    sibling_ids, style_ids, styles = signature_ids(frames, frame_parents)
    cls_self, anc, contexts, frame_depth = _word_masks(frame_parents, blocks, style_ids, styles)

    text, block_words = _text_stats(texts, table[:, _LINK_CHARS])
    log_words = text[:, 0]
    link_density = text[:, 2]
    words = np.expm1(log_words).astype(np.float64)
    link_words = words * link_density
    kind = _one_hot(table[:, _KIND], len(KINDS))
    heading = kind[:, KINDS.index("heading")]
    parents = frame_parents[owners]
    depth = frame_depth[owners].astype(np.float32)
    total_words = max(words.sum(), 1.0)
    before = (np.cumsum(words) - words) / total_words

    neighbours = _neighbours(np.column_stack([log_words, link_density, heading]), parents,
                             words, link_density)
    ancestors = _ancestors(owners, frame_parents, ANCESTOR_LEVELS)
    page_chains = chains(owners, frame_parents, frame_depth)
    boxes, container_ids = _containers(page_chains, len(frame_parents), ancestors, words,
                                       link_words)
    cues = _cues(texts)
    repeats = _repeats(sibling_ids, ancestors)
    comment = anc[:, [CLASS_WORDS.index(w) for w in ("comment", "reply")]].max(axis=1)
    page_row = [np.log1p(total_words), np.log1p(n), link_words.sum() / total_words]
    page_row += _page_types(page.types)
    page_row += _page_shape(words, link_density, heading, repeats, comment,
                            cues[:, _CUE_INDEX["price"]])

    matrix = np.concatenate([
        text,
        cues,
        kind,
        kind[:, [KINDS.index("heading"), KINDS.index("item")]]  # heading level, list depth
        * table[:, _LEVEL, None].astype(np.float32),
        _one_hot(table[:, _TAG], len(OWNER_TAGS) + 1),
        contexts,
        cls_self,
        anc,
        np.column_stack([
            np.arange(n) / n, before, np.log1p(depth), depth / max(depth.max(), 1.0),
        ]),
        neighbours,
        boxes,
        _box_cues(cues, container_ids[:, 0], len(frame_parents)),
        repeats,
        np.tile(np.array(page_row, dtype=np.float32), (n, 1)),
        _title(texts, page.title, block_words),
        _duplicates(texts)[:, None],
        _hidden_columns(frames, owners, words),
    ], axis=1, dtype=np.float32)  # each part cast once, no float64 matrix between
    assert matrix.shape[1] == len(FEATURE_NAMES), (matrix.shape, len(FEATURE_NAMES))
    return Features(matrix, words, container_ids, owners, frame_parents,
                    _groups(sibling_ids, style_ids, ancestors), page_chains, texts)


# Group ids (frame indices, or minus one minus the block's index) are made dense by
# subtracting the smallest when they span at most this many slots per row; wider
# spans (many frames, few blocks) are sorted by np.unique instead.
DENSE_IDS_PER_ROW = 8


def _group_stats(ids: np.ndarray, values: np.ndarray, weights: np.ndarray):
    """Per row: the weighted mean and the max of ``values`` over rows with the same id."""
    low = ids.min()
    if ids.max() - low < DENSE_IDS_PER_ROW * len(ids):
        inverse = ids - low  # the same bins, without sorting; empty ones do no harm
    else:
        _, inverse = np.unique(ids, return_inverse=True)
    total = np.bincount(inverse, weights=values * weights)
    weight = np.bincount(inverse, weights=weights)
    peak = np.full(inverse.max() + 1, -np.inf)
    np.maximum.at(peak, inverse, values)
    return total[inverse] / np.maximum(weight[inverse], 1e-9), peak[inverse]


def _gaps(kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Blocks to the nearest kept block before and after (the page length if none)."""
    n = len(kept)
    index = np.arange(n)
    last = np.where(kept, index, -1)
    last = np.maximum.accumulate(last)
    before = np.where(last >= 0, index - last, n)
    nxt = np.where(kept, index, n)
    nxt = np.minimum.accumulate(nxt[::-1])[::-1]
    after = np.where(nxt < n, nxt - index, n)
    return before, after


def _region(features: Features, mass: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Which blocks lie in the content region, its share of the mass and of the blocks.

    Frames holding at least REGION_MASS of the mass are nested in one another, so
    the deepest of them is one element: the region.
    """
    parents = features.parents
    block, frame, level = features.chains
    per_frame = np.bincount(frame, weights=mass[block], minlength=len(parents))
    depth = np.zeros(len(parents), dtype=np.int64)
    depth[frame] = np.bincount(block, minlength=len(mass))[block] - level
    total = mass.sum()
    if total <= 0:
        return np.zeros(len(mass), dtype=np.float32), 0.0, 0.0
    candidates = np.flatnonzero(per_frame >= REGION_MASS * total)
    region = candidates[np.argmax(depth[candidates])]
    inside = np.zeros(len(mass), dtype=np.float32)
    inside[block[frame == region]] = 1.0
    return inside, float(per_frame[region] / total), float(inside.mean())


def _pool(ids: np.ndarray, p: np.ndarray, weights: np.ndarray, mass: np.ndarray,
          out: np.ndarray, column: int) -> None:
    """_group_stats of each column of ``ids`` into out[:, column:column + 2 * keys]
    (mean, max per key; ``mass`` is p * weights): in one C call where built, the same
    numbers either way."""
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    if _frames is not None and _frames.pool_groups(ids, mass, weights, p, out, column):
        return
    for key in range(ids.shape[1]):
        out[:, column + 2 * key], out[:, column + 2 * key + 1] = _group_stats(
            ids[:, key], p, weights)


_CONTEXT_COLUMN = {name: i for i, name in enumerate(CONTEXT_NAMES)}
_PAGE_CONTEXT = ("ctx.page.mean", "ctx.page.max", "ctx.page.kept_share", "ctx.rank",
                 "ctx.gap_before", "ctx.gap_after", "ctx.region.inside",
                 "ctx.region.mass_share", "ctx.region.block_share")


def _pooled_columns(prefixes: list[str]) -> int:
    """The first of the (mean, max) column pairs _pool writes for ``prefixes``, in order;
    checked against CONTEXT_NAMES, so a reordering of the names fails at import."""
    first = _CONTEXT_COLUMN[f"{prefixes[0]}.mean"]
    expected = tuple(f"{prefix}.{stat}" for prefix in prefixes for stat in ("mean", "max"))
    if CONTEXT_NAMES[first:first + len(expected)] != expected:
        raise AssertionError(f"CONTEXT_NAMES does not hold {expected} side by side")
    return first


_BOX_CONTEXT = _pooled_columns([f"ctx.box.{level}" for level in range(1, CONTAINER_LEVELS + 1)])
_GROUP_CONTEXT = _pooled_columns([f"ctx.group.{key}" for key in GROUP_KEYS])


def context_features(features: Features, p: np.ndarray) -> np.ndarray:
    """CONTEXT_NAMES columns from first-pass content probabilities ``p``."""
    n = len(p)
    out = np.empty((n, len(CONTEXT_NAMES)), dtype=np.float32)
    if n == 0:
        return out
    p = np.ascontiguousarray(p, dtype=np.float64)
    weights = features.words + 1.0
    mass = p * weights  # the content mass: pooled below, and what the region holds
    out[:, 0] = p
    for i, offset in enumerate(CONTEXT_OFFSETS, start=1):
        out[:, i] = _shift(p, offset)
    out[:, _CONTEXT_COLUMN["ctx.window_mean"]] = _window_mean(p, WINDOW)
    _pool(features.containers, p, weights, mass, out, _BOX_CONTEXT)
    kept = p >= 0.5
    before, after = _gaps(kept)
    inside, mass_share, block_share = _region(features, mass)
    page = [
        np.average(p, weights=weights),
        p.max(),
        weights[kept].sum() / weights.sum(),
        (np.argsort(np.argsort(p)) + 0.5) / n,
        np.log1p(before),
        np.log1p(after),
        inside,
        mass_share,
        block_share,
    ]
    for name, column in zip(_PAGE_CONTEXT, page, strict=True):
        out[:, _CONTEXT_COLUMN[name]] = column
    _pool(features.groups, p, weights, mass, out, _GROUP_CONTEXT)
    return out
