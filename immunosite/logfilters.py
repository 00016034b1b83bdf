"""Logging filters for the console handler: a client error is one line, and a server error that
repeats (a database outage: every request fails the same way) is logged at a bounded rate.

- `ClientErrorsOnOneLine`: records of 4xx responses (Django's `django.request` and
  `django.security.*` loggers give them a `status_code`) lose their traceback; the message says
  what was wrong (`Not Found: /x`, `Invalid HTTP_HOST header: …`).
- `RepeatsOncePerWindow`: any other warning or error is let through once per `seconds` for
  each kind (logger, level, message template, and for an exception its type and where it was
  raised); the ones in between are counted, and the next one let through says how many were
  left out. Each worker process keeps its own counts.
"""

import logging
import threading
import time

MAX_KINDS = 1000


def is_client_error(record):
    status = getattr(record, "status_code", None)
    return isinstance(status, int) and 400 <= status < 500


class ClientErrorsOnOneLine(logging.Filter):
    def filter(self, record):
        if is_client_error(record):
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True


class RepeatsOncePerWindow(logging.Filter):
    def __init__(self, seconds=60):
        super().__init__()
        self.seconds = float(seconds)
        self.kinds = {}  # kind -> [time let through, left out since]
        self.lock = threading.Lock()

    @staticmethod
    def kind(record):
        kind = (record.name, record.levelno, str(record.msg))
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            trace = error.__traceback__
            while trace is not None and trace.tb_next is not None:
                trace = trace.tb_next
            where = (trace.tb_frame.f_code.co_filename, trace.tb_lineno) if trace else None
            kind += (type(error).__qualname__, where)
        return kind

    def filter(self, record):
        if record.levelno < logging.WARNING or is_client_error(record):
            return True
        kind = self.kind(record)
        now = time.monotonic()
        with self.lock:
            seen = self.kinds.get(kind)
            if seen is not None and now - seen[0] < self.seconds:
                seen[1] += 1
                return False
            if len(self.kinds) >= MAX_KINDS:
                self.kinds.clear()
            self.kinds[kind] = [now, 0]
        if seen is not None and seen[1]:
            record.msg = (
                f"{record.msg} [and {seen[1]} more like this in the last "
                f"{now - seen[0]:.0f} s, not logged]"
            )
        return True
