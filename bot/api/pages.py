"""Server-rendered pages: the Jinja environment, labels, highlighting, filter choices."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from bot.answers.citations import place_url, short_locator, web_url
from bot.answers.markup import plain
from bot.answers.models import AMENDED_NOTE
from bot.app.service import Raccordo
from ingest.errors import RaccordoError
from ingest.links import link_today
from ingest.models import KINDS
from ingest.version import italian_date

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

KIND_LABELS = {"law": "Legge", "decree": "Decreto", "regulation": "Regolamento",
               "statute": "Statuto", "plan": "Piano", "practice": "Pratica",
               "guideline": "Linee guida", "other": "Altro"}
assert set(KIND_LABELS) == set(KINDS)

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_HIGHLIGHT_TERMS = 32


def query_patterns(query: str) -> list[str]:
    """Regex fragments for the content words of a query (crude prefix stemming)."""
    from index.tokenizer import STOPWORDS, fold_accents

    patterns: list[str] = []
    for word in _WORD.findall(query.lower()):
        if fold_accents(word) in STOPWORDS or (len(word) < 3 and not word.isdigit()):
            continue
        stem = word[:-2] if len(word) >= 6 and not word.isdigit() else word
        if word.isdigit():
            patterns.append(re.escape(word) + r"(?!\d)")
        else:
            patterns.append(re.escape(stem) + r"\w*")
    unique = list(dict.fromkeys(patterns))[:MAX_HIGHLIGHT_TERMS]  # bounded regex work
    return sorted(unique, key=len, reverse=True)


def highlight(text: str, query: str | None) -> Markup:
    """`text` escaped, with the query's words wrapped in <mark>."""
    patterns = query_patterns(query or "")
    if not patterns:
        return Markup(escape(text))
    regex = re.compile(r"(?<!\w)(?:" + "|".join(patterns) + ")", re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in regex.finditer(text):
        out.append(str(escape(text[last:match.start()])))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


_CITE_MARK = re.compile(r"\[(\d{1,2})\]")


def link_citations(text: str) -> Markup:
    """Answer text escaped, with each [n] linked to its source below."""
    escaped = str(escape(text))
    return Markup(_CITE_MARK.sub(
        lambda m: f'<a class="cita" href="#fonte-{m.group(1)}" '
                  f'aria-label="fonte {m.group(1)}">[{m.group(1)}]</a>', escaped))


templates.env.filters["highlight"] = highlight
templates.env.filters["short_locator"] = short_locator
templates.env.filters["web_url"] = web_url
templates.env.filters["place_url"] = place_url
templates.env.filters["plain"] = plain
templates.env.filters["italian_date"] = italian_date
templates.env.filters["link_today"] = link_today
templates.env.filters["link_citations"] = link_citations
templates.env.globals["KIND_LABELS"] = KIND_LABELS
templates.env.globals["AMENDED_NOTE"] = AMENDED_NOTE


@dataclass(frozen=True)
class Choices:
    """The values offered by the filter selects."""

    kinds: list[tuple[str, str]]
    cities: list[str]
    years: list[int]
    themes: list[tuple[str, str]]


def filter_choices(service: Raccordo) -> Choices:
    """Kinds, cities and years present in the knowledge base; the taxonomy's themes."""
    docs = [d for d in service.store.documents() if d.status == "indexed"]
    cities = sorted({d.meta.city for d in docs if d.meta.city}, key=str.casefold)
    years = sorted({d.meta.year for d in docs if d.meta.year}, reverse=True)
    kinds = [(k, KIND_LABELS[k]) for k in KINDS]
    return Choices(kinds=kinds, cities=cities, years=years, themes=theme_choices(service))


def theme_choices(service: Raccordo) -> list[tuple[str, str]]:
    """(id, Italian label) of every theme of the deployment's taxonomy, in its order."""
    try:
        taxonomy = service.network.taxonomy
    except (RaccordoError, OSError, ValueError):  # a deployment's broken themes.yaml
        return []
    return [(t.id, t.label) for t in taxonomy.themes]


def render(request: Request, name: str, context: dict[str, Any],
           status_code: int = 200) -> HTMLResponse:
    """Render a page template."""
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    """The HTML error page."""
    return render(request, "errore.html", {"status": status, "message": message},
                  status_code=status)
