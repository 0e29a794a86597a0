"""The policy knowledge base: articles as reviewable data files, their loader, the hybrid
(BM25 + dense) index, search with confidence decisions, and the search/admin HTTP API."""
