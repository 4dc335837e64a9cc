"""`dlderive serve` as users meet it: a real uvicorn server in a subprocess, 50 concurrent checks,
the change events of the handout folder, and the pages driven in the system Chromium."""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import sympy as sp

from dlderive.serve import examples

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
pytestmark = pytest.mark.tool


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The base URL of `dlderive serve --port 0 --handouts DIR`, and DIR (a copy of the week-8 handout)."""
    folder = tmp_path_factory.mktemp("handouts")
    shutil.copy(ROOT / "derivations" / "week8.toml", folder / "week8.toml")
    process = subprocess.Popen([sys.executable, "-m", "dlderive.cli", "serve", "--port", "0", "--workers", "2",
                                "--handouts", str(folder)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        assert match, (line, process.stderr.read() if process.poll() is not None else "")
        yield match.group(1), folder
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0, process.stderr.read()


def post(base: str, path: str, data: dict, headers: dict | None = None) -> tuple[int, dict]:
    """Status and JSON of a POST; ``headers``, if given, receives the answer's headers."""
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    try:
        connection.request("POST", path, json.dumps(data), {"Content-Type": "application/json"})
        answer = connection.getresponse()
        if headers is not None:
            headers.update({k.lower(): v for k, v in answer.getheaders()})
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


def power_rule(n: int, coefficient: int) -> tuple[str, str]:
    """d/dx x^n = c x^(n-1) as written, and its verdict from sympy.diff."""
    x = sp.Symbol("x")
    holds = sp.simplify(sp.diff(x**n, x) - coefficient * x ** (n - 1)) == 0
    return f"Line one.\n\n$$\\frac{{d}}{{dx}} x^{{{n}}} = {coefficient} x^{{{n - 1}}}$$\n", \
        "valid" if holds else "invalid"


def test_fifty_concurrent_checks_all_answered_right(server):
    base, _ = server
    cases = [power_rule(2 + k % 7, 2 + k % 7 + (k % 3 == 0)) for k in range(50)]
    with ThreadPoolExecutor(max_workers=50) as threads:
        answers = list(threads.map(lambda case: post(base, "/api/check", {"text": case[0]}), cases))
    assert {status for status, _ in answers} == {200}
    verdicts = [[(r["line"], r["verdict"]) for r in report["relations"]] for _, report in answers]
    assert verdicts == [[(3, expected)] for _, expected in cases]
    assert sum(expected == "invalid" for _, expected in cases) == 17


def test_a_slow_check_does_not_hold_up_a_quick_one(server):
    """Two workers: a long document sent first is still being checked when a one-line check is answered."""
    base, _ = server
    one = (ROOT / "src" / "dlderive" / "serve" / "examples" / "lstm_hidden.md").read_text()
    finished = {}

    def check(name: str, text: str) -> tuple[int, dict]:
        answer = post(base, "/api/check", {"text": text})
        finished[name] = time.monotonic()
        return answer

    with ThreadPoolExecutor(max_workers=1) as threads:
        slow = threads.submit(check, "slow", one * 120)  # 840 relations: seconds of work
        time.sleep(0.5)  # the long document has a worker by now
        status, quick = check("quick", power_rule(4, 4)[0])
        slow_status, slow_report = slow.result()
    assert (status, [r["verdict"] for r in quick["relations"]]) == (200, ["valid"])
    assert finished["quick"] < finished["slow"]
    alone = post(base, "/api/check", {"text": one})[1]
    assert slow_status == 200 and slow_report["summary"]["relations"] == 120 * len(alone["relations"])


