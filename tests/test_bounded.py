"""Bounded time on every input: the supervised batch runner, hostile inputs, and limits that cannot be
switched off. Oracles: the in-process checker on the same text (the batch must agree with it), hand-worked
verdicts, and the hostile generator of tests/hostile.py."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest

import dlderive
import hostile
from dlderive.check import batch, check_text
from dlderive.check import judge as judge_module
from dlderive.check.batch import check_files, iter_reports, validated_jobs
from dlderive.check.limits import MAX_JOBS, MAX_TIMEOUT
from dlderive.errors import DlderiveError

FOREIGN = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b|Traceback|internal error")
CORPUS = sorted(p for p in (os.path.join("tests", "corpus", n) for n in os.listdir("tests/corpus"))
                if p.endswith((".md", ".tex")))[:6] if os.path.isdir("tests/corpus") else []


CLI = "import sys; from dlderive.cli import main; sys.exit(main(sys.argv[1:]))"


def verdicts(report):
    return [(r.line, str(r.verdict), r.reason) for r in report.relations]


# ---------------------------------------------------------------- the batch agrees with the checker


@pytest.mark.parametrize("jobs", [1, 2])
def test_batch_reports_agree_with_the_checker_in_input_order(jobs):
    texts = {"wrong": "$$2 + 2 = 5$$", "right": "$$(x + 1)^2 = x^2 + 2x + 1$$",
             "chain": "$$\\frac{d}{dx} x^3 = 3x^2 = 3 x \\cdot x$$"}
    items = list(texts.items()) + [os.path.join("tests", "corpus", "a01_sigmoid_quotient_rule.md")]
    reports = check_files(items, jobs=jobs)
    assert [r.file for r in reports] == ["wrong", "right", "chain", items[-1]]
    for (name, text), report in zip(texts.items(), reports):
        assert verdicts(report) == verdicts(check_text(text, name))
    with open(items[-1], encoding="utf-8") as f:
        assert verdicts(reports[-1]) == verdicts(check_text(f.read(), items[-1]))
    assert [str(r.verdict) for r in reports[0].relations] == ["invalid"]
    assert [str(r.verdict) for r in reports[1].relations] == ["valid"]


def test_every_file_is_reported_once_and_errors_stay_with_their_file(tmp_path):
    bad = tmp_path / "latin1.md"
    bad.write_bytes("$$é = 1$$".encode("latin-1"))
    items = [str(tmp_path / "missing.md"), str(bad), ("big", "x" * (batch.MAX_FILE_BYTES + 1)), ("ok", "$$1 = 1$$")]
    seen = dict(iter_reports(items, jobs=2))
    assert sorted(seen) == [0, 1, 2, 3]
    assert "missing.md" in seen[0].error
    assert "UTF-8" in seen[1].error
    assert "limit" in seen[2].error
    assert seen[3].error is None and [str(r.verdict) for r in seen[3].relations] == ["valid"]


def test_no_files_no_reports():
    assert check_files([]) == []


# ---------------------------------------------------------------- work the CPU timer cannot interrupt


def _uninterruptible(marker):
    """Judge.__call__ that, on a relation whose right side contains ``marker``, spins with SIGPROF blocked:
    like a C computation that never returns to the interpreter. Workers are forked: they inherit it."""
    original = judge_module.Judge.__call__

    def call(self, step):
        if marker in step.b.source:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPROF})
            while True:
                pass
        return original(self, step)
    return call


HANGING = "$$1 + 1 = 2$$\n\n$$a = 999$$\n\n$$2 + 2 = 5$$\n\n$$3 = 3$$\n"


def test_a_relation_that_cannot_be_interrupted_is_stopped_and_the_file_goes_on(monkeypatch):
    monkeypatch.setattr(judge_module.Judge, "__call__", _uninterruptible("999"))
    order = [i for i, _ in iter_reports([("hangs", HANGING), ("quick", "$$2 \\cdot 3 = 6$$")], timeout=0.3, jobs=2)]
    assert order == [1, 0]  # the quick file is reported while the other is still running
    report, quick = check_files([("hangs", HANGING), ("quick", "$$2 \\cdot 3 = 6$$")], timeout=0.3, jobs=2)
    got = [(r.line, str(r.verdict)) for r in report.relations]
    assert got == [(1, "valid"), (3, "unverifiable"), (5, "invalid"), (7, "valid")]  # worked by hand
    assert "stopped by force" in report.relations[1].reason and "0.3 s of CPU time" in report.relations[1].reason
    assert report.error is None
    assert [str(r.verdict) for r in quick.relations] == ["valid"]


def test_a_file_with_too_many_stopped_relations_is_given_up_with_what_was_decided(monkeypatch):
    monkeypatch.setattr(judge_module.Judge, "__call__", _uninterruptible("999"))
    monkeypatch.setattr(batch, "MAX_STOPS", 1)
    text = "$$2 + 2 = 5$$\n\n$$a = 999$$\n\n$$b = 999$$\n\n$$1 = 1$$\n"
    (report,) = check_files([("many", text)], timeout=0.2)
    assert "checking stopped at line 5" in report.error and "not checked" in report.error
    assert [(r.line, str(r.verdict)) for r in report.relations] == [(1, "invalid"), (3, "unverifiable"),
                                                                    (5, "unverifiable")]


def test_a_worker_that_dies_is_replaced(monkeypatch):
    original = judge_module.Judge.__call__

    def die(self, step):
        if "777" in step.b.source:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, step)
    monkeypatch.setattr(judge_module.Judge, "__call__", die)
    report, after = check_files([("dies", "$$x = 777$$\n\n$$2 = 3$$"), ("after", "$$4 = 4$$")])
    assert [(r.line, str(r.verdict)) for r in report.relations] == [(1, "unverifiable"), (3, "invalid")]
    assert "signal 9" in report.relations[0].reason
    assert [str(r.verdict) for r in after.relations] == ["valid"]


def test_a_file_that_cannot_be_read_in_its_budget_is_an_error(monkeypatch):
    from dlderive.check import checker
    original = checker.Context.scan

    def stuck(text):
        if "stuck" in text:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPROF})
            while True:
                pass
        return original(text)
    monkeypatch.setattr(checker.Context, "scan", staticmethod(stuck))
    monkeypatch.setattr(batch, "READ_SECONDS", 0.5)
    stuck_report, fine = check_files([("stuck", "stuck $$1 = 2$$"), ("fine", "$$1 = 2$$")])
    assert stuck_report.error.startswith("stuck: reading the file took longer than its budget")
    assert [str(r.verdict) for r in fine.relations] == ["invalid"]


# ---------------------------------------------------------------- the inputs of the hostile-input audit

SIZE = "too large|not evaluated"
AUDIT = {  # the input -> what its reason must say (worked out by hand: none of them can be computed)
    r"$$\lfloor e^{e^{e^{3}}} \rfloor = 1$$": SIZE,
    r"$$\sqrt{2}^{100000000000} = 1$$": SIZE,
    r"$$e^{10^{11} \ln(2)} = 1$$": SIZE,
    r"$$\lfloor e^{1000000} \rfloor = 1$$": SIZE,
    r"$$[(1/2, 3)] = 1$$": "tuple",
    r"$$2^{2^{2^{2^{2^{2}}}}} = 4$$": SIZE,
    r"$$(10^{100})! = 1$$": "cannot read",
    r"$$9^{9^{9}} = 9$$": SIZE,
}


def test_audit_inputs_end_in_readable_unverifiable_verdicts():
    reports = check_files([(f"audit-{i}", t) for i, t in enumerate(AUDIT)], jobs=2)
    for (text, hint), report in zip(AUDIT.items(), reports):
        assert report.error is None, (text, report.error)
        assert report.relations, text
        for r in report.relations:
            assert str(r.verdict) == "unverifiable", (text, r.reason)
            assert not FOREIGN.search(r.reason), (text, r.reason)
            assert "stopped by force" not in r.reason, (text, r.reason)
        assert re.search(hint, report.relations[0].reason), (text, report.relations[0].reason)


FOUND = {  # found by the hostile-input run; the verdicts worked out by hand
    r"$$\max(\alpha, \sum_{k=1}^{10^{9}} \sigma(0/0)) \ge 2$$": "unverifiable",  # was 48 s in SymPy's Max
    r"$$e^{\sum_{k=1}^{10^{9}} \sigma(0/0)} = 1$$": "unverifiable",  # the size estimate evaluated the sum
    r"$$\max(0/0, 1) = 1$$": "unverifiable",  # was a ValueError out of the reader
    r"$$\min(\ln(0), 1) = 1$$": "unverifiable",
    r"$$\max(1, \sum_{k=1}^{3} k) = 6$$": "valid",  # a sum in max is still evaluated, when it is checked
    r"$$\max(1, \sum_{k=1}^{3} k) = 5$$": "invalid",
    r"$$e^{\sum_{k=1}^{3} k} = e^{6}$$": "valid",
    r"$(-1)^{1/3} > \frac{1}{3} \cdot 10$": "unverifiable",  # no real value: was an internal error
    r"$$1 - e^{-200} = 1$$": "unverifiable",  # false; was valid because the sides agree to 50 digits
    # written matrices in arithmetic that has no scalar meaning: each was an internal error of the reader
    r"$$\frac{h}{\begin{pmatrix}1 & 1 \\ 1 & 1\end{pmatrix}} = W$$": "unverifiable",  # a singular inverse
    r"$$\begin{pmatrix}y & 3 \\ y & 3\end{pmatrix} - x = x$$": "unverifiable",  # a matrix minus a number
    r"$$\begin{pmatrix}1 & 2\end{pmatrix} \begin{pmatrix}1 & 2\end{pmatrix} = 3$$": "unverifiable",
    r"$$\begin{pmatrix}1 & 2\end{pmatrix} + \begin{pmatrix}1 \\ 2\end{pmatrix} = 3$$": "unverifiable",
    r"$$\begin{pmatrix}1 & 2\end{pmatrix} \begin{pmatrix}3 \\ 4\end{pmatrix} = 12$$": "invalid",  # 11
    r"$$\begin{pmatrix}1 \\ 2\end{pmatrix} + \begin{pmatrix}3 \\ 4\end{pmatrix} = \begin{pmatrix}4 \\ 6\end{pmatrix}$$":
        "valid",
}


def test_a_definition_not_read_inside_a_sum_over_time_is_no_internal_error():
    # found by the hostile-input run: the sum's bindings were left behind, and the reading failed with KeyError
    text = ("$$Y = \\hat y - \\begin{pmatrix}y & x \\\\ y & x\\end{pmatrix} (X)^{\\top} (X)^{\\top}$$\n\n"
            "$$\\sum_{t=1}^{T} \\frac{Y \\cdot \\delta_t}{\\operatorname{diag}(\\hat y)} = h_t \\odot \\hat y$$\n")
    report = check_text(text)
    assert [str(r.verdict) for r in report.relations][-1] == "unverifiable", verdicts(report)
    assert not any(FOREIGN.search(r.reason) for r in report.relations), verdicts(report)


def test_inputs_found_by_the_hostile_run_end_in_the_right_verdicts():
    reports = check_files([(f"found-{i}", t) for i, t in enumerate(FOUND)], jobs=2)
    for (text, verdict), report in zip(FOUND.items(), reports):
        assert [str(r.verdict) for r in report.relations] == [verdict], (text, verdicts(report))
        assert not any(FOREIGN.search(r.reason) or "stopped by force" in r.reason for r in report.relations), \
            (text, verdicts(report))


SPLITTING = {
    "50,000 display openers": "\\[" * 50_000,
    "5,000 equation openers": "\\begin{equation}" * 5_000,
    "long lines of letters ending in =": "\n".join("ab" * 999 + "=" for _ in range(300)),
    "a megabyte of dollars": "$" * 1_000_000,
}


def test_document_splitting_ends_within_its_budget():
    reports = check_files(list(SPLITTING.items()), jobs=2)
    for name, report in zip(SPLITTING, reports):
        assert report.error is None, (name, report.error)
        assert all(str(r.verdict) != "valid" for r in report.relations), name


UNMATCHED = [  # brackets the text opens or closes around a relation: the relation is not what the text states
    "so [[[[x = 1", "so " + "[" * 60 + "x = 1", "so {{x = 1", "so ]x = 1", "then x = 1]]", "so [x = 1}",
    "so (((x = 1", "so x = (1", "$$[[x = 1$$", "$$x = 1)$$", "$$\\left( x = 1$$", "$$x = 1}$$", "$$\\{x = 1$$",
]


@pytest.mark.parametrize("text", UNMATCHED)
def test_unmatched_brackets_around_a_relation_are_a_reading_refusal_not_a_given(text):
    report = check_text(f"x = 2\n\n{text}\n")
    relations = [r for r in report.relations if r.line == 3]
    assert relations, verdicts(report)
    for r in relations:
        assert str(r.verdict) == "unverifiable" and r.reason.startswith("cannot read"), (text, r.reason)


@pytest.mark.parametrize("text", ["so [x = 1]", "so {x = 1}", "so [[x = 1]] and"])
def test_matched_brackets_around_a_relation_keep_it(text):
    report = check_text(f"{text}\n")
    assert [(str(r.verdict), r.latex) for r in report.relations] == [("valid", "x = 1")], verdicts(report)


# ---------------------------------------------------------------- a sample of the hostile-input run


def test_hostile_sample_has_no_foreign_exception_no_crash_and_no_hang():
    texts = hostile.documents_for(seed=14, count=200)
    for index, report in iter_reports([(f"h{i}", t) for i, t in enumerate(texts)], timeout=1.0, jobs=2):
        sample = texts[index][:200]
        if report.error:
            assert "the limit is" in report.error, (sample, report.error)
        for r in report.relations:
            assert not FOREIGN.search(r.reason), (sample, r.reason)
            assert "stopped by force" not in r.reason, (sample, r.reason)
            assert str(r.verdict) in ("valid", "invalid", "unverifiable")


# ---------------------------------------------------------------- limits that cannot be switched off


@pytest.mark.parametrize("jobs", [0, -1, 10**9, MAX_JOBS + 1, True, 2.5, "2", None])
def test_absurd_job_counts_are_refused_with_one_line(jobs):
    with pytest.raises(DlderiveError, match=rf"^jobs must be a whole number from 1 to 64 \(got {re.escape(repr(jobs))}\)$"):
        validated_jobs(jobs)
    with pytest.raises(DlderiveError, match=r"^jobs must be"):
        check_files([("a", "$$1 = 1$$")], jobs=jobs)


@pytest.mark.parametrize("jobs", [1, MAX_JOBS])
def test_job_counts_in_range_are_kept(jobs):
    assert validated_jobs(jobs) == jobs


ABSURD_TIMEOUTS = [float("inf"), 1e20, float("nan"), 0, -1, "abc", True, MAX_TIMEOUT + 1]


@pytest.mark.parametrize("timeout", ABSURD_TIMEOUTS)
def test_absurd_time_limits_in_the_python_api_name_the_parameter_and_what_is_accepted(timeout):
    expected = rf"^timeout must be a finite time limit in seconds, above 0 and at most 3600 \(got {re.escape(repr(timeout))}\)$"
    with pytest.raises(DlderiveError, match=expected):
        dlderive.check("$$2 + 2 = 5$$", timeout=timeout)
    with pytest.raises(DlderiveError, match=expected):
        check_files([("a", "$$2 + 2 = 5$$")], timeout=timeout)


def test_time_limits_in_range_are_kept():
    assert str(dlderive.check("$$2 + 2 = 5$$", timeout=MAX_TIMEOUT).relations[0].verdict) == "invalid"
    assert str(dlderive.check("$$2 + 2 = 5$$", timeout=0.5).relations[0].verdict) == "invalid"


ACCEPTED = {"--timeout": "must be a finite time limit in seconds, above 0 and at most 3600",
            "--jobs": "must be a whole number from 1 to 64"}


_JOBS = [["--jobs", v] for v in ("0", "-1", str(10**9), "abc", "2.5")]
_TIMEOUTS = [["--timeout", v] for v in ("inf", "1e20", "nan", "0", "-1", "abc", "-inf", "3601")]


@pytest.mark.parametrize("command,option", [("check", o) for o in _JOBS + _TIMEOUTS] + [("serve", o) for o in _TIMEOUTS])
def test_absurd_limits_on_the_command_line_exit_2_with_one_line(tmp_path, command, option):
    f = tmp_path / "a.md"
    f.write_text("$$2 + 2 = 5$$\n", encoding="utf-8")
    argv = ["check", str(f)] if command == "check" else ["serve", "--port", "1"]
    done = subprocess.run([sys.executable, "-c", CLI, *argv, f"{option[0]}={option[1]}"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""  # nothing was checked or served
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"dlderive: error: {command}: argument {option[0]}: {ACCEPTED[option[0]]} (got "), lines
    assert option[1] in lines[0] or repr(float(option[1])) in lines[0], lines


def test_a_block_that_takes_too_long_to_read_is_unverifiable_and_the_rest_is_checked(monkeypatch):
    from dlderive.check import checker
    original = checker.read_block

    def slow(text, *args):
        while "slow" in text:  # Python work: the CPU timer interrupts it
            pass
        return original(text, *args)
    monkeypatch.setattr(checker, "read_block", slow)
    report = check_text("$$slow = 1$$\n\n$$2 + 2 = 5$$\n", timeout=0.2)
    assert [(r.line, str(r.verdict)) for r in report.relations] == [(1, "unverifiable"), (3, "invalid")]
    assert "reading it took longer than the time limit (0.2 s of CPU time)" in report.relations[0].reason


def test_a_file_with_no_size_to_stat_is_read_only_up_to_the_limit():
    # /dev/zero never ends and stats as 0 bytes; a pipe of 3,000,000 bytes stats as 0 too
    report = check_files(["/dev/zero"], None, 2.0, 1)[0]
    assert report.relations == () and report.error == "/dev/zero: over 2 MB, the limit"
    r, w = os.pipe()
    if os.fork() == 0:  # the writer: 3 MB of 'x = 1' lines, then it closes the pipe
        os.close(r)
        with os.fdopen(w, "wb") as out:
            try:
                out.write(b"x = 1\n" * 500_000)
            except BrokenPipeError:
                pass
        os._exit(0)
    os.close(w)
    try:
        report = check_files([f"/dev/fd/{r}"], None, 2.0, 1)[0]
    finally:
        os.close(r)
        os.wait()
    assert report.relations == () and "over 2 MB" in report.error


def test_the_size_of_a_text_is_told_in_bytes():
    text = "é" * 1_500_000  # 1.5 million characters, 3.0 MB in UTF-8 (two bytes each)
    assert len(text.encode("utf-8")) == 3_000_000
    report = check_files([("big.md", text)], None, 2.0, 1)[0]
    assert report.error == "big.md: 3.0 MB; the limit is 2 MB"
