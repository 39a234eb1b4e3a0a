"""Thumbnails for the sample grid: drawn in the background, cached on disk and in memory."""
