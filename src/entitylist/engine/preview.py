"""`python -m entitylist preview`: serve the site, re-render what changed, reload the page.

The server (stdlib http.server, on 127.0.0.1 only) serves the output root's site/. A watcher
(watchfiles) follows the notebooks, data/raw and the package; on a change it calls the
render in this process, which runs only the notebooks whose inputs changed, on warm kernels
kept for the whole preview. When the render publishes, every open page reloads through a
server-sent event. The reload script is added to HTML responses as they are served; it is
never written to site/. A render that fails leaves the last good site and says why, in the
terminal and on the open page.
"""

import contextlib
import io
import sys
import threading
from collections.abc import Iterable
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import watchfiles

from entitylist import paths
from entitylist.engine import kernels, render
from entitylist.engine.pipeline import HAND_KEPT, PACKAGE_DIR
from entitylist.errors import DeskError

EVENTS = "/__preview/events"
# Server-sent events: "reload" after a publish, "failed" with the error line.
SCRIPT = """<script>(() => {
  const events = new EventSource("%s?since=%d");
  events.addEventListener("reload", () => location.reload());
  events.addEventListener("failed", (event) => {
    let note = document.getElementById("preview-error");
    if (!note) {
      note = document.body.appendChild(document.createElement("pre"));
      note.id = "preview-error";
    }
    note.style.cssText = "position:fixed;inset:0 0 auto 0;margin:0;padding:8px 12px;"
      + "background:#d6402b;color:#fff;white-space:pre-wrap;z-index:9";
    note.textContent = event.data;
  });
})();</script>"""
WAITING = (
    "<!doctype html><title>Rendering</title><p>Rendering; this page reloads when it is ready.</p>"
)
KEEPALIVE_SECONDS = 15.0


class Preview:
    """What the preview renders and where, and the count of publishes pages wait on."""

    def __init__(self, output_root: Path, pipeline: Path) -> None:
        """Preview the pipeline's site in the output root."""
        self.output_root = output_root.resolve()
        self.pipeline = pipeline.resolve()
        self.generation = 0
        self.failure = ""
        self.changed = threading.Condition()

    @property
    def site(self) -> Path:
        """The folder the server serves."""
        return self.output_root / paths.SITE_NAME

    def watched(self) -> list[Path]:
        """The notebooks, the raw snapshot and the package: what a render depends on."""
        return [self.pipeline.parent, paths.RAW, PACKAGE_DIR]

    def refresh(self) -> None:
        """Render what changed; wake the open pages on a publish or a failure."""
        try:
            result = render.render(output_root=self.output_root, pipeline=self.pipeline)
        except Exception as exc:  # noqa: BLE001 (a half-saved file must not end the preview)
            message = str(exc) if isinstance(exc, DeskError) else f"{type(exc).__name__}: {exc}"
            print(f"error: {message}", file=sys.stderr, flush=True)
            self.announce(failure=message)
            return
        # After a failure, a render that publishes nothing (the edit was undone) still clears
        # the error bar: the page reloads to the last good site.
        if result.published or self.failure:
            self.announce(failure="")

    def announce(self, failure: str) -> None:
        """Record a publish (or a failure) and wake every waiting page."""
        with self.changed:
            self.failure = failure
            self.generation += 1
            self.changed.notify_all()

    def wait(self, since: int, timeout: float) -> tuple[int, str]:
        """Block until a publish after `since` (or the timeout); return generation, failure."""
        with self.changed:
            self.changed.wait_for(lambda: self.generation > since, timeout)
            return self.generation, self.failure

    def page(self, markup: bytes) -> bytes:
        """Add the reload script to a page, just before </body>."""
        script = (SCRIPT % (EVENTS, self.generation)).encode()
        at = markup.rfind(b"</body>")
        return markup + script if at < 0 else markup[:at] + script + markup[at:]


HOSTS = ("127.0.0.1", "localhost", "[::1]")


