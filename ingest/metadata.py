"""Document metadata: manifest (MANIFEST.tsv/.csv), sidecars (<file>.meta.yaml), fallbacks.

Precedence, field by field: explicit override (uploads) > sidecar > manifest row > what the
document says about itself (front matter, <title>, DOCX/PDF properties, first heading) > file
name. `url`: the `url` field, else the document's own `url:` (Normattiva front matter, pinned
to the text in force on its `dataVigenza`), else the manifest's `source` (bare host paths such
as "github.com/..." get "https://"). `in_force`, the date of an act's text version:
`ingest.version`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import yaml

from ingest.acts import title_act
from ingest.links import link_version
from ingest.models import KINDS, DocumentMeta
from ingest.readers import Parsed
from ingest.textio import read_text
from ingest.version import declared_date, in_force_on

MANIFESTS = ("MANIFEST.tsv", "MANIFEST.csv", "manifest.tsv", "manifest.csv")
SIDECAR_SUFFIXES = (".meta.yaml", ".meta.yml")
_KIND_SYNONYMS = {
    "legge": "law", "leggi": "law", "costituzione": "law", "law": "law",
    "decreto": "decree", "decreto legislativo": "decree", "dlgs": "decree", "d.lgs.": "decree",
    "dpr": "decree", "decreto-legge": "decree", "decree": "decree",
    "regolamento": "regulation", "regulation": "regulation",
    "statuto": "statute", "statute": "statute",
    "piano": "plan", "programma": "plan", "plan": "plan",
    "pratica": "practice", "buona pratica": "practice", "best practice": "practice",
    "scheda": "practice", "scheda pratica": "practice", "manuale": "practice",
    "practice": "practice",
    "linee guida": "guideline", "linea guida": "guideline", "guida": "guideline",
    "guideline": "guideline", "guidelines": "guideline",
}
_FIELD_ALIASES = {
    "titolo": "title", "tipo": "kind", "type": "kind", "issuing_body": "issuer",
    "ente": "issuer", "issuer": "issuer", "città": "city", "citta": "city", "area": "city",
    "anno": "year", "link": "url", "temi": "themes", "atto": "act",
}
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def normalise_kind(value: str | None) -> str:
    """Map a kind or an Italian synonym onto one of KINDS ('other' when unknown)."""
    key = (value or "").strip().lower()
    if key in KINDS:
        return key
    return _KIND_SYNONYMS.get(key, "other")


def normalise_url(value: str | None) -> str | None:
    """Keep URLs with a scheme; give bare host paths ("github.com/...") https://."""
    value = (value or "").strip()
    if not value:
        return None
    if re.match(r"^[a-z][a-z0-9+.-]*://", value, re.I):
        return value
    if re.match(r"^[\w-]+(\.[\w-]+)+/", value):
        return "https://" + value
    return value


