"""Pictures to upright RGB, large ones at reduced scale (core.media re-exports all of this).

Only Pillow and numpy are used here so that prediction can run without torch. Files are opened
through core.safe_files: only regular files within a size limit are read. Large pictures are decoded
at reduced scale (JPEG: the decoder's own 1/2..1/8 scaling; other formats: an integer box reduction
right after decoding), so no caller ever holds more than ``MAX_DECODED_PIXELS``, and pictures
declaring more than ``MAX_PIXELS`` are refused before any decoding.
"""

from __future__ import annotations

import io
import math
import os
import re
import threading
import warnings
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from core.errors import MediaError
from core.safe_files import FileRefused, open_regular

# Pillow's own decompression-bomb limit (it refuses above twice its MAX_IMAGE_PIXELS): decoding this
# many RGB pixels takes 512 MiB. TransferLab checks it itself, before decoding, and says it in words.
MAX_PIXELS = 2 * 89_478_485
# What a caller gets at most: a 13000x13000 picture comes back as 3250x3250. Models look at a few
# hundred pixels a side; 16 megapixels keeps a photo sharp on any screen.
MAX_DECODED_PIXELS = 16_000_000
# A model resizes the shorter side to a few hundred pixels and keeps the aspect ratio before its
# centre crop, so the longer side grows with the ratio: a 60000x1 strip asked onnxruntime for 47 GB
# (and crashed a whole predict), where 100:1 costs about 80 MB. Panoramas are well within it.
MAX_ASPECT = 100
# One full-size decode above this at a time per process (its buffer is the big cost; parallel
# loaders decoding several giant pictures at once would multiply it).
_LARGE_DECODE_PIXELS = 24_000_000
_LARGE_DECODES = threading.Semaphore(1)

# Every problem with a picture reaches the person as a sentence (MediaError); Pillow's own warnings
# (decompression bomb, odd EXIF, palette transparency) would be raw noise on stderr.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
warnings.filterwarnings("ignore", module=r"PIL(\..*)?$")


def to_rgb(im: Image.Image) -> Image.Image:
    """Any Pillow mode -> 8-bit RGB, upright according to EXIF orientation."""
    try:
        im = ImageOps.exif_transpose(im)
    except Exception:  # a broken EXIF block should not make a good picture unusable
        pass
    return _rgb_mode(im)


