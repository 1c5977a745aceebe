"""Index: chunks → embeddings + FAISS + Italian BM25 → fused `Hit`s."""
