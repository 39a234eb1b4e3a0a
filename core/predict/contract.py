"""The export contract: what a TransferLab ONNX model takes, gives, and says about itself.

Shared by the exporter (which writes it) and the predictor (which reads it, without torch).

Inputs (one of):
  image     uint8  [N, H, W, 3]  RGB, any H and W; the graph resizes and normalises
  waveform  float32 [N, T]       mono, in [-1, 1], at metadata sample_rate, any T; the graph makes features
  input_ids, attention_mask  int64 [N, T]   text: token ids from the model's tokenizer (metadata
                                 "tokenizer": the text of a tokenizer.json, also beside the model as
                                 NAME.tokenizer.json), at most input_spec "max_tokens", padded with
                                 0 where the mask is 0; the graph pools and classifies
Outputs:
  probabilities float32 [N, C]   softmax over the classes, in the order of metadata "labels"
  logits        float32 [N, C]
  probabilities_1, probabilities_2, ...   multi-task models only: one per extra label set, described
                                 by metadata "label_sets"
metadata_props (all strings; JSON where noted):
  transferlab.format  "1"
  task                "image" | "audio" | "text"
  labels              JSON list of class names
  input_spec          JSON: {"name", "dtype", "layout", ...}; audio adds "sample_rate" and "window_seconds"
  backbone, sample_rate (audio), app_version, created (ISO 8601), metrics (JSON), run_id
  label_sets          multi-task only: JSON list of {"name", "labels", "output"}, one per extra label set
  main_label_set      multi-task only: the name of the label set "labels" belongs to

An audio model with a log-mel front end can also be exported as two files (for runtimes without the
STFT operator): NAME.frontend.onnx (waveform -> log_mel, metadata "frontend_of": NAME.onnx) and
NAME.classifier.onnx (log_mel float32 [N, 3, S, S] -> the outputs above, metadata "frontend": the
front end's file name).
"""

from __future__ import annotations

FORMAT_VERSION = "1"
IMAGE_INPUT = "image"
AUDIO_INPUT = "waveform"
TEXT_INPUTS = ("input_ids", "attention_mask")
LOG_MEL = "log_mel"  # the split export: the front end's output, the classifier's input
PROBABILITIES = "probabilities"
LOGITS = "logits"

KEY_FORMAT = "transferlab.format"
KEY_TASK = "task"
KEY_LABELS = "labels"
KEY_INPUT_SPEC = "input_spec"
KEY_BACKBONE = "backbone"
KEY_SAMPLE_RATE = "sample_rate"
KEY_APP_VERSION = "app_version"
KEY_CREATED = "created"
KEY_METRICS = "metrics"
KEY_RUN_ID = "run_id"
KEY_LABEL_SETS = "label_sets"
KEY_MAIN_LABEL_SET = "main_label_set"
KEY_TOKENIZER = "tokenizer"  # text models: the tokenizer.json text
KEY_FRONTEND = "frontend"  # on NAME.classifier.onnx: the file that makes its input
KEY_FRONTEND_OF = "frontend_of"  # on NAME.frontend.onnx: the model it belongs to

REQUIRED_KEYS = (KEY_FORMAT, KEY_TASK, KEY_LABELS, KEY_INPUT_SPEC)


def image_input_spec() -> dict:
    return {"name": IMAGE_INPUT, "dtype": "uint8", "layout": "NHWC", "color": "RGB", "size": "any"}


def audio_input_spec(sample_rate: int, window_seconds: float) -> dict:
    return {
        "name": AUDIO_INPUT,
        "dtype": "float32",
        "layout": "NT",
        "sample_rate": int(sample_rate),
        "window_seconds": float(window_seconds),
        "channels": "mono",
    }


def text_input_spec(max_tokens: int, tokenizer: str) -> dict:
    return {"name": TEXT_INPUTS[0], "names": list(TEXT_INPUTS), "dtype": "int64", "layout": "NT",
            "max_tokens": int(max_tokens), "tokenizer": tokenizer, "pad_id": 0}


def set_output(k: int) -> str:
    """The output of the k-th extra label set (1-based)."""
    return f"{PROBABILITIES}_{k}"


def output_names(heads: int) -> list[str]:
    return [PROBABILITIES, LOGITS] + [set_output(k) for k in range(1, heads)]
