"""Answers: retrieval to cited answer (extraction, abstention, citations, follow-ups, LLM)."""
