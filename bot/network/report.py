"""`raccordo report`: the dashboard's aggregates as Markdown and CSV files."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.network.stats import Stats

CSV_FILES = ("documenti_per_citta.csv", "documenti_per_tipo.csv", "documenti_per_tema.csv",
             "contributi.csv", "domande_per_giorno.csv", "lacune.csv", "documenti_piu_citati.csv")


def render_markdown(stats: Stats) -> str:
    """The report for the coordinators' meetings, in Italian Markdown."""
    data = stats.to_json()
    out: list[str] = ["# Rapporto della rete Raccordo", "",
                      f"Dal {data['since'][:10]} al {data['generated_at'][:10]}.", ""]
    out += _section("Documenti per città", ("Città", "Documenti"),
                    stats.documents_by_city.items())
    out += _section("Documenti per tipo", ("Tipo", "Documenti"), stats.documents_by_kind.items())
    out += _section("Documenti per tema", ("Tema", "Documenti"),
                    ((stats.theme_labels.get(t, t), n)
                     for t, n in stats.documents_by_theme.items()))
    out += _section("Contributi", ("Stato", "Numero"),
                    ((_STATUS[s], n) for s, n in stats.contributions.items()))
    out += _section(f"Domande nel periodo ({stats.questions_total})",
                    ("Giorno", "Domande", "Senza risposta"),
                    ((d["day"], d["questions"], d["abstained"]) for d in stats.questions_by_day))
    out += _section("Lacune di conoscenza (domande senza risposta, con 👎 o con risposta incerta)",
                    ("Argomento", "Domande", "Esempio"),
                    ((g["topic"], g["count"], g["example"] or "—") for g in stats.gaps))
    out += _section("Documenti più citati", ("Documento", "Città", "Citazioni"),
                    ((d["title"], d["city"] or "—", d["citations"]) for d in stats.most_cited))
    if not stats.question_text_shown:
        out.append("_Testo delle domande non registrato: le lacune sono descritte dai termini._")
    return "\n".join(out).rstrip() + "\n"


def write_csv(stats: Stats, folder: Path) -> list[Path]:
    """Write one CSV (UTF-8, comma-separated, with header) per table; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    tables: list[tuple[Sequence[str], Iterable[Sequence[object]]]] = [
        (("citta", "documenti"), stats.documents_by_city.items()),
        (("tipo", "documenti"), stats.documents_by_kind.items()),
        (("tema", "etichetta", "documenti"),
         ((t, stats.theme_labels.get(t, t), n) for t, n in stats.documents_by_theme.items())),
        (("stato", "contributi"), stats.contributions.items()),
        (("giorno", "domande", "senza_risposta"),
         ((d["day"], d["questions"], d["abstained"]) for d in stats.questions_by_day)),
        (("argomento", "domande", "senza_risposta", "voti_negativi", "incerte", "esempio"),
         ((g["topic"], g["count"], g["abstained"], g["downvoted"], g["uncertain"],
           g["example"] or "") for g in stats.gaps)),
        (("doc_id", "titolo", "file", "citta", "citazioni"),
         ((d["doc_id"], d["title"], d["file"] or "", d["city"] or "", d["citations"])
          for d in stats.most_cited)),
    ]
    paths: list[Path] = []
    for name, (header, rows) in zip(CSV_FILES, tables, strict=True):
        path = folder / name
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
        paths.append(path)
    return paths


_STATUS = {"pending": "in attesa", "approved": "approvati", "rejected": "respinti"}


def _section(title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    body = [" | ".join(_cell(v) for v in row) for row in rows]
    lines = [f"## {title}", ""]
    if not body:
        return [*lines, "Nessun dato.", ""]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(" --- " for _ in header) + "|")
    lines += [f"| {b} |" for b in body]
    return [*lines, ""]


def _cell(value: object) -> str:
    return " ".join(str(value).split()).replace("|", "\\|")
