"""The live clients against a local HTTP server that replays responses in the real formats.

Nothing here touches the network: the Federal Register and trade.gov are played by
pytest-httpserver on localhost, serving the fixtures in tests/fixtures/fetch (see its README)
and the real screening-list rows of tests/fixtures/csl, laid out as trade.gov's JSON.
"""

import hashlib
import json
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import requests
import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bench.csl import as_trade_gov_json
from conftest import free_port, tree
from entitylist import config
from entitylist.data import csl, fetch, manifest, parsers
from entitylist.errors import FetchError, ParameterError

FIXTURES = Path(__file__).parent / "fixtures" / "fetch"
RULE_XML = FIXTURES / "fr-rule-2023-03929.xml"
CSL_CSV = Path(__file__).parent / "fixtures" / "csl" / "csl-sample-2019.csv"
# trade.gov's JSON of the sample's 115 real rows, indented as no serialiser here would write it.
CSL_JSON = json.dumps(
    json.loads(as_trade_gov_json(pd.read_csv(CSL_CSV, dtype=str, keep_default_na=False))),
    indent=3,
    ensure_ascii=False,
).encode("utf-8")
LIVE_FR = "https://www.federalregister.gov"
XML_PATH = "/documents/full_text/xml/2023/02/27/2023-03929.xml"
CSL_PATH = "/downloadable_consolidated_screening_list/v1/consolidated.json"
TODAY = "2026-11-29"
OFFLINE = "`make render` works offline from data/raw"

EMPTY_MANIFEST = '{"format": 2, "current": {}, "files": []}\n'


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep requests to localhost on this machine even where a proxy is configured."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def session() -> requests.Session:
    """A session as in production but with no backoff sleeps and short timeouts."""
    return fetch.make_session(backoff_factor=0, timeout=(2, 2))


def local(httpserver: HTTPServer, url: str) -> str:
    """Point a www.federalregister.gov URL of a recorded response at the local server."""
    return url.replace(LIVE_FR, httpserver.url_for("/").rstrip("/"))


def recorded_pages(httpserver: HTTPServer) -> list[dict]:
    """The two recorded documents.json pages, their URLs pointed at the local server."""
    pages = []
    for name in ("fr-documents-page1.json", "fr-documents-page2.json"):
        page = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        for key in ("next_page_url", "previous_page_url"):
            if key in page:
                page[key] = local(httpserver, page[key])
        for document in page["results"]:
            document["full_text_xml_url"] = local(httpserver, document["full_text_xml_url"])
        pages.append(page)
    return pages


def serve_search(httpserver: HTTPServer, pages: list[dict]) -> None:
    """Answer documents.json with page N of pages when asked for page=N (page 1 by default)."""

    def answer(request: Request) -> Response:
        page = pages[int(request.args.get("page", "1")) - 1]
        return Response(json.dumps(page), content_type="application/json; charset=utf-8")

    httpserver.expect_request("/api/v1/documents.json").respond_with_handler(answer)


def serve_refresh(httpserver: HTTPServer, xml: bytes, csl: bytes) -> dict:
    """Serve a one-page search for 2023-03929, its full text and the CSL; return URLs."""
    page = recorded_pages(httpserver)[1]
    page.update(count=1, total_pages=1)
    page.pop("previous_page_url")
    serve_search(httpserver, [page])
    httpserver.expect_request(XML_PATH).respond_with_data(xml, content_type="application/xml")
    httpserver.expect_request(CSL_PATH).respond_with_data(csl, content_type="application/json")
    return {"fr_base": httpserver.url_for("/api/v1"), "csl_url": httpserver.url_for(CSL_PATH)}


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    """An empty raw folder with an empty manifest."""
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "manifest.json").write_text(EMPTY_MANIFEST, encoding="utf-8")
    return folder


# --- Federal Register search ---------------------------------------------------------------


