"""Entry script of the frozen app (build.spec): the same `transferlab` command as `core.cli:main`.

``multiprocessing.freeze_support()`` must run first: big imports start worker processes with the
"spawn" method, and in a frozen app each worker is this executable started again with special
arguments, which freeze_support recognises and turns into the worker instead of a second app.
"""

import logging
import multiprocessing
import sys


def main() -> int:
    multiprocessing.freeze_support()
    # build.spec leaves out triton (torch.compile's kernel compiler, ~650 MB, unused here); with a
    # CUDA torch, importing torch.utils.flop_counter (every ONNX export does) then warns on stderr.
    logging.getLogger("torch.utils.flop_counter").setLevel(logging.ERROR)
    from core.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
