"""Run an exported TransferLab model on files with onnxruntime only (never torch).

Labels and preprocessing come from the model's metadata, so a model file is all a user needs.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from core.errors import TransferLabError
from core.media import MediaError, audio_info, check_wav_length, decode_image, fit_length, kind_of, read_audio
from core.predict import contract as C
from core.safe_files import os_error_reason, walk_files


# A clip shorter than a tenth of the model's window is, after padding to that window, more than 90%
# silence: unlike anything the model learnt from, so its answer would be noise said with confidence.
MIN_WINDOW_FRACTION = 0.1
MIN_SECONDS = 0.1
SILENT_PEAK = 10 ** (-60 / 20)  # -60 dBFS: below the noise floor of ordinary recordings


def judge_clip(wave: np.ndarray, sample_rate: int, window_seconds: float, min_samples: int = 0) -> str | None:
    """Why a clip cannot be judged (empty, too short, silent), or None when it can."""
    if wave.size == 0:
        return "no answer: the file holds no sound (0 samples)"
    seconds = wave.size / sample_rate
    needed = max(MIN_SECONDS, MIN_WINDOW_FRACTION * window_seconds, min_samples / sample_rate)
    if seconds < needed:
        return f"no answer: {seconds:.2f} s is too short to judge (this model needs at least {needed:.2f} s)"
    peak = float(np.abs(wave).max())
    if peak < SILENT_PEAK:
        level = f"{20 * np.log10(peak):.0f} dBFS" if peak > 0 else "digital silence"
        return f"no answer: the clip is silent (its loudest sample is {level})"
    return None


class ModelError(TransferLabError):
    """The .onnx file is missing, damaged, or not a TransferLab model."""


@dataclass(frozen=True)
class WindowPrediction:
    start: float
    end: float
    label: str
    confidence: float


@dataclass(frozen=True)
class Prediction:
    path: str
    label: str | None = None
    confidence: float | None = None
    top: list[tuple[str, float]] = field(default_factory=list)
    windows: list[WindowPrediction] | None = None
    error: str | None = None
    note: str | None = None
    # multi-task models: {extra label set: (label, confidence)}
    label_sets: dict[str, tuple[str, float]] = field(default_factory=dict)

    def to_json(self) -> dict:
        out = {"path": self.path, "label": self.label, "confidence": self.confidence}
        out["top"] = [{"label": name, "confidence": p} for name, p in self.top]
        if self.label_sets:
            out["label_sets"] = {k: {"label": name, "confidence": p} for k, (name, p) in self.label_sets.items()}
        if self.windows is not None:
            out["windows"] = [vars(w).copy() for w in self.windows]
        if self.error:
            out["error"] = self.error
        if self.note:
            out["note"] = self.note
        return out


class Predictor:
    """``Predictor("model.onnx").predict(["a.jpg", "b.png"])``."""

    def __init__(self, model_path: str | os.PathLike, *, threads: int | None = None):
        # onnxruntime loads when a model is opened: core.export reads this package's contract only
        import onnxruntime as ort

        self.path = Path(model_path)
        if not self.path.is_file():
            raise ModelError(f"There is no model file at '{self.path}'.")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = int(threads)
        options.log_severity_level = 3
        # a failure on one input is raised, then reported once as a sentence naming the file
        # (predict_file), not also logged in red by onnxruntime itself
        self._run_options = ort.RunOptions()
        self._run_options.log_severity_level = 4
        try:
            self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for bad files
            raise ModelError(f"'{self.path.name}' cannot be loaded as an ONNX model ({_first_line(exc)}).") from None
        meta = self.session.get_modelmeta().custom_metadata_map
        if C.KEY_FRONTEND_OF in meta:
            raise ModelError(f"'{self.path.name}' is only the front end of '{meta[C.KEY_FRONTEND_OF]}' (it makes the "
                             "log-mel picture); run the whole model (the .onnx file without .frontend in its name).")
        missing = [k for k in C.REQUIRED_KEYS if k not in meta]
        if missing:
            raise ModelError(
                f"'{self.path.name}' is an ONNX model but not one exported by TransferLab "
                f"(its metadata lacks {', '.join(missing)})."
            )
        try:
            self.labels: list[str] = list(json.loads(meta[C.KEY_LABELS]))
            self.input_spec: dict = json.loads(meta[C.KEY_INPUT_SPEC])
        except ValueError as exc:
            raise ModelError(f"'{self.path.name}' has unreadable TransferLab metadata ({exc}).") from None
        self.metadata = dict(meta)
        self.task = meta[C.KEY_TASK]
        self.input_name = self.input_spec["name"]
        if self.input_name not in (C.IMAGE_INPUT, C.AUDIO_INPUT, C.TEXT_INPUTS[0]):  # half of a split export
            raise ModelError(f"'{self.path.name}' takes the picture (input '{self.input_name}') that "
                             f"'{meta.get(C.KEY_FRONTEND, 'its front end')}' makes, not a file: run the whole model "
                             "(the .onnx file without .classifier in its name) instead.")
        outputs = [o.name for o in self.session.get_outputs()]
        self._prob_index = outputs.index(C.PROBABILITIES) if C.PROBABILITIES in outputs else 0
        try:  # multi-task: [(label set, its labels, index of its output)]
            sets = json.loads(meta.get(C.KEY_LABEL_SETS) or "[]")
            self.label_sets = [(d["name"], list(d["labels"]), outputs.index(d["output"])) for d in sets]
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"'{self.path.name}' describes its label sets wrongly ({exc}).") from None
        self.sample_rate = int(self.input_spec.get("sample_rate") or meta.get(C.KEY_SAMPLE_RATE) or 16000)
        self.window_seconds = float(self.input_spec.get("window_seconds") or 1.0)
        self.min_side = _min_side(meta)
        self.tokenizer = self._tokenizer(meta) if self.task == "text" else None
        self._empty_text_probs: np.ndarray | None = None  # a text model's answer to an empty text, once asked

    def _tokenizer(self, meta: dict):
        """The tokenizer the model was trained with: from its metadata, else NAME.tokenizer.json beside it."""
        from core.text.tokenizer import from_json

        text = meta.get(C.KEY_TOKENIZER)
        beside = self.path.with_name(self.path.stem + ".tokenizer.json")
        if not text and beside.is_file():
            text = beside.read_text(encoding="utf-8")
        if not text:
            raise ModelError(f"'{self.path.name}' is a text model but carries no tokenizer, and {beside.name} is not "
                             "beside it.")
        try:
            return from_json(text, int(self.input_spec.get("max_tokens") or 256))
        except Exception as exc:  # the tokenizers library raises its own exception type
            raise ModelError(f"The tokenizer of '{self.path.name}' cannot be read ({_first_line(exc)}).") from None

    # ------------------------------------------------------------ raw arrays

    def _feeds(self, batch) -> dict:
        if isinstance(batch, tuple):  # text: (input_ids, attention_mask)
            return dict(zip(C.TEXT_INPUTS, batch))
        return {self.input_name: batch}

    def _run(self, batch) -> list[np.ndarray]:
        return self.session.run(None, self._feeds(batch), self._run_options)

    def probabilities(self, batch) -> np.ndarray:
        return self._run(batch)[self._prob_index]

    def all_probabilities(self, batch) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """(main label set's probabilities, {extra label set: its probabilities})."""
        outs = self._run(batch)
        return outs[self._prob_index], {name: outs[i] for name, _, i in self.label_sets}

    def _best_per_set(self, extra: dict[str, np.ndarray]) -> dict[str, tuple[str, float]]:
        labels = {name: names for name, names, _ in self.label_sets}
        return {name: (labels[name][int(p.argmax())], float(p.max())) for name, p in extra.items()}

    # ------------------------------------------------------------ files

    def predict(self, paths: Iterable[str | os.PathLike], *, top: int = 3,
                progress: Callable[[int, int], None] | None = None) -> list[Prediction]:
        """One Prediction per file, in order; an unreadable file (or a folder that cannot be listed)
        gets ``error`` and the rest go on. ``progress(done, total)`` after each file."""
        found = expand(paths, self.task)
        out = []
        for done, (path, problem) in enumerate(found, 1):
            out.append(Prediction(path, error=problem) if problem else self.predict_file(path, top=top))
            if progress is not None:
                progress(done, len(found))
        return out

    def predict_file(self, path: str | os.PathLike, *, top: int = 3) -> Prediction:
        path = os.fspath(path)
        kind = kind_of(path)
        if kind is None:
            if self.task == "text" and path.lower().endswith((".csv", ".tsv", ".jsonl", ".ndjson")):
                # import reads such listings; predict does not (one answer per file): say what does work
                return Prediction(path, error="a listing of texts, which predict does not read row by row: give it "
                                              ".txt files, or each text with --text")
            return Prediction(path, error="not an image, audio or text file this model can read")
        if kind != self.task:
            return Prediction(path, error=f"this is {'a' if kind == 'text' else 'an'} {kind} file; the model takes {self.task}")
        try:
            if self.task == "image":
                return self._predict_image(path, top)
            if self.task == "text":
                from core.text.decode import read_text_file

                return self.predict_text(read_text_file(path), top=top, name=path)
            return self._predict_audio(path, top)
        except MediaError as exc:
            return Prediction(path, error=str(exc))
        except MemoryError:
            return Prediction(path, error="not enough memory to read the file")
        except OSError as exc:
            return Prediction(path, error=f"cannot read the file ({os_error_reason(exc, path)})")
        except _runtime_errors() as exc:  # onnxruntime failed on this input: this file fails, the rest go on
            return Prediction(path, error=f"the model could not run on this file ({_first_line(exc)})")

    def predict_text(self, text: str, *, top: int = 3, name: str = "<text>") -> Prediction:
        """A text model's answer for one text (typed, pasted or read from a file)."""
        from core.text.decode import empty_reason, normalise

        if self.tokenizer is None:
            return Prediction(name, error=f"the model takes {self.task}, not text")
        text = normalise(str(text))
        empty = empty_reason(text)
        if empty:
            return Prediction(name, note=f"no answer: {empty}")
        probs, extra = self._text_probabilities(text)
        ranked = self._ranked(probs[0], top)
        note = None
        if self._answers_as_to_nothing(probs[0]):
            note = ("none of its words carry weight in this model (none was in the texts it learnt from): "
                    "this is its answer to an empty text")
        return Prediction(name, ranked[0][0], ranked[0][1], ranked, note=note,
                          label_sets=self._best_per_set({k: v[0] for k, v in extra.items()}))

    def _text_probabilities(self, text: str):
        ids = np.asarray(self.tokenizer.encode(text).ids, dtype=np.int64)[None]
        return self.all_probabilities((ids, np.ones_like(ids)))

    def _answers_as_to_nothing(self, probs: np.ndarray) -> bool:
        """Whether ``probs`` are the model's answer to an empty text. A bag-of-words model (tfidf)
        gives every word it never saw in training no weight, so a text of such words gets exactly
        that answer, with a confidence that means nothing; a transformer's never matches it."""
        if self._empty_text_probs is None:
            self._empty_text_probs = self._text_probabilities("")[0][0]
        return bool(np.allclose(probs, self._empty_text_probs, rtol=0, atol=1e-6))

    def _ranked(self, probs: np.ndarray, top: int) -> list[tuple[str, float]]:
        order = np.argsort(-probs)[: max(1, top)]
        return [(self.labels[i], float(probs[i])) for i in order]

    def _predict_image(self, path: str, top: int) -> Prediction:
        # decoded at reduced scale when large, exactly as training decoded (core.media): a 13000x13000
        # picture reaches the graph as about 520x520, not as 500 MB of pixels
        pixels = np.asarray(decode_image(path, min_side=self.min_side), dtype=np.uint8)[None]
        probs, extra = self.all_probabilities(pixels)
        ranked = self._ranked(probs[0], top)
        return Prediction(path, ranked[0][0], ranked[0][1], ranked,
                          label_sets=self._best_per_set({k: v[0] for k, v in extra.items()}))

    def _predict_audio(self, path: str, top: int) -> Prediction:
        note = None
        rate = audio_info(path).sample_rate
        # a WAV cut short is named as truncated (as import names it), not judged "too short" by its remains
        check_wav_length(path)
        if rate != self.sample_rate:
            note = f"resampled from {rate} Hz to the model's {self.sample_rate} Hz"
        wave = read_audio(path, self.sample_rate)
        window = max(1, int(round(self.window_seconds * self.sample_rate)))
        unjudgeable = judge_clip(wave, self.sample_rate, self.window_seconds, int(self.input_spec.get("min_samples", 0)))
        if unjudgeable:
            return Prediction(path, note="; ".join(n for n in (unjudgeable, note) if n))
        if wave.shape[0] <= window * 1.5:
            if self.input_spec.get("fixed_length", True):
                wave = fit_length(wave, window)  # cut or padded to the training clip length, as in training
            elif wave.shape[0] < int(self.input_spec.get("min_samples", 1)):
                wave = np.pad(wave, (0, int(self.input_spec["min_samples"]) - wave.shape[0]))
            probs, extra = self.all_probabilities(wave[None].astype(np.float32))
            ranked = self._ranked(probs[0], top)
            return Prediction(path, ranked[0][0], ranked[0][1], ranked, note=note,
                              label_sets=self._best_per_set({k: v[0] for k, v in extra.items()}))
        # Long recordings: half-overlapping windows of the training length, and their mean overall.
        hop = window // 2
        starts = list(range(0, wave.shape[0] - window + 1, hop))
        # 32 windows at a time: stacking every window of a long recording at once doubled its memory
        parts = [self.all_probabilities(np.stack([wave[s : s + window] for s in starts[i : i + 32]]).astype(np.float32))
                 for i in range(0, len(starts), 32)]
        probs = np.concatenate([p for p, _ in parts])
        extra = {name: np.concatenate([e[name] for _, e in parts]).mean(axis=0) for name, _, _ in self.label_sets}
        windows = [
            WindowPrediction(s / self.sample_rate, (s + window) / self.sample_rate, self.labels[int(p.argmax())], float(p.max()))
            for s, p in zip(starts, probs)
        ]
        ranked = self._ranked(probs.mean(axis=0), top)
        return Prediction(path, ranked[0][0], ranked[0][1], ranked, windows=windows, note=note,
                          label_sets=self._best_per_set(extra))


def expand(paths: Iterable[str | os.PathLike], task: str) -> list[tuple[str, str | None]]:
    """(path, problem) pairs: files as given; folders walked recursively for files of the model's
    kind (sorted, links to folders followed once); folders that cannot be listed and files that are
    not regular files come with the reason, so they are reported, not silently skipped."""
    out: list[tuple[str, str | None]] = []
    for raw in paths:
        p = os.fspath(raw)
        if os.path.isdir(p):
            for found in walk_files(p, skip=lambda name: name.startswith(".")):
                if found.problem is not None or kind_of(found.path) == task:
                    out.append((found.path, found.problem))
        else:
            out.append((p, None))
    return out


def expand_paths(paths: Iterable[str | os.PathLike], task: str) -> list[str]:
    """The files ``expand`` finds (without the problems)."""
    return [p for p, problem in expand(paths, task) if problem is None]


def _min_side(meta: dict) -> int | None:
    """Twice the side the model resizes to (what training keeps before its own resize), from the
    exported preprocessing settings; None when a model does not say (then only the overall cap)."""
    try:
        pre = json.loads(meta.get("preprocessing") or "{}")
        side = int(pre["crop_size"] if pre.get("resize") == "squash" else pre["resize_size"])
    except (ValueError, KeyError, TypeError):
        return None
    return 2 * side if side > 0 else None


def _runtime_errors() -> tuple[type[Exception], ...]:
    """onnxruntime's own exception types (Fail, InvalidArgument, RuntimeException, ...): they derive
    from Exception directly, not from RuntimeError, so they are listed from the module that defines them."""
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    return tuple(v for v in vars(state).values()
                 if isinstance(v, type) and issubclass(v, Exception) and v.__module__ == state.__name__)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1][:200] if text else type(exc).__name__
