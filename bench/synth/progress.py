"""Progress of a long step on stderr: one updating line on a terminal, about ten plain lines
otherwise (a log, a pipe, a test's buffer)."""

import math
import time


class Progress:
    """`update(done)` as the work goes, `finish()` at the end; nothing at all when disabled."""

    def __init__(self, out, label, total, enabled=True, lines=10):
        self.out, self.label, self.enabled, self.lines = out, label, enabled, lines
        self.tty = out.isatty()
        self.shown = False
        self.total = None
        self.last = None
        self.set_total(total)
        self.started = time.monotonic()

    def set_total(self, total):
        if self.total != total:
            self.total = total
            self.every = max(1, math.ceil(total / self.lines))
            self.next_line = self.every

    def update(self, done):
        if not self.enabled or done == self.last:
            return
        self.last = done
        elapsed = time.monotonic() - self.started
        share = done / self.total if self.total else 1
        self.shown = True
        if self.tty:
            bar = "#" * int(share * 30)
            self.out.write(
                f"\r{self.label}: [{bar:<30}] {done:,}/{self.total:,} {share:4.0%} {elapsed:5.1f}s"
            )
            self.out.flush()
        elif done >= self.next_line or done >= self.total:
            self.out.write(f"{self.label}: {done:,}/{self.total:,} ({share:.0%}, {elapsed:.1f}s)\n")
            while self.next_line <= done:
                self.next_line += self.every

    def finish(self):
        if self.enabled and self.tty and self.shown:
            self.out.write("\n")