def test_search_follows_next_page_url(httpserver: HTTPServer, session: requests.Session) -> None:
    serve_search(httpserver, recorded_pages(httpserver))
    documents = fetch.search_entity_list_rules(
        "2016-01-01", session, httpserver.url_for("/api/v1")
    )
    assert [d["document_number"] for d in documents] == ["2019-10616", "2019-22210", "2023-03929"]
    assert documents[1]["citation"] == "84 FR 54002"
    assert documents[1]["title"] == "Addition of Certain Entities to the Entity List"
    assert len(httpserver.log) == 2
    first, second = (request.args for request, _ in httpserver.log)
    assert first.getlist("conditions[agencies][]") == ["industry-and-security-bureau"]
    assert first["conditions[term]"] == '"entity list"'
    assert first.getlist("conditions[type][]") == ["RULE"]
    assert first["conditions[publication_date][gte]"] == "2016-01-01"
    assert (first["per_page"], first["order"]) == ("100", "oldest")
    assert first.getlist("fields[]") == list(fetch.FR_FIELDS)
    assert "page" not in first
    assert second["page"] == "2"  # the query of page 2 is the one in next_page_url


def test_search_with_no_matches_is_empty(
    httpserver: HTTPServer, session: requests.Session
) -> None:
    # The API leaves out "results" altogether when nothing matches.
    serve_search(httpserver, [{"count": 0, "description": "Documents matching ..."}])
    assert (
        fetch.search_entity_list_rules("2030-01-01", session, httpserver.url_for("/api/v1")) == []
    )


def test_search_refuses_a_short_read(httpserver: HTTPServer, session: requests.Session) -> None:
    first = recorded_pages(httpserver)[0]
    first.pop("next_page_url")  # the API counted 3 but only page 1 arrives
    serve_search(httpserver, [first])
    with pytest.raises(FetchError, match="2 documents read, the API counted 3"):
        fetch.search_entity_list_rules("2016-01-01", session, httpserver.url_for("/api/v1"))


def test_search_refuses_a_document_number_that_is_a_path(
    httpserver: HTTPServer, session: requests.Session
) -> None:
    # The number becomes a file name under data/raw; it must never climb out of it.
    pages = recorded_pages(httpserver)
    pages[1]["results"][0]["document_number"] = "../../manifest"
    serve_search(httpserver, pages)
    with pytest.raises(FetchError, match="'../../manifest' is not an FR number"):
        fetch.search_entity_list_rules("2016-01-01", session, httpserver.url_for("/api/v1"))


def test_search_names_a_missing_field(httpserver: HTTPServer, session: requests.Session) -> None:
    pages = recorded_pages(httpserver)
    del pages[0]["results"][1]["citation"]
    serve_search(httpserver, pages)
    with pytest.raises(FetchError, match="document '2019-22210' lacks 'citation'"):
        fetch.search_entity_list_rules("2016-01-01", session, httpserver.url_for("/api/v1"))


def test_full_text_is_the_bytes_served(httpserver: HTTPServer, session: requests.Session) -> None:
    httpserver.expect_request(XML_PATH).respond_with_data(RULE_XML.read_bytes())
    xml = fetch.fetch_full_text(httpserver.url_for(XML_PATH), session)
    assert xml == RULE_XML.read_bytes()
    assert len(parsers.parse_rule_entries(xml)) == 13


# --- retries, timeouts and plain errors ----------------------------------------------------


def test_retry_succeeds_after_a_503(httpserver: HTTPServer, session: requests.Session) -> None:
    httpserver.expect_oneshot_request(CSL_PATH).respond_with_data("busy", status=503)
    httpserver.expect_request(CSL_PATH).respond_with_data(CSL_JSON)
    assert fetch.fetch_csl(httpserver.url_for(CSL_PATH), session) == CSL_JSON
    assert [response.status_code for _, response in httpserver.log] == [503, 200]


def test_retry_after_429_honours_retry_after(
    httpserver: HTTPServer, session: requests.Session
) -> None:
    httpserver.expect_oneshot_request(CSL_PATH).respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"}
    )
    httpserver.expect_request(CSL_PATH).respond_with_data(CSL_JSON)
    started = time.monotonic()
    assert fetch.fetch_csl(httpserver.url_for(CSL_PATH), session) == CSL_JSON
    # backoff_factor is 0 here, so any wait is the server's Retry-After.
    assert time.monotonic() - started >= 0.9
    assert [response.status_code for _, response in httpserver.log] == [429, 200]


