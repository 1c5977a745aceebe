"""The SQL of search on PostgreSQL: filters, pgvector nearest neighbours, BM25 and tsvector."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from index.lexical import K1, MAX_QUERY_TERMS, B
from index.models import Filters
from index.thesaurus import Thesaurus
from index.tokenizer import analyze
from ingest.pgstore import vector_text

Clause = tuple[str, list[Any]]


def filter_sql(filters: Filters) -> Clause:
    """A WHERE condition over `chunks c JOIN documents d` (TRUE when nothing is restricted)."""
    parts: list[str] = ["d.status = 'indexed'"]
    args: list[Any] = []
    for column, value in (("d.id", filters.document), ("d.kind", filters.kind),
                          ("d.year", filters.year)):
        if value is not None:
            parts.append(f"{column} = %s")
            args.append(value)
    if filters.city is not None:
        parts.append("lower(d.city) = lower(%s)")
        args.append(filters.city)
    if filters.vigente is not None:
        parts.append("c.vigente = %s")
        args.append(int(filters.vigente))
    if filters.theme is not None:
        parts.append("(c.themes::jsonb ? %s OR d.themes::jsonb ? %s)")
        args += [filters.theme, filters.theme]
    return " AND ".join(parts), args


def dense_sql(qvec: np.ndarray, n: int, where: Clause, *, exact: bool) -> Clause:
    """Nearest chunks by cosine: through the HNSW index, or exactly over the filtered rows."""
    q = vector_text(qvec)
    if exact:  # a MATERIALIZED CTE keeps the planner off the index: exact over few rows
        return (f"WITH f AS MATERIALIZED (SELECT c.id, c.embedding FROM chunks c JOIN documents"
                f" d ON d.id = c.doc_id WHERE {where[0]}) SELECT id, 1 - (embedding <=>"
                " %s::vector) AS s FROM f ORDER BY embedding <=> %s::vector, id LIMIT %s",
                [*where[1], q, q, n])
    return (f"SELECT c.id, 1 - (c.embedding <=> %s::vector) FROM chunks c JOIN documents d"
            f" ON d.id = c.doc_id WHERE {where[0]} ORDER BY c.embedding <=> %s::vector LIMIT %s",
            [q, *where[1], q, n])


def query_terms(query: str, thesaurus: Thesaurus | None = None
                ) -> tuple[list[str], list[float]]:
    """Analysed query terms (the first MAX_QUERY_TERMS) with their counts, then, with a
    `thesaurus`, their alternatives' terms at its weight (as `LexicalIndex.scores`)."""
    analysed = analyze(query)[:MAX_QUERY_TERMS]
    counts: dict[str, float] = {t: float(n) for t, n in Counter(analysed).items()}
    if thesaurus is not None:
        counts.update((term, thesaurus.weight) for term in thesaurus.expansion(analysed))
    return list(counts), list(counts.values())


def bm25_sql(query: str, n_docs: int, avgdl: float, where: Clause, *, limit: int | None,
             only: Sequence[int] | None = None,
             thesaurus: Thesaurus | None = None) -> Clause | None:
    """BM25 (Lucene, as bm25s) of the chunks matching the query, best first (None: no term)."""
    terms, qtf = query_terms(query, thesaurus)
    if not terms:
        return None
    restrict, extra = ("", []) if only is None else (" AND t.chunk_id = ANY(%s)", [list(only)])
    filtered = where[0] != "d.status = 'indexed'"
    join = " JOIN chunks c ON c.id = t.chunk_id JOIN documents d ON d.id = c.doc_id" \
        if filtered else ""
    cond = f" AND {where[0]}" if filtered else ""
    sql = ("WITH q(term, qtf) AS (SELECT * FROM unnest(%s::text[], %s::float8[])),"
           " df AS (SELECT t.term, COUNT(*)::float8 AS df FROM chunk_terms t JOIN q USING (term)"
           " GROUP BY t.term)"
           " SELECT t.chunk_id, SUM(q.qtf * ln(1 + (%s - df.df + 0.5) / (df.df + 0.5)) * t.tf"
           " / (t.tf + %s * (1 - %s + %s * t.dl / %s))) AS s"
           f" FROM chunk_terms t JOIN q USING (term) JOIN df USING (term){join}"
           f" WHERE TRUE{cond}{restrict} GROUP BY t.chunk_id ORDER BY s DESC, t.chunk_id"
           + (" LIMIT %s" if limit is not None else ""))
    args: list[Any] = [terms, qtf, n_docs, K1, B, B, avgdl or 1.0,
                       *(where[1] if filtered else []), *extra]
    return sql, args + ([limit] if limit is not None else [])


def tsvector_sql(query: str, where: Clause, *, limit: int | None,
                 only: Sequence[int] | None = None) -> Clause:
    """PostgreSQL full text ('italian' configuration, any term, ts_rank normalised by length)."""
    restrict, extra = ("", []) if only is None else (" AND c.id = ANY(%s)", [list(only)])
    sql = ("WITH q AS (SELECT NULLIF(replace(plainto_tsquery('italian', %s)::text, '&', '|'),"
           " '')::tsquery AS q)"
           " SELECT c.id, ts_rank(c.tsv, q.q, 1) AS s FROM chunks c JOIN documents d ON"
           f" d.id = c.doc_id, q WHERE c.tsv @@ q.q AND {where[0]}{restrict}"
           " ORDER BY s DESC, c.id" + (" LIMIT %s" if limit is not None else ""))
    return sql, [query, *where[1], *extra] + ([limit] if limit is not None else [])


def similarity_sql(qvec: np.ndarray, ids: Sequence[int]) -> Clause:
    """Cosine similarity of the query with the given chunks."""
    return ("SELECT id, 1 - (embedding <=> %s::vector) FROM chunks WHERE id = ANY(%s)",
            [vector_text(qvec), [int(i) for i in ids]])


def theme_sql(theme: str) -> Clause:
    """Ids of chunks tagged with a theme, directly or through their document."""
    return ("SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE"
            " c.themes::jsonb ? %s OR d.themes::jsonb ? %s", [theme, theme])
