"""Reusable widgets. They get the services they need passed in, never the main window."""
