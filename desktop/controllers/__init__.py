"""Controllers glue views to core: they hold no widgets of their own beyond dialogs they open."""
