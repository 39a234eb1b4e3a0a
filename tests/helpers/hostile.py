"""A hostile-input corpus, made on the spot: every kind of file an adversarial (or unlucky) person
can put in a folder, for images and for audio, each with the words its rejection must contain.

Permission tests need a process that permission bits apply to: as root they are ignored, so
``unprivileged()`` gives the argv prefix that drops root's override (Linux capabilities) for a
subprocess; without root it is empty.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image

from tests.helpers.media_factory import shape_image, tone


def unprivileged() -> list[str]:
    """argv prefix under which chmod 000 really denies reading (root: drop CAP_DAC_*)."""
    if os.name != "posix" or os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return []
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]


def permissions_apply() -> bool:
    return os.name == "posix" and (os.geteuid() != 0 or bool(unprivileged()))


_MEASURE = (
    "import resource, subprocess, sys\n"
    "r = subprocess.run(sys.argv[1:])\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(r.returncode)\n"
)


def run_measured(cmd: list, timeout: float, env: dict | None = None) -> tuple[int, str, str, float]:
    """Run ``cmd`` as the only child of a small launcher that reports that child's peak resident
    memory (ru_maxrss of RUSAGE_CHILDREN: nothing else it ran counts). (returncode, stdout, stderr
    without the launcher's line, peak MiB)."""
    r = subprocess.run([sys.executable, "-c", _MEASURE, *map(str, cmd)], capture_output=True, text=True,
                       timeout=timeout, env=env)
    *lines, last = r.stderr.rstrip("\n").split("\n")
    return r.returncode, r.stdout, "\n".join(lines), int(last) / 1024


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_png(path: Path, width: int, height: int, *, mode: str = "RGB", keep_bytes: int | None = None) -> Path:
    """A PNG of ``width`` x ``height`` written row by row (constant memory, a second or so for 169
    megapixels): a colour gradient in the first row, every later row equal to the one above with a
    few pixels changed (PNG's 'Up' filter makes it compress to a few MB, as in the report). With
    ``keep_bytes`` the file is cut after that many bytes (declared huge, data truncated)."""
    color_type, channels = {"L": (0, 1), "RGB": (2, 3)}[mode]
    first = (np.arange(width * channels) * 7 % 256).astype(np.uint8).tobytes()
    comp = zlib.compressobj(6)
    parts = [comp.compress(b"\x00" + first)]
    rng = np.random.default_rng(0)
    written = 0
    for y in range(1, height):
        row = np.zeros(width * channels, np.uint8)
        row[rng.integers(0, row.size, 8)] = rng.integers(1, 256, 8, dtype=np.uint8)
        parts.append(comp.compress(b"\x02" + row.tobytes()))
        written += len(parts[-1])
        if keep_bytes is not None and written > keep_bytes:
            break  # the rest would be cut off anyway
    parts.append(comp.flush())
    data = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0))
            + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b""))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if keep_bytes is None else data[:keep_bytes])
    return path


def png_bytes(seed: int = 0) -> bytes:
    buf = io.BytesIO()
    shape_image("circle", size=48, seed=seed).save(buf, format="PNG")
    return buf.getvalue()


def wav_bytes(seed: int = 0) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, tone(300 + 40 * seed, 0.5), 16000, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def make_corpus(folder: Path, kind: str) -> tuple[list[Path], dict[Path, str]]:
    """Files under ``folder/things/``: the good ones (returned first) and {hostile path: words its
    rejection must contain}. ``kind``: 'image' or 'audio'."""
    ext = ".png" if kind == "image" else ".wav"
    good_bytes = png_bytes if kind == "image" else wav_bytes
    cls = folder / "things"
    cls.mkdir(parents=True, exist_ok=True)
    good = []
    for k in range(2):
        p = cls / f"good_{k}{ext}"
        p.write_bytes(good_bytes(k))
        good.append(p)
    linked_target = folder.parent / f"{folder.name}_elsewhere" / "more"
    linked_target.mkdir(parents=True, exist_ok=True)
    (linked_target / f"linked{ext}").write_bytes(good_bytes(7))
    (cls / "linked_folder").symlink_to(linked_target, target_is_directory=True)
    good.append(cls / "linked_folder" / f"linked{ext}")

    bad: dict[Path, str] = {}
    fifo = cls / f"fifo{ext}"
    os.mkfifo(fifo)
    bad[fifo] = "named pipe"
    zero = cls / f"zeros{ext}"
    zero.symlink_to("/dev/zero")
    bad[zero] = "character device"
    a, b = cls / f"loop_a{ext}", cls / f"loop_b{ext}"
    a.symlink_to(b.name)
    b.symlink_to(a.name)
    bad[a] = bad[b] = "symbolic link loop"
    (cls / "noext_loop").symlink_to("noext_loop")
    bad[cls / "noext_loop"] = "symbolic link loop"
    dangling = cls / f"dangling{ext}"
    dangling.symlink_to("nowhere" + ext)
    bad[dangling] = "does not exist"
    (cls / "loop_folder").symlink_to(".", target_is_directory=True)
    bad[cls / "loop_folder"] = "loop"
    empty = cls / f"empty{ext}"
    empty.write_bytes(b"")
    bad[empty] = "empty file"
    truncated = cls / f"truncated{ext}"
    truncated.write_bytes(good_bytes(3)[: (60 if kind == "image" else 200)])
    bad[truncated] = "truncated" if kind == "image" else "truncated"
    text = cls / f"text{ext}"
    text.write_text("this is not a picture nor a sound\n")
    bad[text] = "not a readable"
    other = cls / (f"sound_named{ext}" if kind == "image" else f"picture_named{ext}")
    other.write_bytes(wav_bytes(4) if kind == "image" else png_bytes(4))
    bad[other] = "not a readable"
    oversized = cls / f"oversized{ext}"  # sparse: no disk used, and it must never be read
    with open(oversized, "wb") as fh:
        fh.write(good_bytes(8))
        fh.truncate((600 if kind == "image" else 4200) * 2**20)
    bad[oversized] = "the file is too large for"
    unsupported = cls / "notes.txt"
    unsupported.write_text("hello")
    bad[unsupported] = "unsupported file type .txt"
    if kind == "image":
        bomb = write_png(cls / "bomb.png", 20000, 20000, mode="L", keep_bytes=4096)
        bad[bomb] = "400 megapixels"
        huge = write_png(cls / "huge_truncated.png", 13000, 13000, keep_bytes=200_000)
        bad[huge] = "truncated"
    else:
        flac = cls / "cut.flac"
        sf.write(flac, tone(500, 2.0), 16000)
        flac.write_bytes(flac.read_bytes()[:300])
        bad[flac] = "audio"
    if permissions_apply():
        locked_file = cls / f"locked{ext}"
        locked_file.write_bytes(good_bytes(5))
        locked_file.chmod(0)
        bad[locked_file] = "permission denied"
        locked_dir = cls / "locked_folder"
        locked_dir.mkdir()
        (locked_dir / f"inside{ext}").write_bytes(good_bytes(6))
        locked_dir.chmod(0)
        bad[locked_dir] = "cannot list the folder (permission denied)"
    return good, bad


def unlock(folder: Path) -> None:
    """Give back the permissions make_corpus took, so pytest can delete its temporary folders."""
    for p in (folder / "things").glob("locked*"):
        p.chmod(0o755)
