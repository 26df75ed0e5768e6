"""Swagger UI at /v1/ui/ in a real browser: headless Chromium driven through chromedriver.

Debian's chromium and chromium-driver, built from one source, so their versions always match;
`make test` installs them as root (the Makefile's `browser` target). Without them these tests
fail, saying what to install, rather than skip. The UI does not depend on the engine: SQLite only.
"""

import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from connexion.spec import Specification
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as shown
from selenium.webdriver.support.ui import WebDriverWait

from server_impl.api.app import SPEC_PATH
from server_impl.api.parameters import operations
from tests.support import AGENT, Served, bearer, mint_key_in_process, serve_in_thread

# Generous: every wait ends as soon as its condition holds, and the machine may be loaded.
WAIT_S = 30
CHROMIUM_FLAGS = [
    "--headless",
    # Chromium refuses to start as root (as CI runs) inside its sandbox.
    "--no-sandbox",
    "--disable-gpu",
    "--window-size=1280,2000",
    # No connections of its own (updates, sync, field trials): the machine's network is closed.
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
UPDATE = "#operations-conversations-update_conversation"
LIST = "#operations-conversations-list_conversations"


@pytest.fixture(scope="module")
def docs_server(
    tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[str], str]
) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("browser")
    running = serve_in_thread(new_database("sqlite"), folder / "server.log")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def key(docs_server: Served) -> str:
    return mint_key_in_process(docs_server.database_url)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        pytest.fail(
            "The browser tests need Debian's chromium and chromium-driver on the PATH."
            " `make test` installs them when run as root; otherwise:"
            " sudo apt-get install chromium chromium-driver",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    # Naming the driver keeps Selenium Manager, which would download one, out of it.
    driver = webdriver.Chrome(options=options, service=Service(chromedriver))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def ui(browser: WebDriver, docs_server: Served) -> WebDriver:
    """The browser, showing the UI as it first loads."""
    browser.get(f"{docs_server.api_url}/ui/")
    WebDriverWait(browser, WAIT_S).until(
        shown.presence_of_all_elements_located((By.CSS_SELECTOR, ".opblock")),
        "Swagger UI listed no operation",
    )
    return browser


@pytest.fixture(scope="module")
def authorized(ui: WebDriver, key: str) -> WebDriver:
    """The page as loaded, once the key has been given in the Authorize dialog."""
    wait = WebDriverWait(ui, WAIT_S)
    ui.find_element(By.CSS_SELECTOR, ".auth-wrapper .authorize").click()
    dialog = wait.until(shown.visibility_of_element_located((By.CSS_SELECTOR, ".modal-ux")))
    dialog.find_element(By.CSS_SELECTOR, "input[aria-label=auth-bearer-value]").send_keys(key)
    dialog.find_element(By.CSS_SELECTOR, "button.authorize").click()
    wait.until(shown.text_to_be_present_in_element((By.CSS_SELECTOR, ".modal-ux h6"), "Authorized"))
    dialog.find_element(By.CSS_SELECTOR, ".btn-done").click()
    wait.until(shown.invisibility_of_element_located((By.CSS_SELECTOR, ".modal-ux")))
    return ui


@pytest.fixture
def http(docs_server: Served, key: str) -> Iterator[httpx.Client]:
    """The API beside the browser, with the same key."""
    with httpx.Client(base_url=docs_server.api_url, headers=bearer(key), timeout=10) as client:
        yield client


def created_conversation(http: httpx.Client) -> str:
    """The id of a new conversation of AGENT, the spec's example agent."""
    created = http.post("/conversations/", params={"agent_id": AGENT}, json={})
    assert created.status_code == 200, created.text
    return str(created.json()["id"])


def try_it_out(browser: WebDriver, operation: str) -> None:
    """Opens the operation and presses its "Try it out", which fills its parameters in."""
    browser.find_element(By.CSS_SELECTOR, f"{operation} .opblock-summary-control").click()
    button = (By.CSS_SELECTOR, f"{operation} .try-out__btn")
    WebDriverWait(browser, WAIT_S).until(shown.element_to_be_clickable(button)).click()


def executed(browser: WebDriver, operation: str) -> tuple[str, str, str]:
    """Presses Execute: the status, the body and the request URL that Swagger UI shows."""
    browser.find_element(By.CSS_SELECTOR, f"{operation} button.execute").click()
    live = f"{operation} .live-responses-table"
    status = WebDriverWait(browser, WAIT_S).until(
        shown.visibility_of_element_located(
            (By.CSS_SELECTOR, f"{live} tr.response .response-col_status")
        )
    )
    body = browser.find_element(By.CSS_SELECTOR, f"{live} .highlight-code pre").text
    request_url = browser.find_element(By.CSS_SELECTOR, f"{operation} .request-url pre").text
    return status.text, body, request_url


def replace_text(field: WebElement, text: str) -> None:
    """Types text over the field's as a person would, then leaves it: React sees every key, and
    a field that passes on its value only after a pause (a debounced input) does so on blur."""
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(text, Keys.TAB)


def test_every_operation_of_the_spec_is_listed(ui: WebDriver) -> None:
    spec = Specification.load(SPEC_PATH)
    expected = {
        (f"operations-{op['tags'][0]}-{op['operationId']}", method.upper(), path)
        for path, method, op in operations(spec)
    }
    listed = {
        (
            block.get_attribute("id"),
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text,
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path"),
        )
        for block in ui.find_elements(By.CSS_SELECTOR, ".opblock")
    }
    assert listed == expected


def test_the_page_loads_everything_from_the_server_itself(
    ui: WebDriver, docs_server: Served
) -> None:
    # Swagger UI's files come with connexion's swagger-ui-bundle: no CDN, which CI cannot reach.
    loaded = ui.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert f"{docs_server.api_url}/ui/swagger-ui-bundle.js" in loaded
    assert f"{docs_server.api_url}/openapi.json" in loaded
    assert [url for url in loaded if not url.startswith(f"{docs_server.base_url}/")] == []


def test_the_servers_dropdown_offers_only_the_api_base_path(ui: WebDriver) -> None:
    # So that "Try it out" sends to /v1/... (the test below sees the URL it used).
    options = ui.find_elements(By.CSS_SELECTOR, ".servers select option")
    assert [option.get_attribute("value") for option in options] == ["/v1"]


def test_try_it_out_updates_a_conversations_summary(
    authorized: WebDriver, docs_server: Served, http: httpx.Client
) -> None:
    # The page as loaded and authorized: the other tests only read it, or try other operations.
    browser = authorized
    conversation_id = created_conversation(http)
    summary = f"Renamed in Swagger UI {uuid.uuid4()}"
    wait = WebDriverWait(browser, WAIT_S)

    try_it_out(browser, UPDATE)
    path_id = wait.until(
        shown.element_to_be_clickable(
            (By.CSS_SELECTOR, f"{UPDATE} tr[data-param-name=conversation_id] input")
        )
    )
    # Try it out fills parameters in with their examples: an If-Match example made a first
    # update answer 412 unless the user noticed and cleared it.
    if_match = browser.find_element(By.CSS_SELECTOR, f"{UPDATE} tr[data-param-name=If-Match] input")
    assert if_match.get_attribute("value") == ""
    replace_text(path_id, conversation_id)
    replace_text(
        browser.find_element(By.CSS_SELECTOR, f"{UPDATE} textarea.body-param__text"),
        json.dumps({"summary": summary}),
    )
    status, body, request_url = executed(browser, UPDATE)
    assert status == "200", body
    shown_conversation = json.loads(body)
    assert shown_conversation["id"] == conversation_id
    assert shown_conversation["summary"] == summary
    assert request_url == f"{docs_server.api_url}/conversations/{conversation_id}"

    stored = http.get(f"/conversations/{conversation_id}")
    assert stored.status_code == 200
    assert stored.json()["summary"] == summary


def test_try_it_out_lists_with_the_values_it_fills_in(
    authorized: WebDriver, docs_server: Served, http: httpx.Client
) -> None:
    # Try it out fills each parameter in with its example or default: an `after` example (a
    # conversation id no database holds) made the list answer 404 until the user cleared it.
    browser = authorized
    # The agent_id filter is filled in with the spec's example agent, which is AGENT.
    conversation_id = created_conversation(http)

    try_it_out(browser, LIST)
    status, body, request_url = executed(browser, LIST)

    assert status == "200", body
    listed = [conversation["id"] for conversation in json.loads(body)]
    assert conversation_id in listed, (request_url, listed)
    url = urlsplit(request_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{docs_server.api_url}/conversations/"
    assert parse_qs(url.query)["agent_id"] == [AGENT]
