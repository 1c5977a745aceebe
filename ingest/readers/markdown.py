"""Markdown and reStructuredText readers: headings with levels, paragraphs verbatim."""

from __future__ import annotations

import re

import yaml

from ingest.models import Block
from ingest.readers import Parsed
from ingest.readers.text import paragraphs
from ingest.textio import read_text

_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+\S")
_ADORN = re.compile(r"^([=\-~^\"'`#*+:.])\1{2,}\s*$")
_DIRECTIVE = re.compile(r"^\.\.(?:\s|$)")
_DROP_BODY = ("toctree", "include", "image", "figure", "only", "raw", "contents")


def split_items(paragraph: str) -> list[str]:
    """Split a paragraph made of list items into one string per item (verbatim lines)."""
    lines = paragraph.split("\n")
    if len(lines) == 1 or not _ITEM.match(lines[0]):
        return [paragraph]
    items: list[list[str]] = []
    for line in lines:
        if _ITEM.match(line) or not items:
            items.append([line])
        else:
            items[-1].append(line)
    return ["\n".join(i) for i in items]


def front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split a YAML front matter (--- ... ---) from the text; bad YAML is kept as text."""
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end < 0:
        return {}, text
    try:
        data = yaml.safe_load(text[4:end])
    except yaml.YAMLError:
        return {}, text
    if not isinstance(data, dict):
        return {}, text
    rest = text[end + 4:]
    rest = rest[rest.find("\n") + 1:] if "\n" in rest else ""
    return {str(k): str(v) for k, v in data.items() if v is not None}, rest


def _body_blocks(lines: list[str]) -> list[Block]:
    return [Block(item) for para in paragraphs(lines) for item in split_items(para)]


def read_markdown(data: bytes) -> Parsed:
    """Read Markdown: ATX/setext headings become heading blocks (without '#')."""
    props, text = front_matter(read_text(data))
    blocks: list[Block] = []
    pending: list[str] = []
    fenced = False
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        heading = None if fenced else _ATX.match(line)
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if heading:
            blocks.extend(_body_blocks(pending))
            pending = []
            blocks.append(Block(heading.group(2), heading_level=len(heading.group(1))))
        elif not fenced and line.strip() and re.fullmatch(r"(=+|-+)\s*", nxt) \
                and (not pending or not pending[-1].strip()):
            blocks.extend(_body_blocks(pending))
            pending = []
            blocks.append(Block(line.strip(), heading_level=1 if nxt.startswith("=") else 2))
        elif not fenced and re.fullmatch(r"(=+|-+)\s*", line) and blocks \
                and blocks[-1].heading_level and not pending:
            continue  # the underline of a setext heading
        else:
            pending.append(line)
    blocks.extend(_body_blocks(pending))
    title = next((b.text for b in blocks if b.heading_level == 1), None)
    return Parsed(blocks=tuple(blocks), title=props.get("title") or title, props=props)


def read_rst(data: bytes) -> Parsed:
    """Read reStructuredText: underlined (or over+underlined) titles become headings."""
    lines = read_text(data).split("\n")
    levels: list[str] = []
    blocks: list[Block] = []
    pending: list[str] = []
    skip_indented = False
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if skip_indented and (not line.strip() or line[:1].isspace()):
            i += 1
            continue
        skip_indented = False
        if _DIRECTIVE.match(line):
            name = line[3:].split("::")[0].strip().lower()
            skip_indented = name in _DROP_BODY or "::" not in line
            i += 1
            continue
        if re.match(r"^\s+:[\w-]+:", line) and not pending:
            i += 1
            continue
        over = _ADORN.match(line) and i + 2 < len(lines) and lines[i + 2].strip() == line.strip()
        if over and lines[i + 1].strip():
            line, nxt, i = lines[i + 1], lines[i + 2], i + 1
        if line.strip() and not line[:1].isspace() and _ADORN.match(nxt) \
                and len(nxt.strip()) >= len(line.strip()) - 1 and not _ADORN.match(line):
            char = nxt.strip()[0] + ("o" if over else "")
            if char not in levels:
                levels.append(char)
            blocks.extend(_body_blocks(pending))
            pending = []
            blocks.append(Block(line.strip(), heading_level=min(6, levels.index(char) + 1)))
            i += 2
            continue
        pending.append(line)
        i += 1
    blocks.extend(_body_blocks(pending))
    title = next((b.text for b in blocks if b.heading_level == 1), None)
    return Parsed(blocks=tuple(blocks), title=title)
