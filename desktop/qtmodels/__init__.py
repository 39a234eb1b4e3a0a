"""Qt item models over core data (views stay dumb; core stays Qt-free)."""
