"""Random augmentation of whole batches, as tensor operations on the training device.

Done on the batch rather than per file in loader workers: from epoch 2 the decoded samples already
sit in memory (on the GPU when they fit), so augmenting there keeps the device busy instead of
waiting for CPU workers. Random draws come from a CPU ``torch.Generator`` owned by the trainer and
seeded per epoch, so a resumed run draws exactly what an uninterrupted one would have.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

# name -> (min crop area, max rotation in degrees, colour jitter strength, hflip probability)
IMAGE_PRESETS = {
    "light": (0.6, 5.0, 0.15, 0.5),
    "strong": (0.25, 15.0, 0.4, 0.5),
}
# name -> (max time shift as a fraction, gain range in dB, noise SNR range in dB, spec masks)
AUDIO_PRESETS = {
    "light": (0.1, 3.0, (30.0, 40.0), 1),
    "strong": (0.25, 6.0, (15.0, 30.0), 2),
}


def _uniform(gen: torch.Generator, n: int, low: float, high: float) -> torch.Tensor:
    return torch.rand(n, generator=gen) * (high - low) + low


def augment_images(x: torch.Tensor, preset: str, gen: torch.Generator) -> torch.Tensor:
    """x: float [B, 3, H, W] in [0, 1]. Random resized crop (area and aspect), horizontal flip,
    small rotation (one affine warp for all three), then brightness / contrast / saturation."""
    if preset == "none" or x.shape[0] == 0:
        return x
    min_area, max_deg, jitter, p_flip = IMAGE_PRESETS[preset]
    b = x.shape[0]
    area = _uniform(gen, b, min_area, 1.0)
    log_ratio = _uniform(gen, b, math.log(3 / 4), math.log(4 / 3))
    ratio = torch.exp(log_ratio)
    sx = torch.sqrt(area * ratio).clamp(max=1.0)  # crop width / image width
    sy = torch.sqrt(area / ratio).clamp(max=1.0)
    tx = (torch.rand(b, generator=gen) * 2 - 1) * (1 - sx)  # keep the crop inside the picture
    ty = (torch.rand(b, generator=gen) * 2 - 1) * (1 - sy)
    angle = _uniform(gen, b, -max_deg, max_deg) * (math.pi / 180)
    flip = torch.where(torch.rand(b, generator=gen) < p_flip, -1.0, 1.0)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([
        torch.stack([sx * cos * flip, -sy * sin, tx], dim=1),
        torch.stack([sx * sin * flip, sy * cos, ty], dim=1),
    ], dim=1).to(x.device, x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)

    def factors():
        return _uniform(gen, b, 1 - jitter, 1 + jitter).to(x.device, x.dtype).view(b, 1, 1, 1)

    brightness, contrast, saturation = factors(), factors(), factors()
    x = x * brightness
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * contrast + mean
    grey = (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])
    x = (x - grey) * saturation + grey
    return x.clamp_(0.0, 1.0)


def augment_waves(w: torch.Tensor, preset: str, gen: torch.Generator) -> torch.Tensor:
    """w: float [B, samples]. Circular time shift, random gain, white noise at a random SNR."""
    if preset == "none" or w.shape[0] == 0:
        return w
    max_shift, gain_db, (snr_lo, snr_hi), _ = AUDIO_PRESETS[preset]
    b, n = w.shape
    shifts = ((torch.rand(b, generator=gen) * 2 - 1) * max_shift * n).long()
    idx = (torch.arange(n).view(1, n) - shifts.view(b, 1)) % n
    w = torch.gather(w, 1, idx.to(w.device))
    gain = 10 ** (_uniform(gen, b, -gain_db, gain_db) / 20)
    snr = _uniform(gen, b, snr_lo, snr_hi)
    power = w.pow(2).mean(dim=1).clamp(min=1e-8)
    noise_std = torch.sqrt(power.cpu() / 10 ** (snr / 10))
    noise = torch.randn(b, n, generator=gen) * noise_std.view(b, 1)
    return (w + noise.to(w.device)) * gain.to(w.device).view(b, 1)


def spec_augment(img: torch.Tensor, preset: str, gen: torch.Generator) -> torch.Tensor:
    """SpecAugment on a log-mel picture [B, C, F, T]: zero (the normalised mean) a band of
    frequencies and a stretch of time per mask."""
    if preset == "none" or img.shape[0] == 0:
        return img
    masks = AUDIO_PRESETS[preset][3]
    b, _, f, t = img.shape
    img = img.clone()
    for _ in range(masks):
        for axis, size in ((2, f), (3, t)):
            width = (torch.rand(b, generator=gen) * size * 0.15).long()
            start = (torch.rand(b, generator=gen) * (size - width).clamp(min=1)).long()
            pos = torch.arange(size).view(1, size)
            band = ((pos >= start.view(b, 1)) & (pos < (start + width).view(b, 1))).to(img.device)
            shape = (b, 1, size, 1) if axis == 2 else (b, 1, 1, size)
            img = img.masked_fill(band.view(shape), 0.0)
    return img


def mix_background(w: torch.Tensor, bank: torch.Tensor, snr_db: tuple[float, float], gen: torch.Generator,
                   share: float = 0.5) -> torch.Tensor:
    """Add a random clip of the project's own background sound to about ``share`` of the batch, at a
    random signal-to-noise ratio in ``snr_db``: the model learns its words or sounds over the noise
    it will meet, not only over white noise. ``bank``: [K, samples] background clips."""
    if bank is None or bank.shape[0] == 0 or w.shape[0] == 0:
        return w
    b = w.shape[0]
    chosen = torch.randint(0, bank.shape[0], (b,), generator=gen)
    use = torch.rand(b, generator=gen) < share
    snr = _uniform(gen, b, snr_db[0], snr_db[1])
    noise = bank[chosen.to(bank.device)].to(w.device)
    signal_power = w.pow(2).mean(dim=1).clamp(min=1e-8)
    noise_power = noise.pow(2).mean(dim=1).clamp(min=1e-8)
    scale = torch.sqrt(signal_power.cpu() / (noise_power.cpu() * 10 ** (snr / 10))) * use.float()
    return w + noise * scale.to(w.device).view(b, 1)
