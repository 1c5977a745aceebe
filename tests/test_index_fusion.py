"""Weighted reciprocal-rank fusion and reference parsing/matching."""

from __future__ import annotations

import numpy as np
import pytest

from index.fusion import add_bonus, order, rrf
from index.references import QueryRef, ReferenceTable, normalise_number, parse_references


def test_rrf_sums_weighted_reciprocal_ranks() -> None:
    scores = rrf([(np.array([7, 8]), 1.0), (np.array([8, 9]), 2.0)], k=60)
    assert scores[7] == pytest.approx(1 / 61)
    assert scores[8] == pytest.approx(1 / 62 + 2 / 61)
    assert scores[9] == pytest.approx(2 / 62)
    assert order(scores) == [8, 9, 7]


def test_order_puts_pinned_first_and_bonus_moves_candidates() -> None:
    scores = {1: 0.03, 2: 0.02, 3: 0.01}
    assert order(scores, pinned=[3, 3]) == [3, 1, 2]
    add_bonus(scores, {2: 0.02})
    assert order(scores) == [2, 1, 3]


@pytest.mark.parametrize(("query", "expected"), [
    ("art. 50, comma 5, del TUEL", [QueryRef("dlgs:267/2000", "50", "5")]),
    ("art. 107 co. 3 d.lgs. 267/2000", [QueryRef("dlgs:267/2000", "107", "3")]),
    ("art. 1, comma 44, lett. c), della legge 56/2014", [QueryRef("legge:56/2014", "1", "44")]),
    ("l'art. 14-ter della legge 241", [QueryRef("legge:241/", "14-ter", None)]),
    ("legge 241 del 1990, art. 2", [QueryRef("legge:241/1990", "2", None)]),
    ("art. 3 bis del CAD", [QueryRef("dlgs:82/2005", "3-bis", None)]),
    ("d.lgs. 33/2013", [QueryRef("dlgs:33/2013", None, None)]),
    ("art. 5 comma 2", [QueryRef(None, "5", "2")]),
    ("come si nomina il responsabile?", []),
])
def test_parse_references(query: str, expected: list[QueryRef]) -> None:
    assert parse_references(query) == expected


def test_normalise_number() -> None:
    assert normalise_number("14 Ter") == normalise_number("14ter") == "14-ter"
    assert normalise_number(None) is None


def test_reference_table_pins_comma_first_then_article_by_score() -> None:
    acts = ["dlgs:267/2000"] * 4 + ["legge:241/1990"]
    articles = ["107", "107", "107", "50", "107"]
    commi = [("1",), ("2",), ("3",), ("5",), ("3",)]
    table = ReferenceTable(acts, articles, commi)
    scores = {0: 0.01, 1: 0.03, 2: 0.0}
    assert table.pinned([QueryRef("dlgs:267/2000", "107", "3")], scores)[:1] == [2]
    assert table.pinned([QueryRef("dlgs:267/2000", "107", None)], scores) == [1, 0, 2]
    assert table.pinned([QueryRef("legge:241/", "107", None)], scores) == [4]
    assert table.pinned([QueryRef("dlgs:165/2001", "107", None)], scores) == []
    assert set(table.bonus([QueryRef(None, "107", None)], [0, 3, 4])) == {0, 4}
    assert set(table.bonus([QueryRef("dlgs:267/2000", None, None)], [0, 3, 4])) == {0, 3}


def test_convex_fusion_normalises_each_list() -> None:
    from index.fusion import Weights, convex, fuse

    fused = convex([(np.array([1, 2, 3]), np.array([0.9, 0.8, 0.7]), 0.4),
                    (np.array([3, 4]), np.array([20.0, 10.0]), 0.6)])
    assert fused[1] == pytest.approx(0.4)
    assert fused[2] == pytest.approx(0.2)
    assert fused[3] == pytest.approx(0.6)  # last for dense (0), first for BM25 (0.6)
    assert fused[4] == pytest.approx(0.0)
    rrf_fused = fuse(Weights(method="rrf", dense=1.0, lexical=1.0, rrf_k=60),
                     (np.array([1]), np.array([0.9])), (np.array([1]), np.array([5.0])))
    assert rrf_fused[1] == pytest.approx(2 / 61)
