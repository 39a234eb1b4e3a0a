"""Describe the machine a benchmark ran on (written into every result file)."""

from __future__ import annotations

import os
import platform


def machine() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }
    try:
        import torch

        info["torch"] = torch.__version__
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return info


def write_named_result(stem: str, name: str, result: dict):
    """bench/results/<stem>-<name as a slug>.json (a machine or device name), printed too."""
    import json
    import re
    from pathlib import Path

    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")[:40]
    out = Path(__file__).resolve().parent / "results" / f"{stem}-{slug}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return out
