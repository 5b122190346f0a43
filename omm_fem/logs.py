"""Logging and progress: phase lines, progress bars or lines, and the command-line setup.

Every module logs to a logger of the ``omm_fem.*`` hierarchy
(``logging.getLogger(__name__)``). A library user sees nothing until they
configure :mod:`logging` (e.g. ``logging.basicConfig(level=logging.INFO)``);
the command line calls :func:`configured`, which sends

* INFO lines (phases with sizes and times, progress, results) to stdout,
  DEBUG lines too with ``-v``, only results and warnings with ``--quiet``;
* every line, DEBUG included and time-stamped, to ``--log-file FILE``.

stdout is made line-buffered, so ``omm-fem run ... | tee log.txt`` streams.

:func:`progress` is the one progress indicator of the package: a tqdm bar when
stdout (stderr outside the command line) is a terminal, otherwise plain INFO
lines every ~10 % (at most one a second, at least one every
:data:`LINE_EVERY_S` seconds) and never a carriage return. Either way it ends
with one line giving the count and the time.
"""
from __future__ import annotations

import contextlib
import logging
import math
import sys
import time
from pathlib import Path

from .errors import OmmError, show

ROOT = "omm_fem"
RESULT = {"result": True}  # ``extra=`` of lines shown even with --quiet (summaries, verdicts)
FILE_ONLY = {"console": False}  # ``extra=`` of lines only the log file gets (errors on stderr)
LINE_EVERY_S = 15.0  # progress lines: at least one this often while a task runs
DELAY_S = 2.0  # progress: nothing before this much time has passed (short tasks stay quiet)
FILE_FORMAT = "%(asctime)s.%(msecs)03d %(levelname)-7s %(name)s: %(message)s"

log = logging.getLogger(__name__)
_STATE = {"handlers": [], "levels": {}}


# ------------------------------------------------------------------ console and file
class _ConsoleFilter(logging.Filter):
    """Lines at or above ``level``, and result lines at any verbosity; never file-only ones."""

    def __init__(self, level):
        super().__init__()
        self.level = level

    def filter(self, record):
        if not getattr(record, "console", True):
            return False
        return record.levelno >= self.level or getattr(record, "result", False)


class _ConsoleFormatter(logging.Formatter):
    """INFO and result lines as they are; the others prefixed by their level."""

    def format(self, record):
        text = super().format(record)
        if record.levelno == logging.INFO or getattr(record, "result", False):
            return text
        if record.levelno == logging.DEBUG:
            return f"debug {record.name}: {text}"
        return f"{record.levelname.lower()}: {text}"


class _ConsoleHandler(logging.StreamHandler):
    """Writes to the *current* ``sys.stdout``; on a terminal through ``tqdm.write``, so that
    a progress bar is cleared before the line and redrawn after it."""

    def __init__(self):
        super().__init__(sys.stdout)

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value):  # the stream is always the current sys.stdout
        pass

    def emit(self, record):
        if not _isatty(sys.stdout):
            return super().emit(record)
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=sys.stdout)
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


