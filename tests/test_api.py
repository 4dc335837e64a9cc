"""The public API: ``import dlderive`` alone gives derive, evaluate, check, conv and network."""
import math
import subprocess
import sys
from pathlib import Path

import pytest

import dlderive

SIGMOID_OK = "$$\\sigma'(z) = \\sigma(z)\\left(1 - \\sigma(z)\\right)$$\n"
SIGMOID_WRONG = "$$\\sigma'(z) = \\sigma(z)^2$$\n"


def test_all_names_are_there():
    assert {"derive", "evaluate", "check", "conv", "network"} <= set(dlderive.__all__)
    for name in dlderive.__all__:
        assert getattr(dlderive, name) is not None


def test_the_api_alone_in_a_fresh_interpreter():
    code = ("import dlderive; d = dlderive.derive('lstm.forget_gate'); "
            "print(d.name, callable(dlderive.evaluate), callable(dlderive.check), "
            "dlderive.conv.output_size('conv', 78, 5, stride=3, padding=2).size)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["lstm.forget_gate", "True", "True", str(math.floor((78 + 4 - 4 - 1) / 3) + 1)]


def test_derive_is_the_engine_and_its_module_at_once():
    import dlderive.derive as module
    from dlderive.derive import derive as engine
    assert module is dlderive.derive and "lstm.hidden" in module.DERIVATIONS
    assert dlderive.derive("lstm.hidden", "vector") is engine("lstm.hidden", "vector")
    assert dlderive.derive("lstm.bptt", steps=2).name == "lstm.bptt"
    with pytest.raises(dlderive.DlderiveError, match="unknown derivation"):
        dlderive.derive("lstm.nope")


def test_evaluate_matches_finite_differences_of_the_logistic_function():
    s = lambda t: 1 / (1 + math.exp(-t))
    for z in (-1.3, 0.2, 2.5):
        fd = (s(z + 1e-6) - s(z - 1e-6)) / 2e-6
        assert dlderive.evaluate("sigmoid", {"z": z}) == pytest.approx(fd, rel=1e-8)


def test_check_reads_text_a_path_or_a_str_naming_a_file(tmp_path):
    path = tmp_path / "homework.md"
    path.write_text(SIGMOID_OK + SIGMOID_WRONG)
    reports = [dlderive.check(path), dlderive.check(str(path)), dlderive.check(SIGMOID_OK + SIGMOID_WRONG)]
    verdicts = [[str(getattr(r.verdict, "value", r.verdict)) for r in report.relations] for report in reports]
    assert verdicts[0] == verdicts[1] == verdicts[2] == ["valid", "invalid"]
    assert reports[0].file == str(path) and reports[2].file != str(path)


def test_check_of_a_missing_path_is_a_report_with_an_error(tmp_path):
    report = dlderive.check(Path(tmp_path / "missing.md"))
    assert report.error and not report.relations


def test_check_is_callable_and_its_package_stays_importable():
    import dlderive.check.report as report
    from dlderive.check import check_text
    from dlderive.check.report import FileReport
    assert callable(dlderive.check) and dlderive.check is sys.modules["dlderive.check"]
    assert report.FileReport is FileReport
    assert isinstance(check_text(SIGMOID_OK), FileReport)
    with pytest.raises(dlderive.DlderiveError, match="text or a path"):
        dlderive.check(42)


def test_network_module_is_the_package():
    lenet = Path(__file__).parents[1] / "derivations" / "nets" / "lenet5.toml"
    table = dlderive.network.build(dlderive.network.load(lenet))
    assert table.rows[0].shape == (6, 32 - 5 + 1, 32 - 5 + 1)