def test_retry_budget_exhausted_is_a_fetch_error(
    httpserver: HTTPServer, session: requests.Session
) -> None:
    httpserver.expect_request(CSL_PATH).respond_with_data("down", status=503)
    with pytest.raises(FetchError) as caught:
        fetch.fetch_csl(httpserver.url_for(CSL_PATH), session)
    assert str(caught.value) == (
        f"localhost kept failing (too many 503 error responses) after 4 retries; {OFFLINE}"
    )
    assert len(httpserver.log) == 5  # the first try and 4 retries


def test_client_error_is_not_retried(httpserver: HTTPServer, session: requests.Session) -> None:
    httpserver.expect_request(XML_PATH).respond_with_data("no such document", status=404)
    with pytest.raises(FetchError, match=r"^localhost answered HTTP 404 NOT FOUND for http://"):
        fetch.fetch_full_text(httpserver.url_for(XML_PATH), session)
    assert len(httpserver.log) == 1


def test_connection_refused_is_one_plain_line(session: requests.Session) -> None:
    url = f"http://127.0.0.1:{free_port()}/api/v1"
    with pytest.raises(FetchError) as caught:
        fetch.search_entity_list_rules("2016-01-01", session, url)
    assert str(caught.value) == f"cannot reach 127.0.0.1 (connection refused); {OFFLINE}"
    # No chained urllib3 traceback: the message is the whole story.
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_dns_failure_says_so(monkeypatch: pytest.MonkeyPatch, session: requests.Session) -> None:
    def no_dns(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)  # also keeps this test off the network
    with pytest.raises(FetchError) as caught:
        fetch.search_entity_list_rules("2016-01-01", session)
    assert str(caught.value) == (
        f"cannot reach www.federalregister.gov (DNS lookup failed; offline?); {OFFLINE}"
    )


def test_read_timeout_is_a_plain_fetch_error(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.3)
        return Response("late")

    httpserver.expect_request(CSL_PATH).respond_with_handler(slow)
    impatient = fetch.make_session(retries=0, timeout=(2, 0.05))
    with pytest.raises(FetchError) as caught:
        fetch.fetch_csl(httpserver.url_for(CSL_PATH), impatient)
    assert (
        str(caught.value) == f"cannot reach localhost (timed out waiting for an answer); {OFFLINE}"
    )


def test_production_session_settings() -> None:
    adapter = fetch.make_session().get_adapter(fetch.FR_BASE)
    retry = adapter.max_retries
    assert adapter.timeout == (10, 60)
    assert (retry.total, retry.backoff_factor) == (4, 1)
    assert set(retry.status_forcelist) == {429, 500, 502, 503, 504}
    assert retry.respect_retry_after_header


# --- refresh -------------------------------------------------------------------------------


def test_refresh_writes_a_listed_snapshot(
    httpserver: HTTPServer, session: requests.Session, raw: Path
) -> None:
    urls = serve_refresh(httpserver, RULE_XML.read_bytes(), CSL_JSON)
    written = fetch.refresh(raw, session=session, today=TODAY, **urls)
    snapshot = raw / "live" / TODAY
    assert sorted(p.relative_to(snapshot).as_posix() for p in written) == [
        "consolidated.json",
        "fr-documents.json",
        "fr-xml/2023-03929.xml",
    ]
    assert set(tree(raw)) == {"manifest.json"} | {f"live/{TODAY}/{rel}" for rel in tree(snapshot)}
    assert (snapshot / "fr-xml/2023-03929.xml").read_bytes() == RULE_XML.read_bytes()
    documents = json.loads((snapshot / "fr-documents.json").read_text(encoding="utf-8"))
    assert [d["citation"] for d in documents] == ["88 FR 12170"]
    assert list(documents[0]) == sorted(documents[0])  # stable key order
    # The screening list is stored as served: every byte, every list, no re-serialisation.
    assert (snapshot / "consolidated.json").read_bytes() == CSL_JSON

    entries = manifest.read_manifest(raw / "manifest.json")
    assert manifest.verify_manifest(raw) == 3
    xml_entry = entries[f"live/{TODAY}/fr-xml/2023-03929.xml"]
    assert xml_entry["origin"] == httpserver.url_for(XML_PATH)
    assert xml_entry["licence"] == "US government work, public domain (17 U.S.C. 105)"
    assert xml_entry["retrieved"] == TODAY
    assert "88 FR 12170" in xml_entry["description"]
    csl_entry = entries[f"live/{TODAY}/consolidated.json"]
    assert csl_entry["licence"] == "US government data (trade.gov), public domain"
    assert csl_entry["origin"] == urls["csl_url"]
    assert csl_entry["sha256"] == hashlib.sha256(CSL_JSON).hexdigest()
    assert "115 listed parties, 22 of them from the Entity List" in csl_entry["description"]
    assert entries[f"live/{TODAY}/fr-documents.json"]["origin"].startswith(urls["fr_base"])


