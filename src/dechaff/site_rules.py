"""Per-site CSS selector rules: label many unlabeled pages of known sites at once.

A rules file (``selectors.json``, documented in labeled_data/README.md) maps a site
to the CSS selectors of its content and, optionally, of chrome inside that content.
A page is labeled by setting ``data-dechaff="content"`` on the elements its site's
content selectors match and ``data-dechaff="chrome"`` on the excluded ones: the
page then goes down the same path as a hand-marked page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import lxml.html
from cssselect import SelectorError
from lxml.cssselect import CSSSelector

from .blocks import MARKER_ATTRIBUTE, strip_markers
from .page import parse_tree

RULES_FILE = "selectors.json"
RULE_KEYS = {"content", "exclude", "page_type"}


@dataclass(frozen=True)
class SiteRule:
    """Where a site keeps its content, as CSS selectors."""

    site: str
    content: tuple[CSSSelector, ...]
    exclude: tuple[CSSSelector, ...] = ()
    page_type: str | None = None


def _selectors(value, where: str) -> tuple[CSSSelector, ...]:
    selectors = [value] if isinstance(value, str) else value
    if not isinstance(selectors, list) or not all(isinstance(s, str) for s in selectors):
        raise ValueError(f"{where}: expected a CSS selector or a list of them")
    try:
        return tuple(CSSSelector(s, translator="html") for s in selectors)
    except SelectorError as error:
        raise ValueError(f"{where}: bad CSS selector: {error}") from error


def _rule(site: str, value, path: Path) -> SiteRule:
    where = f"{path}: site {site!r}"
    if isinstance(value, (str, list)):
        value = {"content": value}
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected selectors or an object with 'content'")
    unknown = set(value) - RULE_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)} (known: {sorted(RULE_KEYS)})")
    if "content" not in value:
        raise ValueError(f"{where}: no 'content' selector")
    content = _selectors(value["content"], where)
    if not content:
        raise ValueError(f"{where}: no 'content' selector")
    return SiteRule(normal_host(site), content, _selectors(value.get("exclude", []), where),
                    value.get("page_type"))


@lru_cache(maxsize=8)
def load_rules(path: Path) -> dict[str, SiteRule]:
    """The rules in a selectors.json, by site; a clear ValueError for a bad file."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: cannot read the rules: {error}") from error
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"{path}: expected an object mapping sites to selectors")
    rules = [_rule(site, value, Path(path)) for site, value in raw.items()]
    return {rule.site: rule for rule in rules}


def normal_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def rule_for(rules: dict[str, SiteRule], host: str | None) -> SiteRule | None:
    """The rule of a host or of the nearest parent domain ("example.com" covers
    "news.example.com")."""
    if not host:
        return None
    parts = normal_host(host).split(".")
    for start in range(len(parts) - 1):
        rule = rules.get(".".join(parts[start:]))
        if rule is not None:
            return rule
    return None


def mark_content(html: bytes, rule: SiteRule) -> bytes | None:
    """The page with its content (and excluded chrome) marked; None when the rule
    marks no text as content."""
    root = parse_tree(html)
    if root is None:
        return None
    strip_markers(root)
    content = [e for selector in rule.content for e in selector(root)]
    for element in content:
        element.set(MARKER_ATTRIBUTE, "content")
    for selector in rule.exclude:
        for element in selector(root):
            element.set(MARKER_ATTRIBUTE, "chrome")
    if not any(_marked_text(e) for e in content):
        return None
    return lxml.html.tostring(root, encoding="utf-8", doctype="<!DOCTYPE html>")


def _marked_text(element) -> bool:
    """Whether an element has text outside the elements marked chrome within it."""
    stack = [element]
    while stack:
        current = stack.pop()
        if current.get(MARKER_ATTRIBUTE) == "chrome":
            continue
        if (current.text or "").strip():
            return True
        for child in current:
            if (child.tail or "").strip():
                return True
            if isinstance(child.tag, str):
                stack.append(child)
    return False