def _canon(row: Mapping[str, object]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in row.items():
        if value is None:
            continue
        name = _FIELD_ALIASES.get(str(key).strip().lower(), str(key).strip().lower())
        text = (", ".join(str(v) for v in value) if isinstance(value, list | tuple)
                else str(value)).strip()
        if text:
            out[name] = text
    return out


def load_manifest(folder: Path) -> dict[str, dict[str, str]]:
    """Rows of the folder's manifest keyed by file (relative path), or {} without one."""
    for name in MANIFESTS:
        path = folder / name
        if path.is_file():
            text = read_text(path.read_bytes())
            delimiter = "\t" if name.endswith(".tsv") else ","
            reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
            rows: dict[str, dict[str, str]] = {}
            for row in reader:
                canon = _canon({k: v for k, v in row.items() if k is not None})
                if canon.get("file"):
                    rows[canon["file"]] = canon
            return rows
    return {}


def load_sidecar(path: Path) -> dict[str, str]:
    """Fields of `<file>.meta.yaml` beside `path`, or {} (bad YAML is ignored)."""
    for suffix in SIDECAR_SUFFIXES:
        side = path.with_name(path.name + suffix)
        if side.is_file():
            try:
                data = yaml.safe_load(read_text(side.read_bytes()))
            except yaml.YAMLError:
                return {}
            return _canon(data) if isinstance(data, dict) else {}
    return {}


def declared(*rows: Mapping[str, str]) -> dict[str, str]:
    """Merge declared fields, later rows winning (manifest, sidecar, override)."""
    out: dict[str, str] = {}
    for row in rows:
        out.update(_canon(row))
    return out


def _year(value: str | None) -> int | None:
    match = _YEAR.search(value or "")
    return int(match.group(1)) if match else None


def _themes(value: str | None) -> tuple[str, ...]:
    return tuple(t.strip() for t in re.split(r"[,;|]", value or "") if t.strip())


def build_meta(file: str, fields: Mapping[str, str], parsed: Parsed | None) -> DocumentMeta:
    """DocumentMeta from declared fields, falling back on what the document says."""
    own_title = parsed.title if parsed else None
    if not own_title and parsed:
        own_title = next((b.text for b in parsed.blocks if b.heading_level), None)
    title = fields.get("title") or own_title or Path(file).stem.replace("_", " ")
    title = " ".join(title.split())[:300]
    act = fields.get("act") or title_act(title)
    kind = normalise_kind(fields.get("kind")) if fields.get("kind") else _kind_from_act(act)
    props = parsed.props if parsed else {}
    in_force = in_force_on(fields, props, title)
    url = fields.get("url") or link_version(props.get("url"), in_force) or fields.get("source")
    return DocumentMeta(
        title=title, kind=kind, issuer=fields.get("issuer"),
        city=fields.get("city") or city_from_issuer(fields.get("issuer")),
        year=_year(fields.get("year")) or _year(title), url=normalise_url(url), act=act,
        themes=_themes(fields.get("themes")), contributor=fields.get("contributor"),
        in_force=in_force)


METROPOLITAN_CITIES = (
    "Bari", "Bologna", "Cagliari", "Catania", "Firenze", "Genova", "Messina", "Milano",
    "Napoli", "Palermo", "Reggio Calabria", "Roma", "Torino", "Venezia",
)
"""The 14 Città metropolitane (Roma Capitale as "Roma"): issuer matching and gap reports."""
_CITY_IN_ISSUER = re.compile(
    r"\b(?:comune|citt[aà]'?\s+metropolitana|area\s+vasta(?:\s+metropoli)?(?:\s+terra)?)"
    r"\s+di\s+(" + "|".join(METROPOLITAN_CITIES) + r")\b", re.IGNORECASE)


def city_from_issuer(issuer: str | None) -> str | None:
    """The metropolitan city an issuing body belongs to ("Comune di Bari" → "Bari"), if any."""
    match = _CITY_IN_ISSUER.search(issuer or "")
    if not match:
        return None
    return next(c for c in METROPOLITAN_CITIES if c.lower() == match.group(1).lower())


def _kind_from_act(act: str | None) -> str:
    if not act:
        return "other"
    kind = act.split(":", 1)[0]
    return "law" if kind in ("legge", "lcost", "costituzione") else "decree"


def meta_matches(stored: DocumentMeta, fields: Mapping[str, str]) -> bool:
    """True when the stored metadata agrees with every declared field (no re-ingest needed)."""
    probe = build_meta("x", fields, None)
    checks = {
        "title": probe.title, "kind": probe.kind, "issuer": probe.issuer, "city": probe.city,
        "year": probe.year, "act": probe.act, "contributor": probe.contributor,
    }
    derived = {"city": "issuer"}  # a value computed from another declared field
    for name, value in checks.items():
        declared = name in fields or derived.get(name, "") in fields
        if declared and getattr(stored, name) != value:
            return False
    if "url" in fields and stored.url != probe.url:
        return False
    declared_version = declared_date(fields)  # an unreadable one defers to the file
    if declared_version and stored.in_force != declared_version:
        return False
    return not ("themes" in fields and stored.themes != probe.themes)


NO_CITY = "nazionale / non specificata"
"""Label of documents without a city (national acts, guidelines, unknown origin)."""

_PREFIXES = re.compile(
    r"^(?:citta metropolitana di|citta metropolitana|cm|c m|comune di|provincia di|"
    r"area vasta( metropoli)?( terra)? di)\s+"
)


def city_key(name: str | None) -> str:
    """A comparison key: lower case, no accents or punctuation, no 'Città metropolitana di'."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^a-z0-9]+", " ", text.replace("'", " ")).strip()
    text = _PREFIXES.sub("", text)
    return "roma" if text in {"roma capitale", "roma"} else text


def city_label(city: str | None) -> str:
    """The name shown for a document's city (NO_CITY when it has none)."""
    return city.strip() if city and city.strip() else NO_CITY
