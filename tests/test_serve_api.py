"""The web app's API through Starlette's test client: the check answers what `dlderive check --format
json` prints, derivations and handouts are those of the library, bad input is refused with one line."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from dlderive import catalog, derive
from dlderive.export import render
from dlderive.handout import build_document, load
from dlderive.serve import examples
from dlderive.serve.app import MAX_BODY, Settings, create_app
from dlderive.serve.pool import Busy, Overrun, WorkerFailed, WorkerPool

ROOT = Path(__file__).resolve().parents[1]
MGU = ROOT / "docs" / "cells" / "mgu.toml"
ONE_WRONG = "$$\\frac{d}{dx} x^2 = 3x$$\n"
ONE_RIGHT = "$$\\frac{d}{dx} x^2 = 2x$$\n"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("handouts")
    for name in ("week8.toml", "conv_drill.toml"):
        shutil.copy(ROOT / "derivations" / name, d / name)
    (d / "notes.txt").write_text("not a handout")
    (d / "nets").mkdir()
    shutil.copy(ROOT / "derivations" / "week8.toml", d / "nets" / "hidden.toml")
    outside = tmp_path_factory.mktemp("outside") / "secret.toml"
    outside.write_text((ROOT / "derivations" / "week8.toml").read_text())
    (d / "link.toml").symlink_to(outside)
    return d


@pytest.fixture(scope="module")
def client(folder):
    app = create_app(Settings(handouts=folder, workers=2, queue=8, hosts=["testserver", "127.0.0.1"]))
    with TestClient(app) as c:
        yield c


def post(client, path, data, **kw):
    return client.post(path, content=json.dumps(data).encode("utf-8"), headers={"Content-Type": "application/json"}, **kw)


def cli_json(tmp_path, text: str, name: str = "homework.md", model: str | None = None) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    command = [sys.executable, "-m", "dlderive.cli", "check", str(path), "--format", "json"]
    if model:
        command += ["--model", model]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout, str(path)


@pytest.mark.parametrize("name, model", [("one.md", None), ("lstm_hidden", None), ("sigmoid", None),
                                         ("week.tex", None), ("lstm_hidden", "lstm")])
def test_check_answers_exactly_the_json_of_dlderive_check(client, tmp_path, name, model):
    if name in examples.EXAMPLES:
        text, name = examples.EXAMPLES[name].text(), name + ".md"
    elif name.endswith(".tex"):
        text = "\\documentclass{article}\\begin{document}\n\\[ (x+1)^2 = x^2 + 2x + 1 \\]\n" \
               "\\[ (x+1)^2 = x^2 + 1 \\]\n\\end{document}\n"
    else:
        text = ONE_WRONG
    expected, path = cli_json(tmp_path, text, name, model)
    answer = post(client, "/api/check", {"text": text, "model": model, "name": path})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.text == expected.rstrip("\n")
    assert json.loads(answer.text)["relations"]


@pytest.mark.parametrize("example, model", [("lstm_hidden", "lstm"), ("unreadable", None), ("week8_homework", "lstm")])
def test_check_without_a_name_differs_from_dlderive_check_only_in_file(client, tmp_path, example, model):
    """The one field that names the file is ``file``: "<text>" unless the request gives ``name``."""
    if example not in examples.EXAMPLES:
        pytest.skip("the shared week-8 sample is not beside this checkout")
    text = examples.EXAMPLES[example].text()
    expected, path = cli_json(tmp_path, text, "homework.md", model)
    answer = post(client, "/api/check", {"text": text, "model": model})
    assert answer.status_code == 200
    ours, theirs = answer.json(), json.loads(expected)
    assert (ours.pop("file"), theirs.pop("file")) == ("<text>", path)
    assert ours == theirs and ours["relations"]
    assert "homework.md" not in answer.text


def test_verdicts_and_counterexample_by_hand(client):
    right = post(client, "/api/check", {"text": ONE_RIGHT}).json()
    assert [r["verdict"] for r in right["relations"]] == ["valid"]
    wrong = post(client, "/api/check", {"text": "Intro line\n\n" + ONE_WRONG}).json()
    (r,) = wrong["relations"]
    assert (r["verdict"], r["line"], r["first_wrong"]) == ("invalid", 3, True)
    x = Fraction(r["counterexample"]["values"]["x"])
    assert Fraction(r["counterexample"]["lhs"]) == 2 * x and Fraction(r["counterexample"]["rhs"]) == 3 * x != 2 * x


def test_view_gives_mathml_for_each_relation(client):
    text = examples.EXAMPLES["product_rule"].text()
    data = post(client, "/api/check/view", {"text": text}).json()
    assert len(data["mathml"]) == len(data["report"]["relations"]) == 2
    for xml in data["mathml"]:
        tree = ET.fromstring(xml)
        assert tree.tag.endswith("math") and "merror" not in xml
    assert [r["verdict"] for r in data["report"]["relations"]] == ["invalid", "valid"]


def test_a_declared_cell_is_in_scope_for_that_check_only(client):
    cell = MGU.read_text()  # h_t = (1 - f_t) h_prev + f_t u_t: by hand, dh_t/du_t = f_t
    right, wrong = "$$\\frac{\\partial h_t}{\\partial u_t} = f_t$$", "$$\\frac{\\partial h_t}{\\partial u_t} = 1 - f_t$$"
    verdicts = [post(client, "/api/check", {"text": t, "cell": c}).json()["relations"][0]["verdict"]
                for c in (cell, None) for t in (right, wrong)]
    assert verdicts == ["valid", "invalid", "unverifiable", "unverifiable"]  # gone after its own check
    bad = post(client, "/api/check", {"text": "x", "cell": 'name = "mgu"\n[equations]\nh_t = "os.system(1)"\n'})
    assert bad.status_code == 400 and "\n" not in bad.json()["error"]


@pytest.mark.parametrize("body, words", [
    (b'{"text": "a = b"', "not valid JSON"),
    (b'[1, 2]', "must be a JSON object"),
    (b'{"model": "lstm"}', "missing field 'text'"),
    (b'{"text": 3}', "field 'text' must be a string"),
    (b'{"text": "a", "model": "lsmt"}', "unknown model 'lsmt'; did you mean lstm?"),
    (b'{"text": "a", "model": "lstm", "cell": "name = 1"}', "either 'model'"),
    ('{"text": "\u00e9"}'.encode("latin-1"), "not valid UTF-8"),
    (b'{"text": NaN}', "not valid JSON"),
    (b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "not valid JSON"),
])
def test_bad_input_is_400_with_one_line(client, body, words):
    answer = client.post("/api/check", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    message = answer.json()["error"]
    assert words in message and "\n" not in message and "Traceback" not in message
    assert post(client, "/api/check", {"text": ONE_RIGHT}).json()["summary"]["valid"] == 1  # still serving


def test_a_body_over_two_megabytes_is_413(client):
    text = "x" * (MAX_BODY + 1)
    answer = post(client, "/api/check", {"text": text})
    assert answer.status_code == 413 and "limit" in answer.json()["error"]

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(MAX_BODY // 65536 + 2):
            yield b" " * 65536

    answer = client.post("/api/check", content=chunks(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    near = post(client, "/api/check", {"text": "$$1 + 1 = 2$$\n" + " " * (MAX_BODY - 200)})
    assert near.status_code == 200 and near.json()["summary"]["valid"] == 1


def test_no_state_changing_get_and_no_cross_origin_post(client):
    for path in ("/api/check", "/api/check/view", "/api/derive", "/api/handout"):
        answer = client.get(path)
        assert answer.status_code == 405 and "GET is not allowed" in answer.json()["error"]
    foreign = client.post("/api/check", content=json.dumps({"text": ONE_RIGHT}),
                          headers={"Origin": "http://evil.example", "Content-Type": "application/json"})
    assert foreign.status_code == 403
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400  # DNS rebinding


def test_pages_load_only_their_own_assets(client):
    for path in ("/", "/handout"):
        page = client.get(path)
        assert page.status_code == 200
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert "http://" not in page.text.replace('xmlns="http://www.w3.org', "") and "https://" not in page.text
        for asset in ("/static/app.css", "/static/check.js" if path == "/" else "/static/handout.js"):
            assert asset in page.text and client.get(asset).status_code == 200
    for asset in ("app.css", "check.js", "handout.js"):
        assert "http" not in client.get(f"/static/{asset}").text
    assert client.get("/static/../app.py").status_code == 404


def test_derive_and_list_are_those_of_the_library(client):
    answer = post(client, "/api/derive", {"name": "lstm.forget_gate", "form": "vector", "format": "json"})
    assert answer.json() == json.loads(render(derive("lstm.forget_gate", form="vector"), "json"))
    latex = post(client, "/api/derive", {"name": "sigmoid", "format": "latex"})
    assert latex.text.rstrip("\n") == render(derive("sigmoid"), "latex").rstrip("\n")
    bptt = post(client, "/api/derive", {"name": "rnn.bptt", "steps": 2}).json()
    assert bptt == json.loads(render(derive("rnn.bptt", steps=2), "json"))
    assert client.get("/api/list").json() == catalog.describe()
    for body, words in (({"name": "lstm.hiden"}, "lstm.hidden"), ({"name": "sigmoid", "steps": 2}, "--steps"),
                        ({"name": "sigmoid", "form": "matrix"}, "unknown form"), ({}, "missing field 'name'"),
                        ({"name": "sigmoid", "steps": True}, "must be an integer")):
        answer = post(client, "/api/derive", body)
        assert answer.status_code == 400 and words in answer.json()["error"], answer.text


def test_handouts_of_the_folder_only(client, folder):
    assert client.get("/api/handouts").json()["files"] == ["conv_drill.toml", "week8.toml"]
    for name in ("../week8.toml", "nets/hidden.toml", str(folder / "week8.toml"), "notes.txt", "link.toml",
                 "week8.toml/..", "%2e%2e/week8.toml", "week8.toml\x00"):
        answer = post(client, "/api/handout", {"file": name})
        assert answer.status_code == 404 and "\n" not in answer.json()["error"], name


@pytest.mark.parametrize("answers, seed", [(True, None), (False, None), (True, 3)])
def test_handout_html_is_the_build(client, folder, answers, seed):
    expected = render(build_document(load(folder / "week8.toml"), seed=seed, answers=answers), "html")
    answer = post(client, "/api/handout", {"file": "week8.toml", "answers": answers, "seed": seed})
    assert answer.status_code == 200 and answer.text == expected


def test_handout_downloads(client, folder, tmp_path):
    doc = build_document(load(folder / "conv_drill.toml"))
    for fmt, name in (("tex", "latex"), ("md", "markdown")):
        answer = post(client, "/api/handout", {"file": "conv_drill.toml", "format": fmt})
        assert answer.text == render(doc, name, doc.notation)
        assert answer.headers["content-disposition"] == f'attachment; filename="conv_drill.{fmt}"'
    pasted = post(client, "/api/handout", {"toml": (folder / "conv_drill.toml").read_text(), "format": "md"})
    assert pasted.status_code == 200 and pasted.text == render(doc, "markdown", doc.notation)
    broken = post(client, "/api/handout", {"toml": "title = 3\n"})
    assert broken.status_code == 400 and "\n" not in broken.json()["error"]
    assert broken.json()["error"].startswith("handout.toml") and "dlderive-serve-" not in broken.json()["error"]


@pytest.mark.tool
def test_handout_pdf(client, folder, tmp_path):
    answer = post(client, "/api/handout", {"file": "week8.toml", "format": "pdf", "answers": False})
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    pdf = tmp_path / "week8.pdf"
    pdf.write_bytes(answer.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Week 8" in text


def test_examples_menu(client):
    listed = client.get("/api/examples").json()["examples"]
    names = [e["name"] for e in listed]
    assert names[: len(examples.ORDER)] == list(examples.ORDER)
    assert ("week8_homework" in names) == examples.SHARED_SAMPLE.is_file()
    first_wrong = {}
    for name in examples.ORDER:
        data = client.get(f"/api/examples/{name}").json()
        assert data["text"] == (examples.HERE / f"{name}.md").read_text()
        report = post(client, "/api/check", {"text": data["text"], "model": data["model"]}).json()
        first_wrong[name] = [r["line"] for r in report["relations"] if r["first_wrong"]]
    # worked by hand: the line of each example's mistake
    assert first_wrong == {"lstm_hidden": [25], "sigmoid": [12], "chain_rule": [4], "product_rule": [4],
                           "conv_size": [12], "unreadable": []}
    assert client.get("/api/examples/..%2Fapp").status_code == 404


def test_unreadable_construct_is_pointed_at(client):
    report = post(client, "/api/check", {"text": examples.EXAMPLES["unreadable"].text()}).json()
    first, second = report["relations"]
    assert first["verdict"] == "unverifiable" and "\\int" in first["reason"] and "(line 6, column 1)" in first["reason"]
    assert second["verdict"] == "valid"


def test_the_pool_refuses_when_full_and_replaces_a_worker_that_overruns():
    async def scenario():
        pool = WorkerPool(size=1, queue=1, wall=5)
        await pool.start()
        try:
            first = asyncio.create_task(pool.run(time.sleep, 1.0))
            second = asyncio.create_task(pool.run(time.sleep, 0.01))
            await asyncio.sleep(0.2)
            with pytest.raises(Busy):
                await pool.run(time.sleep, 0.01)
            await first, await second
            pid = pool._workers[0].process.pid
            with pytest.raises(Overrun):  # a worker stuck in a process of its own, as a check or pdflatex runs
                await pool.run(subprocess.call, ["sleep", "60"], wall=1.0)
            assert pool._workers[0].process.pid != pid
            assert not _alive(pid) and _group(pid) == []  # the worker and what it started are gone
            assert await pool.run(os.getpid) == pool._workers[0].process.pid  # the new worker answers
        finally:
            pool.close()

    asyncio.run(scenario())


def test_a_worker_that_dies_is_replaced_and_the_others_keep_answering():
    async def scenario():
        pool = WorkerPool(size=2, queue=2, wall=30)
        await pool.start()
        try:
            before = {w.process.pid for w in pool._workers}
            slow = asyncio.create_task(pool.run(time.sleep, 0.5))
            with pytest.raises(WorkerFailed):
                await pool.run(os.abort)  # the worker process dies of a signal
            await slow  # the other worker's request was not held up or lost
            after = {w.process.pid for w in pool._workers}
            assert len(after) == 2 and len(after - before) == 1
            pids = {await pool.run(os.getpid) for _ in range(4)}
            assert pids <= after  # every answer comes from a live worker of the pool
        finally:
            pool.close()

    asyncio.run(scenario())


def _group(pgid: int) -> list[int]:
    """Live processes of the process group ``pgid``."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def _cell_handout(cell: str) -> str:
    return ('title = "MGU"\n[[sections]]\ntitle = "S"\n[[sections.items]]\nkind = "derivation"\nheading = "D"\n'
            f'cell = "{cell}"\nname = "mgu.hidden"\n')


