"""Metrics, evaluation of trained runs, and the HTML report."""
