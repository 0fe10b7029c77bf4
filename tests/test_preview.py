"""`make preview`: a real preview server over the fixture pipeline, edited while it runs."""

import http.client
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from conftest import ctrl_c_as_at_a_terminal, free_port, pipeline_inputs, until
from entitylist import paths
from entitylist.engine import preview

pytestmark = pytest.mark.notebooks

FIXTURE = Path(__file__).parent / "fixtures" / "pipeline"


def get(port: int, path: str, timeout: float = 10.0, host: str = "") -> tuple[int, str]:
    """Status and text of a page the preview serves (as asked for under another Host)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": host} if host else {})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def next_event(stream: http.client.HTTPResponse) -> tuple[str, str]:
    """Read a server-sent event stream up to its first event: its name and data."""
    fields = {}
    for raw in iter(stream.readline, b""):
        line = raw.decode().rstrip("\n")
        if not line and "event" in fields:
            break
        if line and not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value
    return fields.get("event", ""), fields.get("data", "")


def edit(notebook: Path, old: str, new: str) -> None:
    """Replace text in a notebook's cells, as a reporter's save would."""
    book = nbformat.read(notebook, as_version=4)
    cells = [cell for cell in book.cells if old in cell.source]
    assert cells, f"{notebook.name}: no cell holds {old!r}"
    cells[0].source = cells[0].source.replace(old, new)
    nbformat.write(book, notebook)


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the fixture pipeline to edit, and an output root with its inputs."""
    notebooks = tmp_path / "notebooks"
    shutil.copytree(FIXTURE, notebooks)
    return notebooks / "pipeline.yaml", pipeline_inputs(tmp_path / "out")


def test_a_running_preview_rerenders_an_edited_notebook_and_reloads_the_page(project):
    pipeline, out = project
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "entitylist", "preview", "--port", str(port)]
        + ["--pipeline", str(pipeline), "--output-root", str(out)],
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_as_at_a_terminal,  # noqa: PLW1509 (a signal disposition only)
    )
    try:
        assert until(lambda: "The word is hello." in get(port, "/first.html")[1])
        status, page = get(port, "/first.html")
        assert status == 200
        assert preview.EVENTS in page
        # The page listens for the next publish on the event stream.
        since = page.split(f"{preview.EVENTS}?since=")[1].split('"')[0]
        stream = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        stream.request("GET", f"{preview.EVENTS}?since={since}")
        events: list[tuple[str, str]] = []

        def listen() -> None:
            response = stream.getresponse()
            while (event := next_event(response)) != ("", ""):
                events.append(event)

        threading.Thread(target=listen, daemon=True).start()

        notebook = pipeline.parent / "10-make.ipynb"
        edit(notebook, "The word is {{ word }}.", "The word now is {{ word }}.")
        assert until(lambda: "The word now is hello." in get(port, "/first.html")[1])
        assert until(lambda: len(events) == 1)
        assert events == [("reload", "reload")]

        # A broken edit: the page says why, and the last good page stays.
        said = 'story.say("The word now is {{ word }}.", word=word)'
        edit(notebook, said, "raise ValueError('broken')")
        assert until(lambda: len(events) == 2)
        kind, message = events[1]
        assert kind == "failed"
        assert message.startswith("10-make.ipynb: cell 3")
        assert "ValueError: broken" in message
        assert "The word now is hello." in get(port, "/first.html")[1]
        # Put back as it was: nothing new to publish, but the page loses its error bar.
        edit(notebook, "raise ValueError('broken')", said)
        assert until(lambda: len(events) == 3)
        assert events[2] == ("reload", "reload")
        stream.close()
    finally:
        server.send_signal(signal.SIGINT)
        try:
            log = server.communicate(timeout=60)[1]
        except subprocess.TimeoutExpired:
            server.kill()
            log = server.communicate()[1]
    assert server.returncode == 0, log
    # Only the edited notebook ran again: its output, word.csv, did not change.
    parts = re.split(r"^changed: ", log, flags=re.MULTILINE)
    assert len(parts) == 4, log
    first, edited, broken, _restored = parts
    assert {"ran 10-make", "ran 20-read", "ran 25-other"} <= {
        " ".join(line.split()[:2]) for line in first.splitlines()
    }
    reran = [line.split()[1] for line in edited.splitlines() if line.strip().startswith("ran ")]
    assert reran == ["10-make"]
    assert f"error: {message}" in broken.splitlines()
    # The reload script lives in responses only, never in the published files.
    published = [p for p in (out / paths.SITE_NAME).rglob("*") if p.is_file()]
    assert published
    for path in published:
        assert preview.EVENTS.encode() not in path.read_bytes(), path


def test_only_html_gets_the_reload_script(tmp_path: Path):
    site = tmp_path / paths.SITE_NAME
    site.mkdir()
    (site / "page.html").write_text("<html><body><p>words</p></body></html>")
    (site / "data.csv").write_text("a,b\n1,2\n")
    watcher = preview.Preview(tmp_path, FIXTURE / "pipeline.yaml")
    server = preview.serve(watcher, 0)
    port = server.server_port
    try:
        status, page = get(port, "/page.html")
        assert status == 200
        assert page.startswith("<html><body><p>words</p><script>")
        assert page.endswith("</script></body></html>")
        assert get(port, "/data.csv") == (200, "a,b\n1,2\n")
        # A page not rendered yet waits for the render, and reloads when it lands.
        for path in ("/missing.html", "/not-yet/"):
            status, waiting = get(port, path)
            assert status == 404
            assert preview.EVENTS in waiting
        assert (site / "page.html").read_text() == "<html><body><p>words</p></body></html>"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def served(tmp_path: Path):
    """A preview server over a small site, and that site's folder."""
    site = tmp_path / paths.SITE_NAME
    site.mkdir()
    (site / "page.html").write_text("<html><body><p>words</p></body></html>")
    server = preview.serve(preview.Preview(tmp_path, FIXTURE / "pipeline.yaml"), 0)
    try:
        yield server.server_port, site
    finally:
        server.shutdown()
        server.server_close()


def test_the_preview_serves_nothing_outside_the_site(served, tmp_path: Path):
    port, site = served
    secret = tmp_path / "secret.txt"
    secret.write_text("not for readers")
    (site / "outside").symlink_to(tmp_path)
    (site / "secret.html").symlink_to(secret)
    (site / "etc").symlink_to("/etc")
    for path in ("/outside/secret.txt", "/secret.html", "/etc/passwd", "/etc/", "/../secret.txt"):
        status, body = get(port, path)
        assert status == 404, path
        assert "not for readers" not in body
        assert "root:" not in body
    # A link that stays inside the site is served.
    (site / "alias.html").symlink_to(site / "page.html")
    assert get(port, "/alias.html")[0] == 200


def test_the_preview_answers_only_to_its_own_names(served):
    port, _ = served
    for host in ("127.0.0.1", "localhost", "[::1]"):
        assert get(port, "/page.html", host=f"{host}:{port}")[0] == 200
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1:{port + 1}", "localhost"):
        status, body = get(port, "/page.html", host=host)
        assert status == 421, host
        assert "words" not in body


def test_bad_requests_get_a_4xx_and_no_traceback(served, capfd):
    port, _ = served
    assert get(port, "/page%00.html")[0] == 400
    assert get(port, "/%00")[0] == 400
    assert get(port, f"{preview.EVENTS}?since=abc")[0] == 400
    assert get(port, f"{preview.EVENTS}?since=-1")[0] == 400
    assert get(port, "/page.html")[0] == 200
    assert "Traceback" not in capfd.readouterr().err
