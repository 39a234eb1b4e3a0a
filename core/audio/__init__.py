"""Audio-specific engine parts: cutting long recordings into samples."""
