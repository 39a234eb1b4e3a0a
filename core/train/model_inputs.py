"""From a decoded sample to the model's input, per modality: how to decode a file for the
decoded-sample cache, and how to turn a batch of cached samples into model inputs (augmented in
training, exactly the backbone's eval preprocessing in validation)."""

from __future__ import annotations

import torch

from core import media
from core.backbones import ImagePreprocessing
from core.train import augment


class ImagePipeline:
    """Cache: uint8 [3, S, S] after the backbone's own resize and centre crop."""

    def __init__(self, pre: ImagePreprocessing, augment_preset: str, channels_last: bool):
        self.pre = pre
        self.preset = augment_preset
        self.channels_last = channels_last
        self.shape = (3, pre.crop_size, pre.crop_size)
        self.dtype = torch.uint8
        # pixels() keeps at least twice the target size before its antialiased torch resize; a JPEG
        # decoded at a reduced DCT scale down to that size is what pixels() would have shrunk it to
        # anyway, at a fraction of the cost (a 640x480 photo for 128 px: a quarter of the pixels).
        side = pre.crop_size if pre.resize == "squash" else pre.resize_size
        self._draft = (2 * side, 2 * side)
        # Normalisation as one multiply-add on the batch: x * scale + shift == (x / 255 - mean) / std.
        std = torch.tensor(pre.std)
        self._scale = (1.0 / (255.0 * std)).view(1, 3, 1, 1)
        self._shift = (-torch.tensor(pre.mean) / std).view(1, 3, 1, 1)

    def decode(self, item) -> torch.Tensor:
        return self.pre.to_uint8(decode_image_for(item.path, self._draft))

    def inputs(self, x: torch.Tensor, gen: torch.Generator | None, train: bool) -> tuple:
        if train and self.preset != "none":
            x = augment.augment_images(x.float().div_(255.0), self.preset, gen).mul_(255.0)
        else:
            x = x.float()
        if self._scale.device != x.device:
            self._scale, self._shift = self._scale.to(x.device), self._shift.to(x.device)
        x = torch.addcmul(self._shift, x, self._scale)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return (x,)


class AudioPipeline:
    """Cache: float32 waveforms of ``clip_samples`` (centre-cut or zero-padded); the backbone's front
    end (log-mel picture, or waveform normalisation) runs on the batch, on the device."""

    def __init__(self, pre, augment_preset: str, clip_samples: int, device: torch.device,
                 background=(), snr_db: tuple[float, float] = (5.0, 20.0)):
        self.pre = pre
        self.preset = augment_preset
        self.clip = int(clip_samples)
        self.shape = (self.clip,)
        self.dtype = torch.float32
        self.frontend = pre.frontend().to(device) if hasattr(pre, "frontend") else None
        self.background_items = list(background)[:64]  # the project's background class, if any
        self.snr_db = snr_db
        self._bank: torch.Tensor | None = None
        self._device = device

    def background_bank(self) -> torch.Tensor | None:
        """Background clips decoded once (unreadable ones left out), on the training device."""
        if self._bank is None and self.background_items:
            clips = []
            for item in self.background_items:
                try:
                    clips.append(self.decode(item))
                except media.MediaError:
                    continue
            self._bank = torch.stack(clips).to(self._device) if clips else torch.zeros(0, self.clip)
        return self._bank

    def decode(self, item) -> torch.Tensor:
        wave = media.read_audio(item.path, self.pre.sample_rate, start=item.start, end=item.end)
        return torch.from_numpy(fit_length(wave, self.clip))

    def inputs(self, w: torch.Tensor, gen: torch.Generator | None, train: bool) -> tuple:
        w = w.float()
        if train:
            w = augment.augment_waves(w, self.preset, gen)
            if self.preset != "none":
                w = augment.mix_background(w, self.background_bank(), self.snr_db, gen)
        if self.frontend is not None:
            with torch.autocast(w.device.type, enabled=False):  # mel + dB in fp32: bf16 loses the quiet bins
                img = self.frontend(w)
            if train:
                img = augment.spec_augment(img, self.preset, gen)
            return (img,)
        if getattr(self.pre, "normalize", False):
            w = (w - w.mean(dim=1, keepdim=True)) / (w.std(dim=1, keepdim=True, unbiased=False) + 1e-7)
        return (w, None)


def decode_image_for(path, draft: tuple[int, int]):
    """core.media.decode_image, told the size training needs: a picture much larger than ``draft``
    comes back reduced (JPEG at a reduced DCT scale, 1/2..1/8), never below ``draft`` on either side."""
    return media.decode_image(path, min_side=min(draft))


fit_length = media.fit_length  # one definition: prediction cuts clips exactly as training does


def clip_samples_for(data, sample_rate: int, seconds: float | None) -> int:
    """A fixed clip length: the setting, or the longest training clip (read from file headers),
    capped at 10 s so one long recording cannot blow up memory."""
    if seconds is None:
        longest = 0.0
        for it in data.train[:2000]:
            try:
                whole = media.audio_info(it.path).duration
                span = (it.end if it.end is not None else whole) - (it.start or 0.0)
                longest = max(longest, span)
            except media.MediaError:
                continue
        seconds = min(max(longest, 0.1), 10.0)
    return max(400, int(round(seconds * sample_rate)))