def raw(base: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """Status, headers and body of one request sent as given (no client-side checks or encoding)."""
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    try:
        connection.request(method, path, body, {"Content-Type": "application/json", **(headers or {})})
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


OVER_LIMIT = b"<a body of 2,000,001 bytes>"


@pytest.mark.parametrize("method, path, body, headers, status, words", [
    ("POST", "/api/check", b'{"text": "a = b"', None, 400, "not valid JSON (line 1, column"),
    ("POST", "/api/check", b'{"model": "lstm"}', None, 400, "missing field 'text'"),
    ("POST", "/api/check", b'{"text": "a", "model": "gur"}', None, 400, "unknown model 'gur'"),
    ("POST", "/api/check", b'\xff{"text": "a"}', None, 400, "not valid UTF-8 (byte 0)"),
    ("POST", "/api/derive", b'{"form": "scalar"}', None, 400, "missing field 'name'"),
    ("POST", "/api/check", OVER_LIMIT, None, 413, "request body of 2000001 bytes; the limit is 2000000 bytes"),
    ("GET", "/api/check", None, None, 405, "GET is not allowed on /api/check"),
    ("GET", "/api/handout", None, None, 405, "GET is not allowed on /api/handout"),
    ("GET", "/api/derive", None, None, 405, "GET is not allowed on /api/derive"),
    ("POST", "/api/handout", b'{"file": "../week8.toml"}', None, 404, "no handout named '../week8.toml'"),
    ("POST", "/api/handout", b'{"file": "/etc/passwd"}', None, 404, "no handout named '/etc/passwd'"),
    ("GET", "/static/../serve/app.py", None, None, 404, ""),
    ("GET", "/static/%2e%2e/app.py", None, None, 404, ""),
    ("POST", "/api/check", b'{"text": "$$1 = 1$$"}', {"Origin": "http://evil.example"}, 403, "http://evil.example is refused"),
    ("GET", "/", None, {"Host": "evil.example"}, 400, ""),
])
def test_bad_requests_to_the_real_server(server, method, path, body, headers, status, words):
    base, _ = server
    if body == OVER_LIMIT:
        body = b'{"text": "' + b"x" * (2_000_001 - 12) + b'"}'
    got, _, content = raw(base, method, path, body, headers)
    assert got == status, content[:300]
    if words:
        message = json.loads(content)["error"]
        assert words in message and "\n" not in message and "Traceback" not in message, message
    assert post(base, "/api/check", {"text": power_rule(3, 3)[0]})[1]["summary"]["valid"] == 1  # still serving


def test_a_changed_handout_file_is_announced(server):
    base, folder = server
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
    connection.request("GET", "/api/handouts/events")
    stream = connection.getresponse()
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.readline() == b"event: ready\n" and stream.readline() == b"data: []\n"  # watched from here on
    (folder / "week8.toml").write_text((folder / "week8.toml").read_text() + "\n# edited\n")
    (folder / "notes.txt").write_text("not a handout")
    line = stream.readline()
    while not line.startswith(b"data: "):  # comment lines each second until the change is seen
        line = stream.readline()
    assert json.loads(line[6:]) == ["week8.toml"]
    connection.close()


def test_a_full_queue_is_503_and_the_server_goes_on():
    process = subprocess.Popen([sys.executable, "-m", "dlderive.cli", "serve", "--port", "0", "--workers", "1",
                                "--queue", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        base = re.search(r"(http://127\.0\.0\.1:\d+)/", process.stdout.readline()).group(1)
        slow = {"text": (ROOT / "src" / "dlderive" / "serve" / "examples" / "lstm_hidden.md").read_text() * 4}
        with ThreadPoolExecutor(max_workers=3) as threads:
            def one(_):
                headers = {}
                return (headers, *post(base, "/api/check", slow, headers))

            answers = list(threads.map(one, range(3)))
        statuses = sorted(status for _, status, _ in answers)
        assert statuses[0] == 200 and statuses[-1] == 503
        refused = [(h, data) for h, status, data in answers if status == 503]
        assert all("busy" in data["error"] and h["retry-after"] == "1" for h, data in refused)
        assert post(base, "/api/check", {"text": power_rule(2, 2)[0]})[0] == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(20)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_until_opened(tmp_path, port: int) -> tuple[str, list[str]]:
    """The address `dlderive serve --open --port PORT` prints, and the URLs the browser (BROWSER) was given."""
    seen = tmp_path / "opened.txt"
    browser = tmp_path / "browser.py"
    browser.write_text(f"#!{sys.executable}\nimport sys\nopen({str(seen)!r}, 'a').write(sys.argv[1] + '\\n')\n")
    browser.chmod(0o755)
    env = {**os.environ, "BROWSER": str(browser), "DISPLAY": "", "WAYLAND_DISPLAY": ""}
    process = subprocess.Popen([sys.executable, "-m", "dlderive.cli", "serve", "--open", "--port", str(port),
                                "--workers", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = process.stdout.readline()
        deadline = time.monotonic() + 30
        while not seen.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        address = re.search(r"(http://\S+/)", line).group(1)
        connection = http.client.HTTPConnection(urlsplit(address).hostname, urlsplit(address).port, timeout=30)
        connection.request("GET", "/")
        assert connection.getresponse().status == 200  # the check page answers at the address opened
        connection.close()
        return address, seen.read_text().splitlines() if seen.exists() else []
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(20)


@pytest.mark.parametrize("port", [0, None])
def test_open_gives_the_browser_the_address_served(tmp_path, port):
    port = free_port() if port is None else port
    address, opened = serve_until_opened(tmp_path, port)
    assert opened == [address]
    assert re.fullmatch(r"http://127\.0\.0\.1:(\d+)/", address)
    assert port == 0 and int(urlsplit(address).port) > 0 or urlsplit(address).port == port


def cannot_start(*options, prefix=()) -> str:
    """The standard error of a `dlderive serve` that could not start (status 2), which must be one line."""
    done = subprocess.run([*prefix, sys.executable, "-m", "dlderive.cli", "serve", "--workers", "1", *options],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    return done.stderr


def test_a_port_in_use_is_one_line_and_status_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        message = cannot_start("--port", str(port))
    assert message.startswith(f"dlderive: error: --port {port}: already in use on 127.0.0.1") and "--port 0" in message


@pytest.mark.parametrize("host, words", [("256.1.1.1", "not an address or a name"),
                                         ("no-such-host.invalid", "not an address or a name"),
                                         ("192.0.2.1", "not an address of this machine")])  # TEST-NET-1: nobody's
def test_a_host_that_cannot_be_bound_is_one_line_and_status_2(host, words):
    message = cannot_start("--host", host, "--port", "0")
    assert message.startswith(f"dlderive: error: --host {host}: {words}")


def test_a_low_port_without_the_right_is_one_line_and_status_2():
    if os.geteuid() == 0:  # root may bind low ports: drop that one capability, as an ordinary user lacks it
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv to drop CAP_NET_BIND_SERVICE")
        prefix = (setpriv, "--bounding-set=-net_bind_service", "--inh-caps=-net_bind_service")
    else:
        prefix = ()
    if int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text()) <= 80:
        pytest.skip("this machine lets every user bind port 80")
    message = cannot_start("--port", "80", prefix=prefix)
    assert message.startswith("dlderive: error: --port 80: permission denied on 127.0.0.1") and "1024" in message


@pytest.fixture
def chromium(server, tmp_path):
    """A page of the system Chromium on the app. Every request is intercepted: one that leaves the app's
    own addresses (127.0.0.1 and localhost, its port) is aborted and recorded in ``outside``; console
    errors and warnings and uncaught exceptions are recorded in ``problems``."""
    from playwright.sync_api import sync_playwright

    base, folder = server
    netloc = urlsplit(base).netloc
    seen = SimpleNamespace(base=base, folder=folder, outside=[], problems=[], requests=[],
                           own={netloc, netloc.replace("127.0.0.1", "localhost")})

    def route(r):
        url = urlsplit(r.request.url)
        seen.requests.append(r.request.url)
        if url.scheme not in ("data", "blob", "about") and url.netloc not in seen.own:
            seen.outside.append(r.request.url)
            return r.abort()
        return r.continue_()

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM,
                                                       headless=True, args=CHROMIUM_FLAGS, accept_downloads=True)
        try:
            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: seen.problems.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: seen.problems.append(str(e)))
            seen.page, seen.context = page, context
            yield seen
        finally:
            context.close()


def shown(page) -> list[tuple[int, str]]:
    """(line, verdict) of each relation the check page lists."""
    return [tuple(v) for v in page.eval_on_selector_all(
        "#relations li", "els => els.map(e => [+e.dataset.line, e.dataset.verdict])")]


def cli_verdicts(tmp_path, text: str, model: str | None) -> list[tuple[int, str]]:
    path = tmp_path / "document.md"
    path.write_text(text, encoding="utf-8")
    command = [sys.executable, "-m", "dlderive.cli", "check", str(path), "--format", "json"] + (
        ["--model", model] if model else [])
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    return [(r["line"], r["verdict"]) for r in json.loads(done.stdout)["relations"]]


def test_check_page_in_chromium(chromium, tmp_path):
    from playwright.sync_api import expect

    page, base = chromium.page, chromium.base
    page.goto(base + "/")
    source = page.locator("#source")
    source.click()
    source.press_sequentially("Our claim.\n\n$$\\frac{d}{dx} x^3 = 2x^2$$\n", delay=5)  # by hand: 3x^2
    wrong = page.locator('#relations li[data-line="3"]')
    expect(wrong).to_have_attribute("data-verdict", "invalid", timeout=30_000)
    expect(wrong.locator(".mark")).to_have_text("✗")
    expect(wrong).to_contain_text("counterexample")
    expect(wrong).to_contain_text("first wrong step")
    expect(wrong.locator("math")).to_have_count(1)
    expect(page.locator("#lines .src.first-wrong")).to_have_attribute("data-line", "3")
    expect(page.locator('#lines .src[data-line="3"] .marks')).to_have_text("✗ ")

    source.fill("Our claim.\n\n$$\\frac{d}{dx} x^3 = 3x^2$$\n")
    right = page.locator('#relations li[data-line="3"]')
    expect(right).to_have_attribute("data-verdict", "valid", timeout=30_000)
    expect(right.locator(".mark")).to_have_text("✓")
    expect(page.locator("#lines .src.first-wrong")).to_have_count(0)

    page.reload()  # the text is kept in the browser
    expect(page.locator("#source")).to_have_value("Our claim.\n\n$$\\frac{d}{dx} x^3 = 3x^2$$\n")
    expect(page.locator('#relations li[data-line="3"]')).to_have_attribute("data-verdict", "valid", timeout=30_000)

    # a built-in cell: h_t = o_t ∘ tanh(c_t), so by hand ∂h_t/∂o_t = tanh(c_t), not σ(c_t)
    lstm = "$$\\frac{\\partial h_t}{\\partial o_t} = \\tanh(c_t)$$\n\n$$\\frac{\\partial h_t}{\\partial o_t} = \\sigma(c_t)$$\n"
    page.select_option("#model", "lstm")
    source.fill(lstm)
    expect(page.locator('#relations li[data-line="3"]')).to_have_attribute("data-verdict", "invalid", timeout=30_000)
    assert shown(page) == [(1, "valid"), (3, "invalid")]
    page.select_option("#model", "")  # without the cell, h_t is a quantity the text never defines
    expect(page.locator('#relations li[data-line="1"]')).to_have_attribute("data-verdict", "unverifiable",
                                                                            timeout=30_000)

    page.set_input_files("#cellfile", str(ROOT / "docs" / "cells" / "mgu.toml"))  # a cell TOML chosen by the user
    page.select_option("#model", "@cell")
    expect(page.locator("#cellname")).to_have_text("cell: mgu")
    source.fill("$$\\frac{\\partial h_t}{\\partial u_t} = f_t$$\n")  # by hand: h_t = (1 - f_t) h + f_t u_t
    expect(page.locator('#relations li[data-line="1"]')).to_have_attribute("data-verdict", "valid", timeout=30_000)
    page.select_option("#model", "")

    page.select_option("#example", "unreadable")
    unread = page.locator('#relations li[data-line="6"]')
    expect(unread).to_have_attribute("data-verdict", "unverifiable", timeout=30_000)
    caret = page.locator("#lines .caret")
    expect(caret).to_contain_text("^ cannot read from here")
    assert page.locator("#lines .src").nth(5).get_attribute("data-line") == "6"  # the caret row follows line 6
    assert caret.evaluate("e => e.previousElementSibling.dataset.line") == "6"

    sample = examples.EXAMPLES.get("week8_homework")
    if sample is not None:  # the week-8 homework from the examples menu, as `dlderive check --model lstm` judges it
        expected = cli_verdicts(tmp_path, sample.text(), "lstm")
        page.select_option("#example", "week8_homework")
        expect(page.locator("#model")).to_have_value("lstm")
        expect(page.locator("#relations li")).to_have_count(len(expected), timeout=120_000)
        assert shown(page) == expected and any(verdict == "invalid" for _, verdict in expected)

    page.select_option("#example", "lstm_hidden")  # the shipped week-8 example: tanh' written wrong on line 25
    expect(page.locator('#relations li[data-line="25"]')).to_have_attribute("data-verdict", "invalid", timeout=60_000)

    dropped = "Dropped file.\n\n$$\\frac{d}{dx} x^4 = 4x^3$$\n\n$$\\frac{d}{dx} x^4 = 3x^3$$\n"  # by hand: 4x^3
    transfer = page.evaluate_handle("text => { const t = new DataTransfer(); "
                                    "t.items.add(new File([text], 'homework.md', {type: 'text/markdown'})); return t; }",
                                    dropped)
    page.dispatch_event("#source", "drop", {"dataTransfer": transfer})
    expect(page.locator("#source")).to_have_value(dropped)
    expect(page.locator('#relations li[data-line="5"]')).to_have_attribute("data-verdict", "invalid", timeout=30_000)
    assert shown(page) == [(3, "valid"), (5, "invalid")]
    expect(page.locator('#relations li[data-line="5"] .mark')).to_have_text("✗")

    latex = ("\\documentclass{article}\\begin{document}\nWe expand.\n\\begin{align*}\n(x+1)^2 &= x^2 + 2x + 1 \\\\\n"
             "&= x^2 + 1\n\\end{align*}\n\\end{document}\n")  # pasted LaTeX: by hand the second step drops 2x
    source.fill(latex)
    expect(page.locator('#relations li[data-line="4"]')).to_have_attribute("data-verdict", "valid", timeout=30_000)
    assert shown(page) == [(4, "valid"), (5, "invalid")]
    expect(page.locator("#lines .src.first-wrong")).to_have_attribute("data-line", "5")

    assert any(u.endswith("/api/check/view") for u in chromium.requests)
    assert chromium.problems == [] and chromium.outside == []
    from playwright.sync_api import Error as BrowserError

    with pytest.raises(BrowserError):  # the interception is real: a request out is caught and aborted
        page.goto("http://example.com/font.woff2")
    assert chromium.outside == ["http://example.com/font.woff2"]


class _ForeignSite(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<p>another site</p>")

    def log_message(self, *args):
        pass


def test_a_page_of_another_origin_cannot_post(chromium):
    """A page of another site on this machine posts to the app, as a form or a no-cors fetch can: refused (403)."""
    page, base = chromium.page, chromium.base
    site = ThreadingHTTPServer(("127.0.0.1", 0), _ForeignSite)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    foreign = f"http://127.0.0.1:{site.server_port}/"
    chromium.own.add(urlsplit(foreign).netloc)
    try:
        other = chromium.context.new_page()  # its console is the other site's, not the app's
        other.goto(foreign)
        with other.expect_response(base + "/api/check") as refused:
            other.evaluate("url => fetch(url, {method: 'POST', mode: 'no-cors', headers: {'Content-Type': 'text/plain'},"
                           " body: JSON.stringify({text: '$$1 + 1 = 2$$'})}).catch(() => null)", base + "/api/check")
        assert refused.value.status == 403
        other.close()
    finally:
        site.shutdown()
    page.goto(base + "/")  # the same POST from the app's own page is answered
    answer = page.evaluate("url => fetch(url, {method: 'POST', headers: {'Content-Type': 'text/plain'},"
                           " body: JSON.stringify({text: '$$1 + 1 = 2$$'})}).then(r => r.json())", base + "/api/check")
    assert answer["summary"]["valid"] == 1
    assert chromium.problems == [] and chromium.outside == []


def test_handout_page_in_chromium(chromium, tmp_path):
    from playwright.sync_api import expect

    from dlderive.export import render
    from dlderive.handout import build_document, load

    page, base, folder = chromium.page, chromium.base, chromium.folder
    handout = folder / "week8.toml"

    def built(fmt: str = "html", answers: bool = True, seed: int | None = None) -> str:
        doc = build_document(load(handout), seed=seed, answers=answers)
        return render(doc, fmt, doc.notation)

    page.goto(base + "/handout")
    preview = page.frame_locator("#preview")
    expect(preview.locator("h1")).to_have_text("Week 8 Homework: LSTM derivatives and convolution arithmetic",
                                               timeout=30_000)
    expect(page.locator("body")).to_have_attribute("data-watching", "yes", timeout=30_000)
    # saved as an editor saves: written beside it, then moved into place (a rebuild never reads half a file)
    partial = folder / ".week8.partial"
    partial.write_text(handout.read_text().replace('title = "Week 8 Homework:', 'title = "Week 8 (edited):', 1))
    os.replace(partial, handout)
    expect(preview.locator("h1")).to_have_text("Week 8 (edited): LSTM derivatives and convolution arithmetic",
                                               timeout=30_000)
    assert page.locator("#preview").get_attribute("srcdoc") == built()  # the answer key, rebuilt from disk

    page.check("input[value=student]")
    expect(preview.locator("body")).to_contain_text("Your answer:", timeout=30_000)
    expect(page.locator("#status")).to_contain_text("Built", timeout=30_000)
    assert page.locator("#preview").get_attribute("srcdoc") == built(answers=False)
    page.fill("#seed", "3")
    page.locator("#seed").dispatch_event("change")
    student = built(answers=False, seed=3)
    assert student != built(answers=False)  # the seed draws other values
    page.wait_for_function("expected => document.getElementById('preview').srcdoc === expected", arg=student,
                           timeout=30_000)

    for fmt, name in (("tex", "latex"), ("md", "markdown"), ("html", "html")):
        with page.expect_download(timeout=60_000) as download:
            page.click(f"button[data-format={fmt}]")
        assert download.value.suggested_filename == f"week8.{fmt}"
        assert Path(download.value.path()).read_text(encoding="utf-8") == built(name, answers=False, seed=3)
    if shutil.which("pdflatex") and shutil.which("pdftotext"):
        with page.expect_download(timeout=300_000) as download:
            page.click("button[data-format=pdf]")
        assert download.value.suggested_filename == "week8.pdf"
        text = subprocess.run(["pdftotext", download.value.path(), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "Week 8 (edited)" in text

    page.select_option("#file", "@pasted")  # a pasted handout
    pasted = (ROOT / "derivations" / "conv_drill.toml").read_text()
    page.fill("#toml", pasted)
    doc = build_document(load(ROOT / "derivations" / "conv_drill.toml"), seed=3, answers=False)
    page.wait_for_function("expected => document.getElementById('preview').srcdoc === expected",
                           arg=render(doc, "html", doc.notation), timeout=30_000)
    assert chromium.problems == [] and chromium.outside == []
