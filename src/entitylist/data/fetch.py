"""Live refresh: Federal Register rules and the Consolidated Screening List, over HTTP.

Everything is downloaded and checked in memory first; only a complete, valid download becomes
a new snapshot folder, data/raw/live/<date>/, listed in the manifest. Raw files are immutable.
"""

import datetime as dt
import errno
import hashlib
import json
import re
import shutil
import socket
import tempfile
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from tqdm import tqdm
from urllib3.exceptions import (
    ConnectTimeoutError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.util import Retry

from entitylist import atomic, config, paths
from entitylist.data import csl, manifest, parsers, sources, update
from entitylist.errors import FetchError, ParameterError, ParseError

FR_BASE = "https://www.federalregister.gov/api/v1"
CSL_URL = "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.json"
TIMEOUT = (10, 60)  # seconds to connect, seconds between bytes of the answer
RETRIES = 4
RETRY_STATUSES = (429, 500, 502, 503, 504)
OFFLINE_HINT = "`make render` works offline from data/raw"
FR_FIELDS = (
    "document_number",
    "citation",
    "publication_date",
    "effective_on",
    "title",
    "abstract",
    "html_url",
    "full_text_xml_url",
)
LIVE = "live"
DOCUMENTS_FILE = "fr-documents.json"
XML_DIR = "fr-xml"
# The screening list keeps trade.gov's own name, with the suffix of the shape it came in.
CSL_FILE = "consolidated"
# A document number becomes a file name: only the FR's own shape, never a path.
DOCUMENT_NUMBER = re.compile(r"^[0-9]{4}-[0-9]{4,6}$|^[A-Z][0-9A-Z-]{2,20}$")


class TimeoutAdapter(HTTPAdapter):
    """An HTTPAdapter that applies a default timeout to every request it sends."""

    def __init__(self, *args, timeout: tuple[float, float] = TIMEOUT, **kwargs) -> None:
        """Keep the timeout for send(); pass everything else to HTTPAdapter."""
        self.timeout = timeout
        super().__init__(*args, **kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        """Send the request with the default timeout unless the caller gave one."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def make_session(
    *,
    retries: int = RETRIES,
    backoff_factor: float = 1.0,
    timeout: tuple[float, float] = TIMEOUT,
) -> requests.Session:
    """Return a Session with timeouts and bounded, exponentially backed-off retries."""
    retry = Retry(
        total=retries,
        backoff_factor=backoff_factor,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
    )
    session = requests.Session()
    adapter = TimeoutAdapter(max_retries=retry, timeout=timeout)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = "entitylist-desk/0.1 (newsroom data desk; python-requests)"
    return session


def innermost(exc: BaseException) -> BaseException:
    """Return the deepest reason or cause behind a requests or urllib3 exception."""
    seen = {id(exc)}
    while True:
        inner = getattr(exc, "reason", None)
        if not isinstance(inner, BaseException) and exc.args:
            inner = exc.args[0] if isinstance(exc.args[0], BaseException) else None
        if not isinstance(inner, BaseException) or id(inner) in seen:
            return exc
        seen.add(id(inner))
        exc = inner


def describe(exc: requests.RequestException) -> str:
    """Say in a few words why a request failed: refused, DNS, timeout, or the status."""
    reason = innermost(exc)
    os_error = reason.__cause__ or reason.__context__
    code = getattr(os_error, "errno", None)
    if isinstance(reason, NameResolutionError | socket.gaierror):
        return "DNS lookup failed; offline?"
    if isinstance(os_error, ConnectionRefusedError) or code == errno.ECONNREFUSED:
        return "connection refused"
    if code in {errno.ENETUNREACH, errno.EHOSTUNREACH}:
        return "network unreachable; offline?"
    if isinstance(reason, ConnectTimeoutError) or isinstance(exc, requests.ConnectTimeout):
        return "timed out connecting"
    if isinstance(reason, ReadTimeoutError) or isinstance(exc, requests.ReadTimeout):
        return "timed out waiting for an answer"
    if isinstance(reason, ResponseError):
        return str(reason)  # "too many 503 error responses"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed"
    if isinstance(reason, NewConnectionError):
        return "connection failed"
    return type(reason).__name__


def get(url: str, session: requests.Session, params: Mapping | list | None = None) -> bytes:
    """GET a URL and return its body; any failure is a one-line FetchError."""
    host = urlsplit(url).hostname or url
    try:
        response = session.get(url, params=params)
    except requests.exceptions.RetryError as exc:
        retries = getattr(session.get_adapter(url).max_retries, "total", RETRIES)
        msg = f"{host} kept failing ({describe(exc)}) after {retries} retries; {OFFLINE_HINT}"
        raise FetchError(msg) from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        # Chaining would print urllib3's pool internals; the reason is all a reporter needs.
        msg = f"cannot reach {host} ({describe(exc)}); {OFFLINE_HINT}"
        raise FetchError(msg) from None
    except requests.RequestException as exc:
        msg = f"{url}: request failed ({describe(exc)})"
        raise FetchError(msg) from None
    if not response.ok:
        msg = f"{host} answered HTTP {response.status_code} {response.reason} for {url}"
        raise FetchError(msg)
    return response.content


def get_json(url: str, session: requests.Session, params: Mapping | list | None = None) -> dict:
    """GET a URL and return its JSON object."""
    body = get(url, session, params)
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        msg = f"{url}: answer is not JSON ({exc})"
        raise FetchError(msg) from None
    if not isinstance(data, dict):
        msg = f"{url}: answer is JSON but not an object"
        raise FetchError(msg)
    return data


def search_params(since: str) -> list[tuple[str, str]]:
    """Return the query for BIS rules mentioning the Entity List, oldest first."""
    return [
        ("conditions[agencies][]", "industry-and-security-bureau"),
        ("conditions[term]", '"entity list"'),
        ("conditions[type][]", "RULE"),
        ("conditions[publication_date][gte]", since),
        ("per_page", "100"),
        ("order", "oldest"),
        *(("fields[]", name) for name in FR_FIELDS),
    ]


def check_document(document: object, url: str) -> dict:
    """Return a search result if it has every requested field and a safe document number."""
    if not isinstance(document, dict):
        msg = f"{url}: a result is not a JSON object"
        raise FetchError(msg)
    missing = [name for name in FR_FIELDS if name not in document]
    if missing:
        msg = f"{url}: document {document.get('document_number')!r} lacks {missing[0]!r}"
        raise FetchError(msg)
    if not DOCUMENT_NUMBER.match(str(document["document_number"])):
        msg = f"{url}: document number {document['document_number']!r} is not an FR number"
        raise FetchError(msg)
    return document


def search_entity_list_rules(
    since: str, session: requests.Session | None = None, base_url: str = FR_BASE
) -> list[dict]:
    """Return every BIS rule mentioning the Entity List published on or after since."""
    params: list | None = search_params(iso_date("since", since))
    session = session or make_session()
    url: str | None = f"{base_url.rstrip('/')}/documents.json"
    documents: list[dict] = []
    expected = None
    seen: set[str] = set()
    while url:
        if url in seen:
            msg = f"{url}: pagination loops back to a page already read"
            raise FetchError(msg)
        seen.add(url)
        page = get_json(url, session, params)
        if "count" not in page:
            msg = f"{url}: answer has no 'count'; not a Federal Register documents page"
            raise FetchError(msg)
        expected = page["count"] if expected is None else expected
        # The API leaves out "results" when nothing matches.
        results = page.get("results", [])
        if not isinstance(results, list):
            msg = f"{url}: 'results' is not a list"
            raise FetchError(msg)
        documents += [check_document(document, url) for document in results]
        url, params = page.get("next_page_url"), None  # the next URL carries the query
    if len(documents) != expected:
        msg = (
            f"Federal Register search: {len(documents)} documents read, the API counted {expected}"
        )
        raise FetchError(msg)
    return documents


def fetch_full_text(url: str, session: requests.Session | None = None) -> bytes:
    """Return the full-text XML of one Federal Register document."""
    return get(url, session or make_session())


def fetch_csl(url: str = CSL_URL, session: requests.Session | None = None) -> bytes:
    """Return the Consolidated Screening List's bytes as trade.gov serves them."""
    return get(url, session or make_session())


def check_xml(document: dict, xml: bytes) -> None:
    """Raise FetchError unless a document's XML is well-formed."""
    try:
        parsers.read_xml(xml)
    except ParseError as exc:
        msg = f"Federal Register {document['document_number']}: {exc}"
        raise FetchError(msg) from None


def check_csl(data: bytes, url: str) -> tuple[str, str]:
    """Read the screening list in memory; return its file name and a description of it."""
    try:
        parties = csl.read(data, url)
    except ParseError as exc:
        raise FetchError(str(exc)) from None
    entries = csl.entity_list(parties)
    if entries.empty:
        msg = f"{url}: no rows from the {csl.EL_SOURCE!r}"
        raise FetchError(msg)
    description = config.dictionary().sources.fetched.screening_list.format(
        parties=len(parties), entries=len(entries), source=csl.EL_SOURCE
    )
    return CSL_FILE + csl.suffix(data, url), description


def documents_json(documents: list[dict]) -> bytes:
    """Serialise the search results so identical results give identical bytes."""
    return (json.dumps(documents, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def iso_date(name: str, value: str | dt.date) -> str:
    """Return a parameter as an ISO date, or raise ParameterError naming it."""
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        msg = f"{name}={value!r}: not a date as YYYY-MM-DD"
        raise ParameterError(msg) from None


def download(
    since: str, session: requests.Session, fr_base: str, csl_url: str
) -> dict[str, tuple[bytes, str, str, str]]:
    """Download and check everything; return {path: (bytes, description, origin, licence)}."""
    documents = search_entity_list_rules(since, session, fr_base)
    search_url = (
        requests.Request(
            "GET", f"{fr_base.rstrip('/')}/documents.json", params=search_params(since)
        )
        .prepare()
        .url
    )
    said = config.dictionary().sources.fetched
    files = {
        DOCUMENTS_FILE: (
            documents_json(documents),
            said.rules_search.format(since=since, count=len(documents)),
            search_url,
            said.rules_licence,
        )
    }
    # tqdm draws only on a terminal (disable=None), so logs and CI stay clean.
    for document in tqdm(documents, desc="Federal Register XML", unit="doc", disable=None):
        url = document["full_text_xml_url"]
        if not url:
            msg = f"Federal Register {document['document_number']}: no full_text_xml_url"
            raise FetchError(msg)
        xml = fetch_full_text(url, session)
        check_xml(document, xml)
        files[f"{XML_DIR}/{document['document_number']}.xml"] = (
            xml,
            said.rule_text.format(
                citation=document["citation"],
                published=document["publication_date"],
                title=document["title"],
            ),
            url,
            said.rules_licence,
        )
    data = fetch_csl(csl_url, session)
    name, description = check_csl(data, csl_url)
    files[name] = (data, description, csl_url, said.screening_list_licence)
    return files


def on_disk(folder: Path) -> dict[str, bytes]:
    """Return every file under folder by relative path."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def write_snapshot(folder: Path, files: Mapping[str, tuple[bytes, ...]]) -> None:
    """Write the files to a hidden folder beside the target, then rename it into place."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        for rel, (data, *_) in files.items():
            atomic.write_bytes(staging / rel, data)
        staging.chmod(0o755)
        # A folder appears whole or not at all: a failed write leaves no half snapshot.
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def check_unlisted(raw_dir: Path, files: Mapping[str, tuple[bytes, ...]], folder: Path) -> None:
    """Refuse a new snapshot whose paths the manifest already lists with other bytes."""
    listed = manifest.read_manifest(raw_dir / paths.MANIFEST.name)
    for rel, (data, *_) in files.items():
        key = (folder / rel).relative_to(raw_dir).as_posix()
        if key in listed and listed[key]["sha256"] != hashlib.sha256(data).hexdigest():
            msg = f"data/raw/{key}: already listed with another sha256; raw files are immutable"
            raise FetchError(msg)


def refresh(
    raw_dir: Path = paths.RAW,
    since: str = "2016-01-01",
    session: requests.Session | None = None,
    fr_base: str = FR_BASE,
    csl_url: str = CSL_URL,
    today: str | dt.date | None = None,
    allow_removals: bool = False,
    allow_count_change: bool = False,
) -> list[Path]:
    """Download a new snapshot to raw_dir/live/<today>/ and list it; return the files written.

    The fetched list is a candidate edition: before anything is written it goes through the
    update path's checks (update.vet), so entries it drops, or a count that moves by more
    than a tenth, need the same consent as in `update`.
    """
    raw_dir = Path(raw_dir)
    # The date names a folder under data/raw, so it must be a date and nothing else.
    date = iso_date("today", today or dt.date.today())
    since = iso_date("since", since)
    folder = raw_dir / LIVE / date
    files = download(since, session or make_session(), fr_base, csl_url)
    consent = vet_list(raw_dir, files, allow_removals, allow_count_change)
    written: list[Path] = []
    if folder.exists():
        if on_disk(folder) != {rel: entry[0] for rel, entry in files.items()}:
            msg = (
                f"data/raw/{LIVE}/{date}: a snapshot of that date exists with other contents; "
                "raw files are immutable, fetch again another day or remove it by hand"
            )
            raise FetchError(msg)
    else:
        check_unlisted(raw_dir, files, folder)
        write_snapshot(folder, files)
        written = [folder / rel for rel in files]
    listed = manifest.read_manifest(raw_dir / paths.MANIFEST.name)
    for rel, (_, description, origin, licence) in files.items():
        # An identical snapshot is left alone, bar listing files a crash left unlisted.
        if (folder / rel).relative_to(raw_dir).as_posix() in listed:
            continue
        sources.add_to_manifest(
            folder / rel,
            description=description,
            origin=origin,
            licence=licence,
            retrieved=date,
            raw_dir=raw_dir,
            table=live_table(rel),
            **(consent if live_table(rel) == sources.SCREENING_LIST else {}),
        )
    return written


def vet_list(
    raw_dir: Path, files: Mapping[str, tuple], allow_removals: bool, allow_count_change: bool
) -> dict:
    """Check a fetched list against the current edition as `update` does; return the consents
    to record with it. A raw folder without every source table (the first fetch into an empty
    one) has no edition to compare with and nothing to clean."""
    if not set(sources.RAW_TABLES) <= set(manifest.current_files(raw_dir)):
        return {}
    (data, *_) = next(
        entry for rel, entry in files.items() if live_table(rel) == sources.SCREENING_LIST
    )
    report, candidates, lost = update.vet(
        {sources.SCREENING_LIST: data}, raw_dir, allow_removals, allow_count_change
    )
    if not candidates:
        return {}
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return update.consents(sources.SCREENING_LIST, report, lost, at)


def live_table(rel: str) -> str | None:
    """The source table a fetched file becomes the current file of, if any.

    A fetched screening list supersedes the one before it; the rules' metadata is the
    current live metadata; the rules' XML files are kept as evidence, no table's current file.
    """
    if rel.startswith(CSL_FILE + "."):
        return sources.SCREENING_LIST
    if rel == DOCUMENTS_FILE:
        return "fr-documents"
    return None