def _isatty(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def line_buffered():
    """Make stdout line-buffered (each line reaches a pipe or file when it is written)."""
    reconf = getattr(sys.stdout, "reconfigure", None)
    if reconf is not None:
        with contextlib.suppress(ValueError, OSError, TypeError):
            reconf(line_buffering=True)


def setup_logging(*, verbose=False, quiet=False, log_file=None, focus=None):
    """Configure the ``omm_fem`` loggers for a command-line run (replaces an earlier setup).

    Parameters
    ----------
    verbose : bool
        DEBUG lines on stdout too.
    quiet : bool
        stdout gets only results and warnings (no phase or progress lines; this
        wins over ``verbose``, the log file still gets every line).
    log_file : str or Path, optional
        Every line, DEBUG included and time-stamped, is also written to this file
        (overwritten; its directory is created).
    focus : sequence of str, optional
        Logger names (e.g. ``"omm_fem.validate"``) whose INFO lines are shown; the
        other ``omm_fem`` loggers then show warnings only (DEBUG with ``verbose``).
        A command that runs many small solves (validate, fit) uses this to print its
        own progress instead of every solve's phases.

    Raises
    ------
    OmmError
        The log file cannot be opened.
    """
    teardown_logging()
    line_buffered()
    root = logging.getLogger(ROOT)
    console = _ConsoleHandler()
    console.setFormatter(_ConsoleFormatter("%(message)s"))
    console.addFilter(_ConsoleFilter(logging.WARNING if quiet else
                                     logging.DEBUG if verbose else logging.INFO))
    handlers = [console]
    if log_file is not None:
        try:
            Path(log_file).parent.mkdir(parents=True, exist_ok=True)  # e.g. inside --out
            fh = logging.FileHandler(log_file, mode="w", encoding="utf-8")
        except OSError as exc:
            raise OmmError(f"--log-file {show(str(log_file))} cannot be opened: "
                           f"{exc.strerror or exc}") from None
        fh.setFormatter(logging.Formatter(FILE_FORMAT, "%Y-%m-%d %H:%M:%S"))
        handlers.append(fh)
    _STATE["levels"] = {ROOT: (root.level, root.propagate)}
    root.setLevel(logging.DEBUG if verbose or log_file is not None else logging.INFO)
    root.propagate = False  # a root handler of the caller would print every line twice
    if focus and not verbose:
        root.setLevel(logging.WARNING)
        for name in focus:
            lg = logging.getLogger(name)
            _STATE["levels"][name] = (lg.level, lg.propagate)
            lg.setLevel(logging.INFO)
    for h in handlers:
        root.addHandler(h)
    _STATE["handlers"] = handlers


def teardown_logging():
    """Remove (and close) what :func:`setup_logging` installed; restore the logger levels."""
    root = logging.getLogger(ROOT)
    for h in _STATE["handlers"]:
        root.removeHandler(h)
        h.close()
    for name, (level, propagate) in _STATE["levels"].items():
        lg = logging.getLogger(name)
        lg.setLevel(level)
        lg.propagate = propagate
    _STATE["handlers"], _STATE["levels"] = [], {}


def is_configured():
    """True while a :func:`setup_logging` configuration is in place."""
    return bool(_STATE["handlers"])


@contextlib.contextmanager
def configured(*, verbose=False, quiet=False, log_file=None, focus=None):
    """:func:`setup_logging` for the duration of a ``with`` block, then
    :func:`teardown_logging`; inside an outer configuration it changes nothing."""
    if is_configured():
        yield
        return
    setup_logging(verbose=verbose, quiet=quiet, log_file=log_file, focus=focus)
    try:
        yield
    finally:
        teardown_logging()


def printer(name):
    """A ``log(line)`` callable for the progress lines of a library function: INFO records
    of logger ``name`` under a :func:`setup_logging` configuration, else ``print`` (a
    library caller who asked for progress sees it without configuring logging)."""
    logger = logging.getLogger(name)

    def emit(line):
        if is_configured():
            logger.info(line)
        else:
            print(line, flush=True)

    return emit


def log_written(logger, written, out, t0):
    """The phase line of writing the files ``written`` into ``out`` (started at
    ``time.perf_counter()`` = ``t0``), and a DEBUG line per file with its size."""
    for f in written:
        logger.debug("wrote %s (%.0f kB)", f, Path(f).stat().st_size / 1e3)
    logger.info("writing outputs: %d files in %s, %.1f s", len(written), out,
                time.perf_counter() - t0)


def peak_memory():
    """Peak resident memory of this process [bytes], or None where :mod:`resource` is
    missing (Windows). Worker processes of a pool are not included."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit


def memory_text():
    """``"peak memory 512 MiB"`` (of this process; see :func:`peak_memory`)."""
    own = peak_memory()
    return "peak memory unknown" if own is None else f"peak memory {own / 2**20:.0f} MiB"


# ------------------------------------------------------------------------- progress
class Progress:
    """Progress of a counted task: a tqdm bar on a terminal, else periodic INFO lines.

    Use :func:`progress` to make one. The interface is the part of tqdm the
    package uses: ``update(k)``, the settable count ``n``, ``refresh()``,
    ``set_postfix(**values)``, and the context-manager protocol. ``bar`` is the
    tqdm bar drawn instead of lines, ``clock`` the time source of the lines.
    """

    def __init__(self, total, desc, unit="it", *, disable=False, logger=None, delay=DELAY_S,
                 bar=None, clock=time.monotonic):
        self.total, self.desc, self.unit = total, desc, unit
        self.disable, self.delay, self.clock = disable, delay, clock
        self.logger = logger or logging.getLogger(f"{ROOT}.progress")
        self.postfix = {}
        self._n = 0
        self._start = self._last = clock()
        self._decade = 0
        self._closed = False
        self._bar = bar

    @property
    def n(self):
        return self._n

    @n.setter
    def n(self, value):
        self._n = value

    def update(self, k=1):
        """Add ``k`` to the count."""
        self._n += k
        if self._bar is not None:
            self._bar.update(self._n - self._bar.n)
        else:
            self._tick()

    def refresh(self):
        """Show the current count (after setting ``n``)."""
        if self._bar is not None:
            self._bar.n = self._n
            self._bar.refresh()
        else:
            self._tick()

    def set_postfix(self, refresh=True, **values):
        """Values shown after the count (e.g. the basis size)."""
        self.postfix = values
        if self._bar is not None:
            self._bar.set_postfix(refresh=refresh, **values)

    def _count(self):
        if self.unit == "%":
            return f"{self._n:.0f} %"
        return f"{self._n}/{self.total} {self.unit}s" if self.total else f"{self._n} {self.unit}s"

    def _extra(self):
        return "".join(f", {k} {v}" for k, v in self.postfix.items())

    def _tick(self):
        if self.disable or not self.logger.isEnabledFor(logging.INFO):
            return
        now = self.clock()
        elapsed = now - self._start
        if elapsed < self.delay:
            return
        frac = min(self._n / self.total, 1.0) if self.total else 0.0
        if frac >= 1.0:  # the closing line follows
            return
        decade = math.floor(10 * frac + 1e-9)
        if not ((decade > self._decade and now - self._last >= 1.0)
                or now - self._last >= LINE_EVERY_S):
            return
        self._decade, self._last = decade, now
        pct = "" if self.unit == "%" or not self.total else f" ({100 * frac:.0f} %)"
        left = f", ~{elapsed * (1 - frac) / frac:.0f} s left" if 0 < frac < 1 else ""
        self.logger.info("%s: %s%s, %.1f s%s%s", self.desc, self._count(), pct, elapsed, left,
                         self._extra())

    def close(self):
        """End the bar; log the final count and time (once)."""
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()
        if not self.disable:
            count = "done" if self.unit == "%" else self._count()
            self.logger.info("%s: %s in %.1f s%s", self.desc, count,
                             self.clock() - self._start, self._extra())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _bar_class():
    """The tqdm class to draw with, or None for plain lines."""
    stream = sys.stdout if is_configured() else sys.stderr
    if _isatty(stream):
        from tqdm.std import tqdm

        return tqdm, stream
    if not is_configured() and "ipykernel" in sys.modules:  # a notebook: its own widget
        from tqdm.auto import tqdm

        return tqdm, None
    return None, None


def progress(total, desc, unit="it", *, disable=False, logger=None, delay=DELAY_S):
    """A :class:`Progress` over ``total`` units (``unit="%"``: a percentage, total 100).

    Parameters
    ----------
    total : int
    desc : str
        What is counted, e.g. ``"field sweep (direct)"``.
    unit : str
    disable : bool
        No bar and no lines at all (``--quiet``).
    logger : logging.Logger, optional
        Where the lines go (default ``omm_fem.progress``).
    delay : float
        Seconds before the first bar or line appears.
    """
    bar = None
    if not disable:
        cls, stream = _bar_class()
        if cls is not None:
            kw = {"file": stream} if stream is not None else {}
            bar = cls(total=total, desc=desc, unit=unit, delay=delay, leave=False,
                      dynamic_ncols=True, **kw)
    return Progress(total, desc, unit, disable=disable, logger=logger, delay=delay, bar=bar)


def say(text):
    """Result lines (summaries, reports) on stdout even with --quiet, and in
    --log-file: one record of the ``omm_fem.cli`` logger a line."""
    for line in str(text).splitlines():
        logging.getLogger("omm_fem.cli").info(line, extra=RESULT)
