"""How the service ranks what it finds: the passage search answers read, and our model."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.app.settings import Settings

if TYPE_CHECKING:
    from bot.answers.answerer import PassageSearch
    from index.pgsearch import PgSearcher
    from index.ranking import CrossEncoderRanker
    from index.searcher import Searcher
    from index.thesaurus import Thesaurus

log = logging.getLogger(__name__)


def passage_search(searcher: Searcher | PgSearcher, settings: Settings,
                   calibrated_weights: str | None,
                   ranker: CrossEncoderRanker | None) -> PassageSearch:
    """Hybrid search, then coverage re-ranking (unless switched off), then our cross-encoder
    (when on). The fitted coverage weights read our e5-small's similarities
    (docs/benchmarks-retrieval.md): other weights and embedders keep the hand-tuned formula."""
    search: PassageSearch = searcher
    if settings.coverage_rerank:
        from index.coverage import FITTED, HAND_TUNED, CoverageRanker, CoverageSearch

        fitted = settings.coverage_weights == "fitted" and calibrated_weights == "raccordo"
        search = CoverageSearch(search, CoverageRanker(
            searcher.term_weight, FITTED if fitted else HAND_TUNED,
            figures_first=settings.figures_first, thesaurus=thesaurus(settings)))
    if settings.ranker and ranker is not None:
        from index.ranking import RerankedSearch

        search = RerankedSearch(search, ranker, pool=settings.ranker_pool)
    return search


def thesaurus(settings: Settings) -> Thesaurus | None:
    """The words of administrative Italian that name the same thing, unless switched off."""
    from index.thesaurus import ADMINISTRATIVE

    return ADMINISTRATIVE if settings.thesaurus else None


def load_ranker(settings: Settings) -> tuple[CrossEncoderRanker | None, str]:
    """Our ranking model and what `/readyz` says of it; None when switched off, missing or
    corrupt (answers then use the hand-tuned order and the evidence threshold)."""
    uses = [use for use, on in (("astensione", settings.ranker_abstention),
                                ("ordine dei passi", settings.ranker)) if on]
    if not uses:
        return None, "disattivato (RACCORDO_RANKER=false, RACCORDO_RANKER_ABSTENTION=false)"
    from index.ranking import MODEL_DIR, CrossEncoderRanker, RankerUnavailable

    try:
        ranker = CrossEncoderRanker(settings.ranker_dir or MODEL_DIR)
    except RankerUnavailable as exc:
        log.warning("modello di riordino non disponibile: %s", exc)
        return None, f"non disponibile: {exc}"
    return ranker, f"attivo ({', '.join(uses)})"