def _rgb_mode(im: Image.Image) -> Image.Image:
    if im.mode == "RGB":
        return im
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # Pillow's convert() clips 16-bit values at 255; scale to 8 bits instead.
        arr = np.asarray(im, dtype=np.uint32)
        top = 65535 if im.mode != "I" or arr.max(initial=0) > 255 else 255
        arr8 = (arr * 255 // max(top, 1)).clip(0, 255).astype(np.uint8)
        return Image.fromarray(arr8, mode="L").convert("RGB")
    if im.mode == "F":
        arr = np.asarray(im, dtype=np.float32)
        finite = np.isfinite(arr)  # NaN or infinity in a float picture: shown as its lowest value
        lo, hi = (float(arr[finite].min()), float(arr[finite].max())) if finite.any() else (0.0, 0.0)
        arr = np.where(finite, arr, lo)
        arr8 = ((arr - lo) / (hi - lo if hi > lo else 1.0) * 255).clip(0, 255).astype(np.uint8)
        return Image.fromarray(arr8, mode="L").convert("RGB")
    if im.mode == "P" and "transparency" in im.info or im.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return im.convert("RGB")


@contextmanager
def _pillow_errors():
    """Pillow's many exception types -> one MediaError with the reason in words."""
    try:
        yield
    except MediaError:
        raise
    except FileRefused as exc:
        raise MediaError(exc.reason) from None
    except Image.DecompressionBombError as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        declared = f" ({int(found.group(1)) / 1e6:,.0f} megapixels)" if found else ""
        raise MediaError(f"the picture is too large to decode safely{declared}; TransferLab reads pictures of up "
                         f"to {MAX_PIXELS / 1e6:.0f} megapixels") from None
    except Image.UnidentifiedImageError:
        raise MediaError("not a readable image (the content is not a known image format)") from None
    except MemoryError:
        raise MediaError("not enough memory to decode the picture") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        msg = str(exc) or type(exc).__name__
        if "truncated" in msg:
            raise MediaError(f"image data is truncated ({msg})") from None
        raise MediaError(f"image data is corrupt ({msg})") from None


def _check_pixels(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise MediaError("image has no pixels")
    if width * height > MAX_PIXELS:
        raise MediaError(f"the picture declares {width}x{height} pixels ({width * height / 1e6:,.0f} megapixels); "
                         f"TransferLab reads pictures of up to {MAX_PIXELS / 1e6:.0f} megapixels")
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise MediaError(f"the picture is {width}x{height} pixels, a strip too long for its width to be resized "
                         f"for a model (TransferLab reads pictures up to {MAX_ASPECT}:1)")


def _factor(width: int, height: int, min_side: int | None) -> int:
    """The integer reduction for a picture of this size: as much as keeps both sides at least
    ``min_side`` (what the caller needs), and at least enough to stay within MAX_DECODED_PIXELS."""
    f = max(1, min(width, height) // min_side) if min_side else 1
    while math.ceil(width / f) * math.ceil(height / f) > MAX_DECODED_PIXELS:
        f += 1
    return f


_REDUCIBLE = {"L", "RGB", "I", "F", "CMYK", "YCbCr", "La", "RGBa", "LAB", "HSV"}


def _reducible(band: Image.Image) -> Image.Image:
    """A band of the picture in a mode Image.reduce averages correctly: palettes as colours,
    transparency premultiplied (so transparent pixels add no colour), 16-bit grey as 8-bit."""
    mode = band.mode
    if mode in _REDUCIBLE:
        return band
    if mode in ("RGBA", "LA"):
        return band.convert(mode[:-1] + "a")
    if mode in ("P", "PA"):
        if mode == "PA" or "transparency" in band.info:
            return band.convert("RGBA").convert("RGBa")
        return band.convert("RGB")
    if mode.startswith("I;16"):
        arr = np.asarray(band, dtype=np.uint32)  # scaled as _rgb_mode scales 16-bit grey
        return Image.fromarray((arr * 255 // 65535).astype(np.uint8), mode="L")
    return band.convert("RGB")


def _reduce(im: Image.Image, f: int) -> Image.Image:
    """``im`` shrunk by the integer factor ``f`` (box average), band by band: a mode conversion of
    the whole full-size picture would double the memory a giant picture already takes."""
    width, height = im.size
    band_rows = max(f, (4 * 1024 * 1024 // max(width, 1)) // f * f)  # about 4 megapixels per band
    out = None
    for top in range(0, height, band_rows):
        part = _reducible(im.crop((0, top, width, min(top + band_rows, height)))).reduce(f)
        if out is None:
            out = Image.new(part.mode, (math.ceil(width / f), math.ceil(height / f)))
        out.paste(part, (0, top // f))
    return out.convert("RGBA") if out.mode == "RGBa" else out.convert("LA") if out.mode == "La" else out


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(0x0112, 1)
        return int(value) if value in _TRANSPOSE else 1
    except Exception:  # a broken EXIF block should not make a good picture unusable
        return 1


def _decode(im: Image.Image, min_side: int | None) -> Image.Image:
    """First frame, decoded at the reduction ``_factor`` asks for, upright, RGB."""
    if getattr(im, "n_frames", 1) > 1:
        im.seek(0)
    width, height = im.size
    _check_pixels(width, height)
    f = _factor(width, height, min_side)
    if f >= 2 and im.format in ("JPEG", "MPO"):
        # The decoder's DCT scaling (1/2, 1/4, 1/8) skips most of the work and memory; never
        # below the size asked for, so the integer reduction below does the rest exactly.
        im.draft("RGB", (math.ceil(width / f), math.ceil(height / f)))
    large = im.size[0] * im.size[1] > _LARGE_DECODE_PIXELS
    with _LARGE_DECODES if large else nullcontext():
        im.load()
        orientation = _orientation(im)
        f = _factor(im.size[0], im.size[1], min_side)
        if f >= 2:
            out = _reduce(im, f)
            im.close()  # the full-size buffer goes now, before another large decode may start
        else:
            out = im.copy() if im.mode == "RGB" and orientation == 1 else im  # im closes with its file
    out = _rgb_mode(out)
    return out.transpose(_TRANSPOSE[orientation]) if orientation != 1 else out


def open_image(source: str | os.PathLike | bytes, *, min_side: int | None = None) -> Image.Image:
    """Open and decode an image (first frame of an animation) to upright RGB, at reduced scale when
    large (see ``_factor``). Raises MediaError with the reason."""
    with _pillow_errors():
        if isinstance(source, (bytes, bytearray, memoryview)):
            with Image.open(io.BytesIO(source)) as im:
                return _decode(im, min_side)
        with open_regular(source, "image") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                raise MediaError("empty file (0 bytes)")
            with Image.open(fh) as im:
                return _decode(im, min_side)


_FORMAT_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "BMP": ".bmp", "WEBP": ".webp", "TIFF": ".tif", "MPO": ".jpg"}


@dataclass(frozen=True)
class ImageInfo:
    width: int  # after EXIF orientation
    height: int
    format: str
    suffix: str  # extension matching the actual content


def validate_image(data: bytes) -> ImageInfo:
    """Fully decode image bytes (first frame) without converting; raise MediaError when broken."""
    with _pillow_errors(), Image.open(io.BytesIO(data)) as im:
        fmt = im.format or ""
        width, height = im.size
        _check_pixels(width, height)
        if getattr(im, "n_frames", 1) > 1:
            im.seek(0)
        if fmt in ("JPEG", "MPO"):
            # Decoding at 1/8 scale still reads the whole entropy-coded stream, so truncation
            # and corruption are caught, at a fraction of the cost of a full-size decode.
            im.draft("RGB", (max(1, width // 8), max(1, height // 8)))
        with _LARGE_DECODES if im.size[0] * im.size[1] > _LARGE_DECODE_PIXELS else nullcontext():
            im.load()
        orientation = _orientation(im)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return ImageInfo(width, height, fmt, _FORMAT_SUFFIX.get(fmt, "." + fmt.lower() if fmt else ".img"))


def decode_image(path: str | os.PathLike, *, min_side: int | None = None) -> Image.Image:
    """An upright RGB image from a file. Raises MediaError with the reason.

    ``min_side``: the caller needs no more than this many pixels on the shorter side (twice a
    model's resize, say); larger pictures come back reduced by an integer factor that keeps both
    sides at least this long. Without it only pictures above MAX_DECODED_PIXELS are reduced."""
    return open_image(path, min_side=min_side)
