"""Model training tools (torch; install with the `[train]` extra): E5S1 <-> Hugging Face BERT."""
