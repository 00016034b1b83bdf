"""redis-server on a free loopback port, with no persistence; it can be frozen and killed (the
cache outage tests)."""

import contextlib
import os
import signal
import socket
import subprocess

from .common import HOST, ServerProcess, base_env, free_port, tail, wait_until


class RedisServer(ServerProcess):
    """redis-server in the foreground (its own process group), no persistence, on a free port.
    `kill()` and `start()` can be repeated; the context manager always kills it."""

    name = "redis"

    def __init__(self, program):
        super().__init__()
        self.program = program
        self.port = free_port()
        self.log = self.root / "redis.log"

    @property
    def url(self):
        return f"redis://{HOST}:{self.port}/0"

    def ping(self):
        try:
            with socket.create_connection((HOST, self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def start(self, timeout=15):
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    self.program, "--bind", HOST, "--port", str(self.port), "--save", "",
                    "--appendonly", "no", "--daemonize", "no", "--dir", str(self.root),
                ],
                cwd=self.root, env=base_env(), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

        def up():
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited:\n{tail(self.log)}")
            return self.ping()

        wait_until(up, timeout, f"redis-server on port {self.port}")

    def freeze(self):
        """SIGSTOP: connections are still accepted (by the kernel) but never answered."""
        os.killpg(self.process.pid, signal.SIGSTOP)

    def stop(self):
        self.kill()

    def kill(self):
        """SIGKILL: Redis disappears as in a crash (a frozen one too)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None