class Handler(SimpleHTTPRequestHandler):
    """Serves site/, with the reload script in every HTML response and the event stream."""

    preview: Preview

    def do_GET(self) -> None:
        """Answer the event stream, or a file."""
        if not self.allowed():
            return
        if urlsplit(self.path).path == EVENTS:
            self.events()
        else:
            super().do_GET()

    def do_HEAD(self) -> None:
        """Answer a file's headers, under the same checks as GET."""
        if self.allowed():
            super().do_HEAD()

    def allowed(self) -> bool:
        """Refuse, with a 4xx, a request from another site's name or for no file of the site."""
        host = (self.headers.get("Host") or "").lower()
        port = self.server.server_address[1]
        if host not in {f"{name}:{port}" for name in HOSTS}:
            # DNS rebinding: a page of another site reaching the preview under its own name.
            self.send_error(HTTPStatus.MISDIRECTED_REQUEST, "the preview answers to 127.0.0.1")
            return False
        if "\x00" in unquote(urlsplit(self.path).path):
            self.send_error(HTTPStatus.BAD_REQUEST, "a NUL byte in the path")
            return False
        return True

    def inside_site(self, target: Path) -> bool:
        """Whether a path, its links followed, is inside the site folder served."""
        return target.resolve().is_relative_to(Path(self.directory).resolve())

    def send_head(self) -> io.BytesIO | None:
        """Serve HTML pages with the reload script; anything else as a plain file server."""
        target = Path(self.translate_path(self.path))
        if target.exists() and not self.inside_site(target):
            self.send_error(HTTPStatus.NOT_FOUND, "not a file of the site")
            return None
        # The site's front page, also before the first render has made the folder.
        if target.is_dir() or urlsplit(self.path).path.endswith("/"):
            target = target / "index.html"
        if target.suffix != ".html":
            return super().send_head()
        if target.is_file():
            status, body = 200, self.preview.page(target.read_bytes())
        else:
            status, body = 404, self.preview.page(WAITING.encode())
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        return io.BytesIO(body)

    def events(self) -> None:
        """Stream 'reload' (or 'failed') once a render after the page's own has finished."""
        since_text = parse_qs(urlsplit(self.path).query).get("since", ["0"])[0]
        if not since_text.isdigit():
            self.send_error(HTTPStatus.BAD_REQUEST, "since= must be a whole number")
            return
        since = int(since_text)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        with contextlib.suppress(OSError):
            while True:
                generation, failure = self.preview.wait(since, KEEPALIVE_SECONDS)
                if generation > since:
                    # One data line: an error message is one line already.
                    line = " ".join(failure.split())
                    event = (
                        f"event: failed\ndata: {line}\n\n"
                        if failure
                        else "event: reload\ndata: reload\n\n"
                    )
                    since = generation
                else:
                    event = ": keep-alive\n\n"
                self.wfile.write(event.encode())
                self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib's name)
        """Keep requests out of the terminal: it shows what the renders do."""


def serve(preview: Preview, port: int) -> ThreadingHTTPServer:
    """Start the server on 127.0.0.1 in a background thread."""
    bound = type("PreviewHandler", (Handler,), {"preview": preview})
    handler = partial(bound, directory=str(preview.site))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        msg = f"--port {port}: cannot serve on 127.0.0.1 ({exc.strerror}); choose another port"
        raise DeskError(msg) from None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def renews_kernels(changes: Iterable[tuple[object, str]]) -> bool:
    """Whether a change is in the package, which the warm kernels have imported, or in a
    hand-kept file: the package reads those at use, and a new pool makes sure of it."""
    kept = {(paths.ROOT / name).resolve() for name in HAND_KEPT}
    return any(
        Path(path).is_relative_to(PACKAGE_DIR) or Path(path).resolve() in kept
        for _, path in changes
    )


def watch(preview: Preview, stop: threading.Event, resume: bool = True) -> None:
    """Render now, then again after every change, until stopped; with `resume`, a changed
    notebook runs from its first changed cell."""
    quiet = watchfiles.DefaultFilter(
        ignore_dirs=(*watchfiles.DefaultFilter.ignore_dirs, ".ipynb_checkpoints"),
        # Half-written files: atomic.py's temporaries and JupyterLab's.
        ignore_entity_patterns=(
            *watchfiles.DefaultFilter.ignore_entity_patterns,
            r"\.tmp$",
            r"^\.~",
        ),
    )
    changes = watchfiles.watch(*preview.watched(), watch_filter=quiet, stop_event=stop)
    pending = True
    while not stop.is_set():
        # One zygote across renders; a change to the package needs one that imports it anew.
        # Checkpoints before each cell, so an edit re-runs from its cell (checkpoints.py).
        with kernels.warm(eager=True, keep=resume):
            while not stop.is_set():
                if pending:
                    preview.refresh()
                    pending = False
                batch = next(changes, None)
                if batch is None:
                    return
                names = ", ".join(sorted({paths.shown(path) for _, path in batch}))
                print(f"changed: {names}", file=sys.stderr, flush=True)
                pending = True
                if renews_kernels(batch):
                    break


def main(port: int, output_root: Path | None, pipeline: Path, resume: bool = True) -> None:
    """Serve the site and keep it rendered until Ctrl-C."""
    preview = Preview(output_root or paths.ROOT, pipeline)
    server = serve(preview, port)
    print(
        f"preview: http://127.0.0.1:{server.server_port}/ (Ctrl-C to stop); "
        f"watching {', '.join(paths.shown(p) for p in preview.watched())}",
        file=sys.stderr,
        flush=True,
    )
    stop = threading.Event()
    try:
        watch(preview, stop, resume)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
