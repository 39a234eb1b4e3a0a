"""Text as a modality: decoding text files, listings of texts, the tokenizer (no torch here)."""
