"""Prometheus metrics of the knowledge base (exported by /metrics with the others)."""

from prometheus_client import Counter, Histogram

RETRIEVAL_SECONDS = Histogram(
    "helpdesk_kb_retrieval_seconds",
    "Knowledge-base retrieval time in the database (excluding the query embedding).",
    ["mode"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
INDEXED_CHUNKS = Counter(
    "helpdesk_kb_chunks_embedded_total", "Chunks embedded and stored by ingestion and upserts.", ["source"]
)
