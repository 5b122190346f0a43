"""Peak memory of the running process (reported in results.json and the benchmarks)."""
from __future__ import annotations

import sys

__all__ = ["peak_rss_mb"]


def peak_rss_mb():
    """Peak resident set size of this process so far [MB = 1e6 bytes], or None.

    Read from ``/proc/self/status`` (``VmHWM``, Linux), else from
    ``resource.getrusage`` (``ru_maxrss``: kB on Linux, bytes on macOS);
    None where neither exists (Windows).
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6