def test_a_handout_reads_cell_files_of_the_served_folder_only(tmp_path):
    from dlderive.cells import CELLS
    from dlderive.errors import DlderiveError
    from dlderive.serve import work
    served, outside = tmp_path / "served", tmp_path / "outside"
    (served / "cells").mkdir(parents=True)
    outside.mkdir()
    for where in (served / "cells", outside):
        shutil.copy(ROOT / "docs" / "cells" / "mgu.toml", where / "mgu.toml")
    (served / "inside.toml").write_text(_cell_handout("cells/mgu.toml"))
    (served / "escape.toml").write_text(_cell_handout("../outside/mgu.toml"))
    (served / "cells" / "link.toml").symlink_to(outside / "mgu.toml")
    (served / "linked.toml").write_text(_cell_handout("cells/link.toml"))
    name, body = work.handout(str(served / "inside.toml"), None, True, None, "md")
    assert name == "inside.md" and b"\\frac{\\partial h_t}{\\partial h_{t-1}}" in body
    assert "mgu" not in CELLS  # forgotten after the build: the next request starts from the built-in cells
    for handout in ("escape.toml", "linked.toml"):
        with pytest.raises(DlderiveError, match="only cell files of the served folder"):
            work.handout(str(served / handout), None, True, None, "md")
    for cell in (str(outside / "mgu.toml"), "../outside/mgu.toml", "mgu.toml"):
        with pytest.raises(DlderiveError, match="a pasted handout may name only built-in cells"):
            work.handout(None, _cell_handout(cell), True, None, "md")
    assert "mgu" not in CELLS


def test_the_checkers_limit_per_relation_applies_to_each_check():
    """Settings.timeout (`dlderive serve --timeout`) is the CPU limit of each relation, as for `dlderive check`."""
    app = create_app(Settings(workers=1, queue=2, timeout=0.3, hosts=["testserver"]))
    text = "$$\\exp(\\exp(\\exp(\\exp(100)))) = 1$$\n\n$$2 + 2 = 5$$\n"  # e^(e^(e^(e^100))) is not 1; 4 is not 5
    with TestClient(app) as limited:
        slow, wrong = post(limited, "/api/check", {"text": text}).json()["relations"]
    assert slow["verdict"] == "unverifiable" and "time limit" in slow["reason"]
    assert (wrong["line"], wrong["verdict"]) == (3, "invalid")  # the next relation is still judged
