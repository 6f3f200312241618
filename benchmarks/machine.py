"""What a benchmark ran on, in one line: the CPU, its cores and vector extensions, NumPy's BLAS (library, version,
the kernel it chose, threads), the OpenBLAS settings in force, and PyTorch's CPU capability where installed. Two
machines of one kind can differ here (an AVX2 and an AVX-512 CPU, or a BLAS told to use another kernel), and the
ratios to PyTorch move with it: every speed figure is printed under this line.

    python benchmarks/machine.py
"""
from __future__ import annotations

import os
import platform


def cpu() -> tuple[str, list[str]]:
    """(model name, the vector extensions of interest among the CPU's flags) from /proc/cpuinfo, where there is one."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in open("/proc/cpuinfo"):
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
                break
    except OSError:
        pass
    wanted = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile")
    return model, [f for f in wanted if f in flags]


def describe() -> str:
    import numpy as np

    model, ext = cpu()
    parts = [f"{model}, {os.cpu_count()} cores, {' '.join(ext) or 'no x86 vector flags'}", f"numpy {np.__version__}"]
    try:
        from threadpoolctl import threadpool_info

        for lib in threadpool_info():
            if lib.get("user_api") == "blas":
                parts.append(f"BLAS {lib.get('internal_api')} {lib.get('version')} kernel "
                             f"{lib.get('architecture', '?')}, {lib.get('num_threads')} threads")
    except ImportError:
        parts.append("BLAS unknown (threadpoolctl not installed)")
    settings = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")}
    parts.append("OpenBLAS settings: " + (", ".join(f"{k}={v}" for k, v in sorted(settings.items())) or "none"))
    try:
        import torch

        parts.append(f"torch {torch.__version__} ({torch.backends.cpu.get_cpu_capability()})")
    except ImportError:
        pass
    return "machine: " + "; ".join(parts)


if __name__ == "__main__":
    print(describe())
