"""Hybrid retrieval over the current tenant's chunks: pgvector HNSW + PostgreSQL full text, fused by RRF.

Import from ``knowledge.services`` (``search``, ``SearchHit``, ``SearchMode``):
that is the stable entry point; this module holds the SQL.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction

from helpdesk.ai import active_model_key, embedder
from helpdesk.tenants.db import connection
from knowledge.metrics import RETRIEVAL_SECONDS
from knowledge.models import TS_CONFIGS, Visibility

# Weighted reciprocal-rank fusion: score = sum over retrievers of weight / (RRF_K + rank). On bench/kb.py's
# 300 man-page queries the textbook k = 60 with equal weights scored below vector-only (recall@5 0.877 vs
# 0.883); k = 10 with full text at half weight scored above it (0.897, MRR 0.809 vs 0.776). Chosen on
# that query set (see bench/results/kb.md), so the margin is optimistic.
RRF_K = 10
RETRIEVER_WEIGHTS = {"vector": 1.0, "keyword": 0.5}
MAX_TOP_K = 100
# None (or ""): both; otherwise only chunks of that visibility.
VISIBILITIES = {None, "", *Visibility.values}
_MARK_START, _MARK_END = "\x02", "\x03"
_MARKED = re.compile(f"{_MARK_START}(.*?){_MARK_END}", re.S)
# websearch syntax a user typed on purpose ("phrase", -exclude, or): keep the query strict then.
_OPERATORS = re.compile(r'"|(^|\s)-\w|\sor\s', re.I)


class SearchMode(StrEnum):
    HYBRID = "hybrid"
    VECTOR = "vector"
    KEYWORD = "keyword"


class SearchError(ValueError):
    """Bad search arguments; the message says which and why."""


@dataclass(frozen=True)
class SearchHit:
    """One retrieved chunk.

    ``score`` depends on the mode: cosine similarity (vector), ``ts_rank_cd``
    (keyword) or the weighted reciprocal-rank-fusion sum (hybrid, at most 1.5/11 ≈ 0.136).
    ``similarity`` is the cosine similarity to the query in every mode where the
    query was embedded (vector, hybrid), whichever retriever found the chunk.
    """

    chunk_id: int
    document_id: int
    document_title: str
    text: str
    heading: str
    position: int
    score: float
    similarity: float | None
    retrievers: tuple[str, ...]
    highlights: tuple[str, ...]
    language: str = ""
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    # The id an external system upserted the chunk with (or the document's), and who may read it.
    external_id: str = ""
    visibility: str = "internal"


@dataclass(frozen=True)
class _Filters:
    tags: tuple[str, ...]
    language: str | None
    document_ids: tuple[int, ...]
    include_archived: bool
    visibility: str | None = None
    # The model of the query vector: only vectors of the same model are compared with it.
    embedding_model: str = ""

    def sql(self, alias: str = "c") -> tuple[str, list[Any]]:
        clauses: list[str] = ["TRUE"]
        params: list[Any] = []
        if not self.include_archived:
            clauses.append(f"NOT {alias}.archived")
        if self.tags:
            clauses.append(f"{alias}.tags && %s::varchar[]")
            params.append(list(self.tags))
        if self.language:
            clauses.append(f"{alias}.language = %s")
            params.append(self.language)
        if self.document_ids:
            clauses.append(f"{alias}.document_id = ANY(%s)")
            params.append(list(self.document_ids))
        if self.visibility:
            clauses.append(f"{alias}.visibility = %s")
            params.append(self.visibility)
        return " AND ".join(clauses), params

    @property
    def narrowing(self) -> bool:
        return bool(self.tags or self.language or self.document_ids or self.visibility)


def vector_literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in vector.tolist()) + "]"


def _tsquery_sql(language: str | None, strict: bool) -> str:
    """A tsquery expression of the text in %s (used twice when no language is given)."""
    if language:
        query = f"websearch_to_tsquery('{TS_CONFIGS.get(language, 'simple')}', %s)"
    else:
        # English and Russian stems; the russian config stems Latin words with english_stem too.
        query = "(websearch_to_tsquery('english', %s) || websearch_to_tsquery('russian', %s))"
    return query if strict else f"replace({query}::text, '&', '|')::tsquery"


def _query_params(query: str, language: str | None) -> list[str]:
    return [query] if language else [query, query]


def _vector_candidates(vector: str, filters: _Filters, limit: int) -> list[tuple[int, float]]:
    where, params = filters.sql()
    # Never compare vectors of two models (a chunk indexed before a finished switch would be noise).
    where += " AND c.embedding_model = %s"
    params.append(filters.embedding_model)
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL hnsw.ef_search = {max(int(settings.KB_HNSW_EF_SEARCH), limit)}")
        if filters.narrowing:
            # Filters apply after the index scan; let pgvector keep scanning until enough rows pass.
            cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        else:
            # The planner underrates a sequential scan's cost of reading TOASTed vectors and picks it
            # for small tables (20 ms at 5k chunks instead of 0.5 ms); without filters HNSW is always right.
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            f"SELECT c.id, 1 - (c.embedding <=> %s::vector) AS similarity FROM knowledge_chunk c "  # noqa: S608
            f"WHERE {where} ORDER BY c.embedding <=> %s::vector LIMIT %s",
            [vector, *params, vector, limit],
        )
        rows = cursor.fetchall()
    # relaxed_order may return rows slightly out of order
    return sorted(((int(i), float(s)) for i, s in rows), key=lambda r: -r[1])


def _keyword_candidates(query: str, filters: _Filters, limit: int, *, any_term: bool) -> list[tuple[int, float]]:
    """Chunks holding all the query's terms, ranked; with ``any_term``, when none holds them all, those
    holding any of them (this ranks every such chunk: 10-75 ms at 100k chunks, so hybrid search, whose
    vector side already brings the loose matches, does not ask for it)."""
    where, params = filters.sql()
    rows: list[tuple[int, float]] = []
    strict_only = not any_term or bool(_OPERATORS.search(query))
    for strict in (True, False) if not strict_only else (True,):
        tsquery = _tsquery_sql(filters.language, strict)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT c.id, ts_rank_cd(c.search_vector, q.query) AS rank "  # noqa: S608
                f"FROM knowledge_chunk c, (SELECT {tsquery} AS query) q "
                f"WHERE c.search_vector @@ q.query AND {where} ORDER BY rank DESC, c.id LIMIT %s",
                [*_query_params(query, filters.language), *params, limit],
            )
            found = [(int(i), float(r)) for i, r in cursor.fetchall()]
        rows.extend(found)
        if rows:
            break
    return rows[:limit]


def _fuse(rankings: dict[str, list[tuple[int, float]]]) -> list[tuple[int, float, tuple[str, ...]]]:
    scores: dict[int, float] = {}
    found_by: dict[int, list[str]] = {}
    for name, ranking in rankings.items():
        for rank, (chunk_id, _) in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + RETRIEVER_WEIGHTS[name] / (RRF_K + rank)
            found_by.setdefault(chunk_id, []).append(name)
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [(chunk_id, score, tuple(found_by[chunk_id])) for chunk_id, score in ordered]


def _hits(
    ranked: list[tuple[int, float, tuple[str, ...]]],
    query: str,
    vector: str | None,
    language: str | None,
    embedding_model: str = "",
) -> list[SearchHit]:
    if not ranked:
        return []
    ids = [chunk_id for chunk_id, _, _ in ranked]
    similarity = (
        "CASE WHEN c.embedding_model = %s THEN 1 - (c.embedding <=> %s::vector) END" if vector else "NULL::float"
    )
    headline_options = f"StartSel={_MARK_START}, StopSel={_MARK_END}, HighlightAll=true"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.id, c.document_id, d.title, c.text, c.heading, c.position, {similarity}, "  # noqa: S608
            f"c.language, c.tags, c.metadata, c.external_id, c.visibility, "
            f"ts_headline(knowledge_ts_config(c.language), c.heading || E'\\n' || c.text, "
            f"{_tsquery_sql(language, strict=False)}, %s) "
            f"FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id WHERE c.id = ANY(%s)",
            [*([embedding_model, vector] if vector else []), *_query_params(query, language), headline_options, ids],
        )
        rows = {row[0]: row for row in cursor.fetchall()}
    hits = []
    for chunk_id, score, retrievers in ranked:
        row = rows.get(chunk_id)
        if row is None:  # deleted between the two queries
            continue
        terms = dict.fromkeys(term.lower() for term in _MARKED.findall(row[12] or ""))
        # Django's psycopg setup leaves jsonb as text in raw queries.
        metadata = json.loads(row[9]) if isinstance(row[9], str) else (row[9] or {})
        hits.append(
            SearchHit(
                chunk_id=chunk_id,
                document_id=row[1],
                document_title=row[2],
                text=row[3],
                heading=row[4],
                position=row[5],
                score=score,
                similarity=None if row[6] is None else float(row[6]),
                retrievers=retrievers,
                highlights=tuple(terms),
                language=row[7],
                tags=tuple(row[8] or ()),
                metadata=metadata,
                external_id=row[10],
                visibility=row[11],
            )
        )
    return hits


def run_search(
    query: str,
    *,
    top_k: int,
    mode: SearchMode | str,
    tags: Sequence[str],
    language: str | None,
    document_ids: Sequence[int],
    min_score: float | None,
    min_similarity: float | None,
    include_archived: bool,
    visibility: str | None = None,
    query_vector: np.ndarray | None = None,
    embedding_model: str = "",
) -> list[SearchHit]:
    """``query_vector``, when given, must come from ``embedding_model`` (default: the tenant's active model)."""
    query = (query or "").strip()
    if not query:
        raise SearchError("The query is empty.")
    try:
        mode = SearchMode(mode)
    except ValueError as exc:
        raise SearchError(f"Unknown mode {mode!r}; use one of: {', '.join(m.value for m in SearchMode)}.") from exc
    if not 1 <= top_k <= MAX_TOP_K:
        raise SearchError(f"top_k must be between 1 and {MAX_TOP_K}.")
    if visibility not in VISIBILITIES:
        raise SearchError(f"Unknown visibility {visibility!r}; use internal or public (or leave it out for both).")
    model = embedding_model or active_model_key()
    filters = _Filters(
        tuple(tags),
        language or None,
        tuple(int(i) for i in document_ids),
        include_archived,
        visibility or None,
        embedding_model=model,
    )
    candidates = top_k if mode != SearchMode.HYBRID else max(4 * top_k, 40)
    vector: str | None = None
    if mode != SearchMode.KEYWORD:
        if query_vector is None:
            query_vector = embedder(model).embed_query(query)
        vector = vector_literal(query_vector)
    started = time.perf_counter()
    with transaction.atomic():
        rankings: dict[str, list[tuple[int, float]]] = {}
        if vector is not None:
            rankings["vector"] = _vector_candidates(vector, filters, candidates)
        if mode != SearchMode.VECTOR:
            rankings["keyword"] = _keyword_candidates(query, filters, candidates, any_term=mode == SearchMode.KEYWORD)
        if mode == SearchMode.HYBRID:
            ranked = _fuse(rankings)[:top_k]
        else:
            (name, ranking), *_ = rankings.items()
            ranked = [(chunk_id, score, (name,)) for chunk_id, score in ranking[:top_k]]
        hits = _hits(ranked, query, vector, filters.language, model)
    _observe(mode, time.perf_counter() - started)
    if min_score is not None:
        hits = [hit for hit in hits if hit.score >= min_score]
    if min_similarity is not None:
        hits = [hit for hit in hits if hit.similarity is not None and hit.similarity >= min_similarity]
    return hits


def _observe(mode: SearchMode, seconds: float) -> None:
    RETRIEVAL_SECONDS.labels(mode=mode.value).observe(seconds)
