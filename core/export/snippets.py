"""The few lines of Python that use an exported model, for the model card, the Export page and the
README: onnxruntime and numpy only (Pillow to read a picture; the standard library's ``wave`` for
a WAV file), with the labels read from the model's own metadata, never from a file beside it.
"""

from __future__ import annotations

IMAGE = """\
import json, numpy as np, onnxruntime as ort
from PIL import Image
session = ort.InferenceSession("{model}")
labels = json.loads(session.get_modelmeta().custom_metadata_map["labels"])
x = np.asarray(Image.open("photo.jpg").convert("RGB"))[None]  # uint8 [1, H, W, 3], any size
probabilities = session.run(["probabilities"], {{"{input}": x}})[0][0]
print(labels[int(probabilities.argmax())], float(probabilities.max()))"""

AUDIO = """\
import json, wave, numpy as np, onnxruntime as ort
session = ort.InferenceSession("{model}")
labels = json.loads(session.get_modelmeta().custom_metadata_map["labels"])
with wave.open("clip.wav") as w:  # 16-bit PCM at {rate} Hz (convert other files first)
    assert w.getsampwidth() == 2 and w.getframerate() == {rate}, "needs 16-bit PCM at {rate} Hz"
    pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, w.getnchannels())
x = (pcm.mean(axis=1) / 32768.0).astype(np.float32)[None]  # mono in [-1, 1], [1, samples]
probabilities = session.run(["probabilities"], {{"{input}": x}})[0][0]
print(labels[int(probabilities.argmax())], float(probabilities.max()))"""

TEXT = """\
import json, numpy as np, onnxruntime as ort
from tokenizers import Tokenizer
session = ort.InferenceSession("{model}")
meta = session.get_modelmeta().custom_metadata_map
labels = json.loads(meta["labels"])
tokenizer = Tokenizer.from_str(meta["tokenizer"])  # or Tokenizer.from_file("{stem}.tokenizer.json")
tokenizer.no_padding()
tokenizer.enable_truncation(max_length={max_tokens})
ids = np.array([tokenizer.encode("Text to classify.").ids], dtype=np.int64)  # int64 [1, tokens]
probabilities = session.run(["probabilities"], {{"input_ids": ids, "attention_mask": np.ones_like(ids)}})[0][0]
print(labels[int(probabilities.argmax())], float(probabilities.max()))"""


def snippet(model_name: str, task: str, input_name: str, sample_rate: int | None = None) -> str:
    """Runnable Python for the model file ``model_name`` (a file name, next to the script)."""
    if task == "audio":
        return AUDIO.format(model=model_name, input=input_name, rate=int(sample_rate or 16000))
    if task == "text":
        return TEXT.format(model=model_name, stem=model_name.rsplit(".onnx", 1)[0], max_tokens=256)
    return IMAGE.format(model=model_name, input=input_name)


def requirements(task: str) -> str:
    if task == "text":
        return "onnxruntime, numpy and tokenizers (the Hugging Face tokenizer library; no torch)"
    return "onnxruntime and numpy" + (" (the standard library reads the WAV file)" if task == "audio"
                                      else ", and Pillow to read the picture")
