"""A variant's question says what it drew (the weight, the activation, the number of steps), and the key's
answer is the derivation of exactly that: read back from the built Markdown of both versions."""
import re
from pathlib import Path

from dlderive.cli import main

ROOT = Path(__file__).resolve().parents[1]
ACTIVATION_LATEX = {r"\sigma": r"h &= \sigma", r"\tanh": r"h &= \tanh", r"\operatorname{relu}": r"h &= \operatorname{relu}"}


def _items(md: str) -> list[str]:
    return re.split(r"\n### ", md)[1:]


def test_each_variant_states_its_drawn_options_and_answers_them(tmp_path):
    out = tmp_path / "o"
    assert main(["build", str(ROOT / "derivations" / "week9_backward.toml"), "--out", str(out),
                 "--variants", "1-6", "--both", "--quiet"]) == 0
    weights, activations = set(), set()
    for v in range(1, 7):
        key = (out / f"week9_backward-v{v:02d}.md").read_text()
        student = (out / f"week9_backward-v{v:02d}-student.md").read_text()
        stated = [line for line in key.splitlines() if line.startswith("Here: ")]
        assert stated and stated == [line for line in student.splitlines() if line.startswith("Here: ")]
        for item in _items(key):
            here = next((line for line in item.splitlines() if line.startswith("Here: ")), None)
            if here is None:
                continue
            answer = item.split("**Answer.**", 1)[1]
            weight = re.search(r"the weight \$(.+?)\$", here)
            if weight:
                weights.add(weight.group(1))
                assert rf"\frac{{\partial L}}{{\partial {weight.group(1)}}}" in answer, (v, here)
            steps = re.search(r"\$T = (\d+)\$ step", here)
            if steps:  # over T steps the loss reads the outputs of T steps and no more
                t = int(steps.group(1))
                assert f"y_{{t-{t}}}" not in answer and (t == 1 or f"y_{{t-{t - 1}}}" in answer), (v, here)
            phi = re.search(r"\\phi = (.+?)\$", here)
            if phi:
                activations.add(phi.group(1))
                assert ACTIVATION_LATEX[phi.group(1)] in answer, (v, here)
    assert len(weights) >= 2 and len(activations) >= 2  # the draws vary across six variants
