"""The progress line of a sweep on stderr: points done, failed, total, elapsed time and ETA.

On a terminal it is one line redrawn in place (at most 10 times a second); elsewhere (a log, a
pipe, CI) a plain line is printed every `interval` seconds and once at the end.
"""

import sys
import time

BAR_WIDTH = 24
TTY_REDRAW_S = 0.1


def clock(seconds):
    """Seconds as m:ss or h:mm:ss."""
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """Counts finished points and draws the line. `total` is the number of points that run
    (skipped points are not among them and are only shown)."""

    def __init__(self, total, skipped=0, stream=None, interval=10.0, prog="sweep",
                 enabled=True):
        self.total, self.skipped, self.prog = total, skipped, prog
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval, self.enabled = interval, enabled
        self.done = self.failed = 0
        self.start = time.monotonic()
        self.last_draw = float("-inf")

    def line(self):
        """The current progress text (without colour or control characters)."""
        elapsed = time.monotonic() - self.start
        frac = self.done / self.total if self.total else 1.0
        filled = int(frac * BAR_WIDTH)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        if self.done >= self.total:
            eta = "done"
        elif self.done:
            eta = "ETA " + clock(elapsed / self.done * (self.total - self.done))
        else:
            eta = "ETA ?"
        skipped = f", {self.skipped} skipped" if self.skipped else ""
        return (f"{self.prog}: [{bar}] {self.done}/{self.total} done, {self.failed} failed"
                f"{skipped} | {clock(elapsed)} elapsed, {eta}")

    def update(self, failed):
        """Records one finished point (failed or not) and redraws when due."""
        self.done += 1
        self.failed += bool(failed)
        self.draw(force=self.done >= self.total)

    def advance(self, n):
        """Records n finished points that did not fail (found done) and redraws when due."""
        if n:
            self.done += n
            self.draw(force=self.done >= self.total)

    def draw(self, force=False):
        """Draws the line if enabled and due (or forced)."""
        if not self.enabled:
            return
        now = time.monotonic()
        due = TTY_REDRAW_S if self.tty else self.interval
        if not force and now - self.last_draw < due:
            return
        self.last_draw = now
        if self.tty:
            self.stream.write("\r" + self.line() + "\x1b[K")
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def close(self):
        """Ends the line on a terminal (the final state stays visible)."""
        if self.enabled and self.tty:
            self.draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