def test_refresh_records_the_words_of_dictionary_yaml_filled_from_the_download(
    httpserver: HTTPServer,
    session: requests.Session,
    raw: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = yaml.safe_load(config.DICTIONARY.read_text(encoding="utf-8"))
    said = document["sources"]["fetched"]
    said["screening_list"] = "The list as trade.gov served it: {entries} of {parties} parties"
    said["rule_text"] = "Rule {citation} ({published})"
    said["rules_licence"] = "Public domain: a US government work"
    edited = tmp_path / "dictionary.yaml"
    edited.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(config, "DICTIONARY", edited)
    urls = serve_refresh(httpserver, RULE_XML.read_bytes(), CSL_JSON)
    fetch.refresh(raw, session=session, today=TODAY, **urls)
    entries = manifest.read_manifest(raw / "manifest.json")
    csl_entry = entries[f"live/{TODAY}/consolidated.json"]
    assert csl_entry["description"] == "The list as trade.gov served it: 22 of 115 parties"
    xml_entry = entries[f"live/{TODAY}/fr-xml/2023-03929.xml"]
    assert xml_entry["description"].startswith("Rule 88 FR 12170 (")
    assert xml_entry["licence"] == "Public domain: a US government work"


def test_refresh_keeps_trade_gov_csv_as_csv(
    httpserver: HTTPServer, session: requests.Session, raw: Path
) -> None:
    urls = serve_refresh(httpserver, RULE_XML.read_bytes(), CSL_CSV.read_bytes())
    fetch.refresh(raw, session=session, today=TODAY, **urls)
    stored = raw / "live" / TODAY / "consolidated.csv"
    assert stored.read_bytes() == CSL_CSV.read_bytes()
    # Stored either way, the list reads to the same Entity List table.
    from_json = csl.entity_list(csl.read(CSL_JSON, "consolidated.json"))
    pd.testing.assert_frame_equal(csl.entity_list(csl.read(stored.read_bytes(), "csv")), from_json)


def test_refresh_twice_on_one_day_changes_nothing(
    httpserver: HTTPServer, session: requests.Session, raw: Path
) -> None:
    urls = serve_refresh(httpserver, RULE_XML.read_bytes(), CSL_JSON)
    fetch.refresh(raw, session=session, today=TODAY, **urls)
    before = tree(raw)
    assert fetch.refresh(raw, session=session, today=TODAY, **urls) == []
    assert tree(raw) == before


def test_refresh_refuses_to_rewrite_a_snapshot(
    httpserver: HTTPServer, session: requests.Session, raw: Path
) -> None:
    urls = serve_refresh(httpserver, RULE_XML.read_bytes(), CSL_JSON)
    fetch.refresh(raw, session=session, today=TODAY, **urls)
    before = tree(raw)
    httpserver.clear()
    fewer_rows = doctored_csl(lambda results: results[:-2])
    serve_refresh(httpserver, RULE_XML.read_bytes(), fewer_rows)
    with pytest.raises(FetchError, match=f"live/{TODAY}: a snapshot of that date exists"):
        fetch.refresh(raw, session=session, today=TODAY, **urls)
    assert tree(raw) == before


def doctored_csl(change: Callable[[list[dict]], list[dict]]) -> bytes:
    """The served JSON with its results changed."""
    document = json.loads(CSL_JSON)
    document["results"] = change(document["results"])
    return json.dumps(document).encode()


def without_source(results: list[dict]) -> list[dict]:
    """The results, the fourth without its 'source' key."""
    del results[3]["source"]
    return results


@pytest.mark.parametrize(
    ("xml", "csl", "message"),
    [
        pytest.param(
            RULE_XML.read_bytes()[:20_000],
            CSL_JSON,
            "Federal Register 2023-03929: rule XML: not well-formed",
            id="truncated XML",
        ),
        pytest.param(
            RULE_XML.read_bytes(),
            doctored_csl(without_source),
            r"consolidated\.json: results\[3\], key 'source': field required",
            id="CSL result without its source",
        ),
        pytest.param(
            RULE_XML.read_bytes(),
            doctored_csl(lambda results: [r for r in results if r["source"] != csl.EL_SOURCE]),
            "no rows from the 'Entity List",
            id="CSL without Entity List rows",
        ),
        pytest.param(
            RULE_XML.read_bytes(),
            CSL_JSON[: len(CSL_JSON) // 2],
            r"consolidated\.json: not valid JSON \(",
            id="CSL cut off mid-download",
        ),
        pytest.param(
            RULE_XML.read_bytes(),
            pd.read_csv(CSL_CSV, dtype=str).drop(columns="addresses").to_csv(index=False).encode(),
            r"consolidated\.json: not the screening list's CSV: column 'addresses' missing",
            id="CSV without a column",
        ),
    ],
)
def test_failed_validation_leaves_raw_untouched(
    httpserver: HTTPServer,
    session: requests.Session,
    raw: Path,
    xml: bytes,
    csl: bytes,
    message: str,
) -> None:
    urls = serve_refresh(httpserver, RULE_XML.read_bytes(), CSL_JSON)
    fetch.refresh(raw, session=session, today="2026-11-28", **urls)  # the previous snapshot
    before = tree(raw)
    httpserver.clear()
    serve_refresh(httpserver, xml, csl)
    with pytest.raises(FetchError, match=message):
        fetch.refresh(raw, session=session, today=TODAY, **urls)
    assert tree(raw) == before
    assert not (raw / "live" / TODAY).exists()


def test_unreachable_source_leaves_raw_untouched(session: requests.Session, raw: Path) -> None:
    before = tree(raw)
    closed = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(FetchError, match=r"^cannot reach 127\.0\.0\.1 \(connection refused\)"):
        fetch.refresh(
            raw, session=session, fr_base=f"{closed}/api/v1", csl_url=closed, today=TODAY
        )
    assert tree(raw) == before


@pytest.mark.parametrize(("name", "value"), [("today", "../x"), ("since", "last year")])
def test_refresh_rejects_dates_that_are_not_dates(raw: Path, name: str, value: str) -> None:
    # Checked before any request: the session would fail if one were sent.
    with pytest.raises(ParameterError, match=f"^{name}='{value}': not a date as YYYY-MM-DD$"):
        fetch.refresh(raw, session=None, fr_base="http://127.0.0.1:9", **{name: value})
    assert tree(raw) == {"manifest.json": EMPTY_MANIFEST.encode()}


def test_a_fetched_list_that_drops_an_entry_goes_through_the_update_checks(
    httpserver: HTTPServer, session: requests.Session, raw_copy: Path
) -> None:
    # The finding: `make fetch` made a new edition current without update's checks.
    from entitylist.data import sources

    current = manifest.current(sources.SCREENING_LIST, raw_copy)
    document = json.loads(current.read_bytes())
    el = document["tables"]["sources"].index(csl.EL_SOURCE)
    gone = next(e for e in document["entries"] if e["s"] == el and e.get("c") == ["AF"])
    document["entries"].remove(gone)
    urls = serve_refresh(httpserver, RULE_XML.read_bytes(), json.dumps(document).encode())
    before = tree(raw_copy)
    with pytest.raises(Exception, match=rf"(?s)- {gone['n']} \| AF \| .*--allow-removals"):
        fetch.refresh(raw_copy, session=session, today=TODAY, **urls)
    assert tree(raw_copy) == before

    written = fetch.refresh(raw_copy, session=session, today=TODAY, allow_removals=True, **urls)
    fetched = next(p for p in written if p.name == "consolidated.json")
    assert manifest.current(sources.SCREENING_LIST, raw_copy) == fetched
    entry = manifest.read_manifest(raw_copy / "manifest.json")[
        fetched.relative_to(raw_copy).as_posix()
    ]
    (removed,) = entry["removals_confirmed"]["rows"]
    assert removed.startswith(f"{gone['n']} | AF | ")
    manifest.verify_manifest(raw_copy)
