"""Worker processes started by `hemosight serve`, kept alive, and stopped cleanly.

The worker runs in its own process so that TensorFlow never enters the web server. If
it exits unexpectedly it is restarted after a pause; its unfinished jobs come back to
pending when their leases expire, so nothing is lost.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading

from hemosight.core.settings import SOURCE_ROOTS

log = logging.getLogger("hemosight.supervisor")
RESTART_PAUSE_SECONDS = 3.0
STOP_TIMEOUT_SECONDS = 30.0


def worker_command(worker_args: list[str]) -> list[str]:
    return [sys.executable, "-m", "hemosight.cli", "worker", *worker_args]


def worker_env() -> dict[str, str]:
    """The parent's environment, with this checkout importable even when HemoSight is not installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [*map(str, SOURCE_ROOTS), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


class WorkerSupervisor:
    def __init__(self, worker_args: list[str], count: int = 1) -> None:
        self.worker_args = worker_args
        self.count = count
        self.processes: list[subprocess.Popen[bytes]] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)

    def start(self) -> None:
        if self.count <= 0:
            return
        self.processes = [self._spawn() for _ in range(self.count)]
        self._thread.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(worker_command(self.worker_args), env=worker_env())
        log.info("Started worker process %d.", process.pid)
        return process

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            for i, process in enumerate(self.processes):
                code = process.poll()
                if code is not None and not self._stopping.is_set():
                    log.error("Worker process %d exited with status %s; restarting it.", process.pid, code)
                    if self._stopping.wait(RESTART_PAUSE_SECONDS):
                        return
                    self.processes[i] = self._spawn()

    def stop(self) -> None:
        """SIGTERM every worker (each finishes its batch), then SIGKILL whatever is still running."""
        self._stopping.set()
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                log.warning("Worker process %d did not stop in time; killing it.", process.pid)
                process.kill()
                process.wait()
