"""TransferLab engine: projects, import, labels, training, export. Never imports Qt."""

import os

__version__ = "0.1.0"

# PyTorch's OpenMP threads spin for a while (libgomp: 300,000 turns) at the end of every parallel
# region before they sleep. A probe's solve is thousands of small parallel operations, and on a
# 2-core machine with anything else running a spinning thread holds a core the other one needs:
# the 5,000-picture probe's solve took 185 s with another process busy, against 8 s alone. With
# 10,000 turns it took 32 s busy and 6.5 s alone, and the embedding's decoding threads kept more
# of the cores for onnxruntime (172-192 pictures/s against 156-163). Measured on an AMD EPYC,
# 2 cores (README, issue 21). Set before PyTorch loads libgomp, which reads it once; a value the
# person set wins.
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.setdefault("GOMP_SPINCOUNT", "10000")
