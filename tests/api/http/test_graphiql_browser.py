"""GraphiQL works in a real browser with the network to the outside cut: a
headless Chromium, whose name resolution reaches 127.0.0.1 alone, loads the page from a
real `casebook serve`, runs the prefilled query with the prefilled (comment-only)
headers, then signs up and sends the bearer token; no Content-Security-Policy violation
and no failed request on the way. Skipped where no Chromium is installed (Debian:
`apt-get install chromium`)."""
from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ON_POSTGRES
from tests.support.live_server import free_port, serving, wait_for

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(name)), None)
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed"),
    pytest.mark.skipif(ON_POSTGRES, reason="runs its own SQLite server; once per CI run is enough"),
]


@pytest.fixture
def server(tmp_path):
    with serving(tmp_path) as base_url:
        yield base_url


class Browser:
    """Just enough of the Chrome DevTools protocol: evaluate, and collect the console,
    CSP reports and failed requests."""

    def __init__(self, websocket) -> None:  # noqa: ANN001
        self.ws, self.next_id, self.events = websocket, 0, []

    async def call(self, method: str, **params) -> dict:
        self.next_id += 1
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("id") == self.next_id:
                return message.get("result", {})
            self.events.append(message)

    async def evaluate(self, expression: str):  # noqa: ANN201
        result = await self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        return result.get("result", {}).get("value")

    async def until(self, expression: str, seconds: float = 20):  # noqa: ANN201
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.2)
        raise TimeoutError(expression)


RESULT = "(() => { const r = document.querySelector('.graphiql-response .CodeMirror');" \
         " return r && r.CodeMirror.getValue(); })()"


def set_editor(selector: str, text: str) -> str:
    return f"document.querySelector({json.dumps(selector)}).CodeMirror.setValue({json.dumps(text)})"


async def drive(url: str, profile: Path) -> tuple[list, str, str]:
    import websockets

    debug_port = free_port()
    chromium = subprocess.Popen([
        CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
        f"--user-data-dir={profile}", f"--remote-debugging-port={debug_port}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{debug_port}/json/version")
        with urllib.request.urlopen(f"http://127.0.0.1:{debug_port}/json/list") as response:
            target = next(t for t in json.load(response) if t["type"] == "page")
        async with websockets.connect(target["webSocketDebuggerUrl"], max_size=None) as websocket:
            browser = Browser(websocket)
            for domain in ("Runtime", "Log", "Network", "Page"):
                await browser.call(f"{domain}.enable")
            await browser.call("Page.navigate", url=f"{url}/graphql")
            await browser.until("!!document.querySelector('.graphiql-execute-button')")
            await browser.until("document.querySelector('.graphiql-editor-tool .CodeMirror') !== null")
            await browser.evaluate("document.querySelector('.graphiql-execute-button').click()")
            catalog = await browser.until(f"(() => {{ const v = {RESULT}; return v && v.includes('currency') && v; }})()")
            sign_up = ('mutation { signUp(input: {email: "browser@example.org", password: "correct horse 42", '
                       'name: "B", accountName: "B"}) { accessToken } }')
            await browser.evaluate(set_editor(".graphiql-query-editor .CodeMirror", sign_up))
            await browser.evaluate("document.querySelector('.graphiql-execute-button').click()")
            token = json.loads(await browser.until(
                f"(() => {{ const v = {RESULT}; return v && v.includes('accessToken') && v; }})()"))
            token = token["data"]["signUp"]["accessToken"]
            headers = f'// signed in\n{{"Authorization": "Bearer {token}"}}'
            await browser.evaluate(
                "(() => { const editors = document.querySelectorAll('.graphiql-editor-tool .CodeMirror');"
                f" editors[editors.length - 1].CodeMirror.setValue({json.dumps(headers)}); }})()")
            await browser.evaluate(set_editor(".graphiql-query-editor .CodeMirror", "{ me { user { email } } }"))
            await browser.evaluate("document.querySelector('.graphiql-execute-button').click()")
            me = await browser.until(f"(() => {{ const v = {RESULT}; return v && v.includes('browser@') && v; }})()")
            await asyncio.sleep(0.5)
            await browser.call("Runtime.evaluate", expression="1")  # drain pending events
            return browser.events, catalog, me
    finally:
        chromium.terminate()
        chromium.wait(timeout=20)


def test_graphiql_runs_queries_with_the_token_and_breaks_no_policy(server, tmp_path):
    events, catalog, me = asyncio.run(drive(server, tmp_path / "profile"))
    assert json.loads(catalog)["data"]["catalog"]["currency"] == "EUR"
    assert json.loads(me)["data"]["me"]["user"]["email"] == "browser@example.org"
    problems = [event for event in events
                if event.get("method") == "Network.loadingFailed"
                or (event.get("method") == "Log.entryAdded" and event["params"]["entry"]["level"] == "error")
                or (event.get("method") == "Runtime.consoleAPICalled" and event["params"]["type"] == "error")
                or "Content Security Policy" in json.dumps(event)]
    assert problems == []
    requested = {event["params"]["request"]["url"] for event in events
                 if event.get("method") == "Network.requestWillBeSent"}
    assert requested and all(url.startswith(server) or url.startswith("data:") for url in requested), requested
