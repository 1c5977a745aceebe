"""Document endpoints: list, detail, upload and delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from bot.api.deps import MAX_ID, MAX_YEAR, MIN_YEAR, Kind, MetricsDep, ReadKey, ServiceDep, WriteKey
from bot.api.errors import ID_ERRORS, READ_ERRORS, WRITE_ERRORS
from bot.api.jobs import Job, UploadJobs
from bot.api.metrics import Metrics
from bot.api.readiness import generation_of
from bot.api.schemas import (
    DeleteOut,
    DocumentDetailOut,
    DocumentPageOut,
    JobOut,
    UploadOut,
    chunk_out,
    document_out,
)
from bot.api.uploads import delete_document, save_upload, uploads_root
from bot.app.service import Raccordo
from bot.errors import NotFound
from ingest.store import StoredDocument

router = APIRouter(prefix="/api/documents", tags=["documenti"])
jobs_router = APIRouter(prefix="/api/jobs", tags=["documenti"])

DocId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id del documento")]
Text = Annotated[str | None, Form(max_length=300)]


@router.get("", response_model=DocumentPageOut, responses=READ_ERRORS,
            summary="Elenco dei documenti (paginato, filtrabile)")
def list_documents(
    service: ServiceDep, _key: ReadKey,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 20,
    kind: Annotated[Kind | None, Query()] = None,
    city: Annotated[str | None, Query(max_length=100)] = None,
    year: Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR)] = None,
    theme: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[Literal["indexed", "skipped"] | None, Query()] = None,
) -> DocumentPageOut:
    """Documents ordered by file, filtered by kind, city, year, theme and status."""
    docs = filter_documents(service.store.documents(), kind=kind, city=city, year=year,
                            theme=theme, status=status)
    start = (page - 1) * per_page
    return DocumentPageOut(page=page, per_page=per_page, total=len(docs),
                           documents=[document_out(d) for d in docs[start:start + per_page]])


def filter_documents(docs: list[StoredDocument], *, kind: str | None = None,
                     city: str | None = None, year: int | None = None,
                     theme: str | None = None, status: str | None = None
                     ) -> list[StoredDocument]:
    """The documents matching every given criterion (city compared case-insensitively)."""
    city_key = (city or "").strip().casefold()
    return [d for d in docs
            if (kind is None or d.meta.kind == kind)
            and (not city_key or (d.meta.city or "").casefold() == city_key)
            and (year is None or d.meta.year == year)
            and (not theme or theme in d.meta.themes)
            and (status is None or d.status == status)]


@router.get("/{doc_id}", response_model=DocumentDetailOut, responses=ID_ERRORS,
            summary="Un documento con i suoi passaggi")
def get_document(doc_id: DocId, service: ServiceDep, _key: ReadKey) -> DocumentDetailOut:
    """Metadata and every chunk with its locator, in document order."""
    stored = find_or_404(service, doc_id)
    return DocumentDetailOut(document=document_out(stored),
                             chunks=[chunk_out(c) for c in service.store.chunks(doc_id)])


def find_or_404(service: Raccordo, doc_id: int) -> StoredDocument:
    """The stored document, or NotFound."""
    stored = service.store.document(doc_id)
    if stored is None:
        raise NotFound(f"Nessun documento con id {doc_id}.")
    return stored


@router.post("", response_model=UploadOut, status_code=202, responses=WRITE_ERRORS,
             summary="Carica un documento (chiave con ruolo write); acquisito in background")
async def upload_document(
    request: Request, response: Response, service: ServiceDep, key: WriteKey,
    file: Annotated[UploadFile, File(description="PDF, DOCX, HTML, Markdown, testo…")],
    title: Text = None,
    kind: Annotated[Kind, Form()] = "other",
    city: Annotated[str | None, Form(max_length=100)] = None,
    year: Annotated[int | None, Form(ge=MIN_YEAR, le=MAX_YEAR)] = None,
    url: Annotated[str | None, Form(max_length=2000)] = None,
) -> UploadOut:
    """Save the file and queue it; follow the job at `status_url` (GET /api/jobs/{id})."""
    max_bytes = service.settings.max_upload_mb * 1024 * 1024
    path = await save_upload(file, uploads_root(service), max_bytes)
    fields = {"title": (title or "").strip(), "kind": kind, "city": (city or "").strip(),
              "year": str(year or ""), "url": (url or "").strip(),
              "contributor": f"api:{key.prefix}"}
    meta = {name: value for name, value in fields.items() if value}
    jobs: UploadJobs = request.app.state.jobs
    job = jobs.submit(path, meta, actor=f"api:{key.id}")
    status_url = f"/api/jobs/{job.id}"
    response.headers["Location"] = status_url
    return UploadOut(job=job_out(service, job), status_url=status_url)


def job_out(service: Raccordo, job: Job) -> JobOut:
    """A job with its document once indexed."""
    out = JobOut.model_validate(job.to_json())
    if job.document_id is not None:
        stored = service.store.document(job.document_id)
        out.document = document_out(stored) if stored is not None else None
        out.generation = generation_of(service)
    return out


@jobs_router.get("/{job_id}", response_model=JobOut, responses=ID_ERRORS,
                 summary="Stato di un caricamento (chiave con ruolo write)")
def get_job(request: Request, service: ServiceDep, _key: WriteKey,
            job_id: Annotated[str, Path(max_length=40, pattern=r"^[\w-]+$")]) -> JobOut:
    """queued → running → indexed (with the document) or rejected (with the reason)."""
    jobs: UploadJobs = request.app.state.jobs
    job = jobs.get(job_id)
    if job is None:
        raise NotFound("Nessun caricamento con questo id (o dimenticato dopo un riavvio).")
    return job_out(service, job)


def job_finished(service: Raccordo, metrics: Metrics) -> Callable[[Job], None]:
    """Count and audit a finished upload job."""
    def done(job: Job) -> None:
        metrics.ingests.labels("indexed" if job.status == "indexed" else "rejected").inc()
        if job.document_id is not None:
            service.appdb.audit(job.actor, "upload", doc_id=job.document_id, file=job.file)
    return done


@router.delete("/{doc_id}", response_model=DeleteOut, responses=ID_ERRORS,
               summary="Elimina un documento (chiave con ruolo write)")
async def remove_document(doc_id: DocId, service: ServiceDep, metrics: MetricsDep,
                          key: WriteKey) -> DeleteOut:
    """Delete a document; its chunks leave search once the new generation is published."""
    stored = await run_in_threadpool(delete_document, service, doc_id)
    metrics.deletions.inc()
    service.appdb.audit(f"api:{key.id}", "delete", doc_id=stored.id, file=stored.file)
    return DeleteOut(id=doc_id, deleted=True, generation=generation_of(service))
