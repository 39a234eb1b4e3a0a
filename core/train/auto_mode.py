"""``mode='auto'``: pick probe, finetune or full from the amount of data and the device, and say why.

The rules follow what transfer-learning studies keep finding (Kornblith et al. 2019, "Do Better
ImageNet Models Transfer Better?"; Kumar et al. 2022, "Fine-Tuning can Distort Pretrained
Features"): with a few dozen examples per class a linear probe on frozen features matches or beats
fine-tuning; fine-tuning pays off from a few hundred examples per class; training every layer pays
off with thousands. On a CPU the cost matters as much: fine-tuning is offered only when an epoch
would take minutes, not hours.
"""

from __future__ import annotations

# Rough sustained multiply-accumulates per second of a forward + backward pass, to estimate the
# length of a fine-tuning epoch before running one. Deliberately conservative.
CPU_MACS_PER_S = 2e10
GPU_MACS_PER_S = 2e12
MAX_CPU_EPOCH_S = 300.0
# Below this many samples in the smallest class the solved probe is the choice: on held-out data a
# fine-tuned network lost to it by 7 points at 20 a class (issue 14), and the probe judges itself
# by cross-validation up to the same size (core.probe.solve.LARGE).
PROBE_BELOW = 300


def choose_mode(per_class_train: list[int], macs_per_item: int, device_type: str,
                modality: str = "image") -> tuple[str, str]:
    if modality == "text":
        return choose_text_mode(per_class_train)
    present = [n for n in per_class_train if n > 0]
    smallest = min(present)
    total = sum(present)
    rate = GPU_MACS_PER_S if device_type in ("cuda", "mps") else CPU_MACS_PER_S
    epoch_s = 3 * macs_per_item * total / rate  # backward costs about twice the forward
    if smallest < PROBE_BELOW:
        return "probe", (f"the smallest class has {smallest} training samples: below {PROBE_BELOW} a linear head "
                         "solved on the frozen pretrained features, its regularisation and features chosen by "
                         "cross-validation, has not been beaten by fine-tuning on held-out data (and takes seconds)")
    if device_type == "cpu" and epoch_s > MAX_CPU_EPOCH_S:
        return "probe", (f"fine-tuning on the CPU would take about {epoch_s / 60:.0f} minutes per epoch "
                         f"for {total} samples; a linear head on cached features trains in seconds")
    if smallest >= 1000 and device_type != "cpu":
        return "full", (f"every class has at least {smallest} training samples and a GPU is available: "
                        "training all layers (with layer-wise learning-rate decay) adapts the most")
    where = "the GPU" if device_type != "cpu" else f"the CPU (about {max(epoch_s, 1):.0f} s per epoch)"
    return "finetune", (f"every class has at least {smallest} training samples: after a head warm-up the "
                        f"top blocks are fine-tuned on {where}")


def choose_text_mode(per_class_train: list[int]) -> tuple[str, str]:
    """Text: the probe on every layer's mean, at every size. On the text suite
    (bench/bench_text_suite.py --finetune, README) fine-tuning the top 3 of MiniLM's 6 layers lost
    to it everywhere measured (sentiment and spam at 20 and 100 texts a class: by 5 to 20 points);
    no size where it wins has been measured, so auto does not choose it (``--mode
    finetune`` does)."""
    smallest = min(n for n in per_class_train if n > 0)
    return "probe", (f"text models train as a probe: a linear head solved on every layer's mean of the frozen "
                     f"encoder (the smallest class has {smallest} training texts; on the text suite, fine-tuning "
                     "the top layers did not beat the probe where measured)")
