"""The shared relevance rule (index/relevance.py)."""

from __future__ import annotations

from index.relevance import evidence_found, longest_run, tokens


def test_tokens_nfkc_lower_words() -> None:
    assert tokens("L'Ente   CREDITORE—ﬁne «art. 3-bis»") == \
        ["l", "ente", "creditore", "fine", "art", "3", "bis"]


def test_longest_run() -> None:
    assert longest_run(list("abcd"), list("xxabcyabcdz")) == 4
    assert longest_run(list("abab"), list("babab")) == 4
    assert longest_run([], list("ab")) == 0


def test_evidence_rule_half_and_at_least_five() -> None:
    evidence = "le ordinanze contingibili e urgenti sono adottate dal sindaco quale rappresentante"
    assert evidence_found(evidence, "In particolare, le ordinanze contingibili e urgenti sono "
                                    "adottate dal sindaco, quale rappresentante della comunita'")
    # six contiguous tokens out of eleven: enough (≥ half and ≥ 5)
    assert evidence_found(evidence, "... dal sindaco quale rappresentante ... le ordinanze "
                                    "contingibili e urgenti sono ...")
    assert not evidence_found(evidence, "le ordinanze e il sindaco: urgenti, adottate")
    assert evidence_found("art. 3-bis", "vedi l'art. 3-bis del CAD")  # short: all tokens
    assert not evidence_found("art. 3-bis", "vedi l'art. 3 del CAD")
    assert not evidence_found("", "qualcosa")


def test_repeated_evidence_tokens() -> None:
    assert evidence_found("a b a b c d e f", "x a b a b c y")
