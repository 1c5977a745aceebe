"""The taxonomy of the practice network: areas, themes and competences (a YAML file)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from bot.errors import BadRequest

DEFAULT_TAXONOMY = Path(str(resources.files("bot.network").joinpath("themes.yaml")))
"""The packaged taxonomy (package data, so an installed wheel or the Docker image has it)."""


@dataclass(frozen=True)
class Theme:
    """One entry of the taxonomy: an area (group), a theme of an area, or a competence."""

    id: str
    label: str
    description: str
    kind: str  # "group", "theme" or "competence"
    parent: str | None = None
    examples: tuple[str, ...] = ()

    def query_texts(self) -> list[str]:
        """The texts embedded (as e5 queries) to recognise this theme."""
        return [f"{self.label}. {self.description}", *self.examples]


@dataclass(frozen=True)
class Taxonomy:
    """The ordered list of themes, with lookups."""

    themes: tuple[Theme, ...]

    def get(self, theme_id: str) -> Theme | None:
        """The theme with this id, or None."""
        return next((t for t in self.themes if t.id == theme_id), None)

    def require(self, theme_id: str) -> Theme:
        """The theme with this id; BadRequest (Italian) when unknown."""
        theme = self.get(theme_id)
        if theme is None:
            known = ", ".join(t.id for t in self.themes)
            raise BadRequest(f"Tema sconosciuto: {theme_id}. Temi disponibili: {known}")
        return theme

    def ids(self) -> list[str]:
        """Every id, in taxonomy order."""
        return [t.id for t in self.themes]

    def leaves(self) -> list[Theme]:
        """The themes tagging assigns directly (themes of areas and competences)."""
        return [t for t in self.themes if t.kind != "group"]

    def label(self, theme_id: str) -> str:
        """The Italian label of an id (the id itself when unknown)."""
        theme = self.get(theme_id)
        return theme.label if theme else theme_id

    def expand(self, ids: Sequence[str]) -> tuple[str, ...]:
        """Known ids plus their groups, in taxonomy order (unknown ids are dropped)."""
        wanted = set(ids)
        for theme_id in ids:
            theme = self.get(theme_id)
            if theme is not None and theme.parent:
                wanted.add(theme.parent)
        return tuple(t.id for t in self.themes if t.id in wanted)


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read a taxonomy YAML (default: the packaged themes.yaml)."""
    return _load(str(Path(path) if path else DEFAULT_TAXONOMY))


@lru_cache(maxsize=4)
def _load(path: str) -> Taxonomy:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    themes: list[Theme] = []
    for group in raw.get("groups", []):
        themes.append(_theme(group, "group", None))
        themes.extend(_theme(child, "theme", group["id"]) for child in group.get("themes", []))
    themes.extend(_theme(item, "competence", None) for item in raw.get("competences", []))
    ids = [t.id for t in themes]
    if len(ids) != len(set(ids)):
        raise BadRequest(f"Tassonomia dei temi con id duplicati: {path}")
    return Taxonomy(tuple(themes))


def _theme(raw: dict[str, object], kind: str, parent: str | None) -> Theme:
    examples = raw.get("examples") or []
    assert isinstance(examples, list)
    return Theme(id=str(raw["id"]), label=str(raw["label"]),
                 description=" ".join(str(raw.get("description", "")).split()),
                 kind=kind, parent=parent, examples=tuple(str(e) for e in examples))
