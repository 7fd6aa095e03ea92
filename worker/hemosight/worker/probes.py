"""The worker's small HTTP port (HEMOSIGHT_METRICS_PORT): /metrics for Prometheus, /healthz and /readyz for probes.

- /healthz: 200 while the worker loop has run within `stale_seconds` (a hung worker gets restarted);
- /readyz: 200 once a model is loaded (a worker without a model takes no jobs);
- /metrics: the worker's counters and histograms (backend/hemosight/core/metrics.py).

A plain threaded HTTP server: the probes must answer even while a batch occupies the event loop.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hemosight.core.metrics import CONTENT_TYPE
from hemosight.worker.runner import Worker


def serve_probes(worker: Worker, port: int, host: str = "0.0.0.0", stale_seconds: float = 300.0) -> ThreadingHTTPServer:
    """Start serving in a daemon thread; call `.shutdown()` on the result to stop."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._send(200, worker.metrics.render(), CONTENT_TYPE)
            elif self.path == "/healthz":
                age = time.time() - worker.metrics.last_loop._value.get()
                alive = age < stale_seconds
                self._send(200 if alive else 503, b"ok\n" if alive else b"worker loop stalled\n")
            elif self.path == "/readyz":
                ready = worker.model is not None
                self._send(200 if ready else 503, b"ready\n" if ready else b"no model loaded\n")
            else:
                self._send(404, b"not found: try /metrics, /healthz or /readyz\n")

        def _send(self, code: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # probes every few seconds: not worth a log line
            return

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="worker-probes", daemon=True).start()
    return server
