"""The checker on short correct and wrong derivations of the common course exercises (tests/exercises).

Each exercise has a correct document (NAME_ok) and one or two with a single typical mistake (NAME_bad,
NAME_bad2); every relation's truth was worked out by hand (tests/corpus/README.md describes the sidecars).
Prints, per kind of document, the measures of the goal "every correct one accepted with no invalid step,
every wrong one caught":

    python bench/exercises.py [--details] [--only TEXT] [--write]

correct documents accepted: no relation judged invalid (and how many with every relation valid);
wrong documents caught: every wrong relation judged invalid; wrong steps judged valid (must be 0);
false alarms: true relations judged invalid; then the documents not reached yet, grouped by cause (GAPS).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import ROOT, Score, documents, expectations, score  # noqa: E402

EXERCISES = ROOT / "tests" / "exercises"

# What the checker does not reach yet, by cause (and the part of dlderive it lives in): for each measure
# ("accepted": no relation invalid; "valid": every relation valid; "caught": every wrong relation invalid), the
# documents that miss it. tests/test_exercises.py marks them xfail(strict=True), so that progress on a cause shows.
GAPS = {
    "matrix checker: 'the squared-error loss' named in words does not say its form (1/2 ||y - t||^2 or ||y - t||^2), "
    "so a gradient that holds in one form is not valid (a doubled one would hold in the other)": {
        "valid": ("e09_linear_numbers_ok",)},
    "checker: a loss that is named, not defined (dL/dy_i, dL/dgamma of an L the document never writes), is not read "
    "as a general function": {
        "valid": ("e17_batchnorm_backward_ok",), "caught": ("e17_batchnorm_backward_bad2",)},
    "checker: u_o and the family u_w of a sum over w are not read as one family with o an index; J restated after "
    "its definition is read as a new definition": {
        "valid": ("e32_word2vec_center_ok",), "caught": ("e32_word2vec_center_bad",)},
    "checker: J defined through y-hat_o, one entry of the family y-hat_w, has no derivative with respect to u_o": {
        "valid": ("e33_word2vec_outside_ok",), "caught": ("e33_word2vec_outside_bad",)},
    "checker: a product over t of the Jacobians of a recurrence is not expanded": {
        "valid": ("e27_vanishing_products_ok",), "caught": ("e27_vanishing_products_bad",)},
    "reader context: sigma^2 defined as a whole is read as the square of an undefined sigma": {
        "valid": ("y14_batchnorm_forward_numbers_ok",)},
    "checker: a name given a value from numbers with no formula in force (S = e^2 + e^1 + e^0, L = -log(0.6652)) is "
    "taken as stated, not checked (its formula is the one the text has in mind); dL/dz = p - y needs L read as the "
    "cross-entropy of softmax(z) that the title names in words": {
        "valid": ("e06_softmax_ce_numbers_ok",), "caught": ("e06_softmax_ce_numbers_bad",)},
    "reader: a derivative written as a bare function (sigma' = sigma(1 - sigma)) is not applied to anything": {
        "valid": ("y02_tanh_via_sigmoid_ok",)},
    "reader grammar: a transpose after a superscript group (W^{(2)\\top}) is an unsupported command; sigma' bare": {
        "valid": ("y09_mlp_sigmoid_delta_ok",)},
    "reader grammar: TeX's {\\partial L \\over \\partial W} is not read (\\partial is refused inside it)": {
        "valid": ("y06_affine_batch_numbers_ok",), "caught": ("y06_affine_batch_numbers_bad", "y06_affine_batch_numbers_bad2")},
    "reader: numpy-like plain text (dW2 = H.T @ dS, dZ1 = dH * (Z1 > 0)) is refused, not read as matrix products": {
        "valid": ("y08_two_layer_relu_numpy_ok",), "caught": ("y08_two_layer_relu_numpy_bad", "y08_two_layer_relu_numpy_bad2")},
    "checker: a loss known only through its upstream gradients (g_i = dL/dy_i, delta = dL/dh_T, delta = grad_y L) is "
    "not read as a general function in scalar and index chain-rule steps": {
        "valid": ("y07_linear_vec_intercal_ok", "y15_batchnorm_param_grads_ok", "y17_inverted_dropout_ok",
                  "y20_lstm_last_step_gates_ok"),
        "caught": ("y15_batchnorm_param_grads_bad", "y15_batchnorm_param_grads_bad2", "y20_lstm_last_step_gates_bad",
                   "y20_lstm_last_step_gates_bad2", "y17_inverted_dropout_bad2")},
    "checker: the derivative of a loss defined as a sum over examples (1/N sum_n (yhat_n - y_n)^2, -1/m sum_i [...]) by "
    "one entry (yhat_n, theta_j) or by the whole vector is unknown; y in {0,1}^m is not read": {
        "valid": ("y10_mse_mean_numbers_ok", "y12_logistic_matrix_bm_ok"),
        "caught": ("y10_mse_mean_numbers_bad", "y12_logistic_matrix_bm_bad", "y12_logistic_matrix_bm_bad2")},
    "checker: in a document that writes vectors (z in R^K, bold p and y), an index-form relation valid in the scalar "
    "reading (dp_i/dz_j = p_i (delta_ij - p_j)) is not trusted without a matrix reading, and the gradient nabla_z L "
    "of a loss defined by entries is unknown": {
        "valid": ("y04_softmax_ce_vector_ok",), "caught": ("y04_softmax_ce_vector_bad2",)},
    "checker: in plain text, 'loss = -log(p_0)' does not define the L of dL/dz_k, and Z = e^2 + e^1 + e^0 is taken as "
    "stated": {"valid": ("y05_softmax_ce_plain_numbers_ok",),
               "caught": ("y05_softmax_ce_plain_numbers_bad", "y05_softmax_ce_plain_numbers_bad2")},
    "checker: a number for an entry of a family defined by a formula (x-hat_3 under x-hat_k) that disagrees with the "
    "formula at that index is only unverifiable (its inputs may have other values in a new exercise), and a formula "
    "that uses a tuple (s_j = q^T k_j / sqrt(d_k) with q = (1, 0)^T) is not evaluated": {
        "valid": ("y29_attention_scaled_numbers_ok",),
        "caught": ("y16_layernorm_numbers_bad", "y17_inverted_dropout_bad", "y29_attention_scaled_numbers_bad",
                   "y29_attention_scaled_numbers_bad2")},
    "checker: a rule for a general step t with t in an exponent (m-hat_t = m_t/(1 - beta_1^t)), or r_L with a product "
    "over the earlier strides (whose \\prod is not read), is not instantiated at a step; a wrong value taken as stated "
    "then makes the true step after it look false": {
        "valid": ("y25_receptive_field_ok", "y30_adam_second_step_ok"),
        "caught": ("y25_receptive_field_bad", "y30_adam_second_step_bad")},
    "reader: the norm ||w||_1 and the gradient nabla R(w) of a function of a vector are not read": {
        "valid": ("y11_l1_l2_penalty_step_ok",), "caught": ("y11_l1_l2_penalty_step_bad",)},
    "checker: a recurrence h_t = w h_{t-1} + u x_t stated for a general t is not unrolled (dh_3/dh_1); a false identity "
    "with a sum of fixed size 3 is left unverifiable as if a condition could hold": {
        "valid": ("y18_linear_rnn_three_steps_ok",),
        "caught": ("y18_linear_rnn_three_steps_bad", "y18_linear_rnn_three_steps_bad2")},
    "checker: softmax(U^T v_c) is not a function the checker knows for a vector argument; dJ/dv_c and dJ/dU through "
    "y-hat_o are unknown": {
        "valid": ("y27_word2vec_softmax_matrix_ok",),
        "caught": ("y27_word2vec_softmax_matrix_bad", "y27_word2vec_softmax_matrix_bad2")},
    "checker: a sum over k = 1..K of the family u_{w_k} with an upper limit K that is no size of the document is not "
    "read as vectors; dJ/du_{w_k} of a sampled word is unknown": {
        "valid": ("y28_negative_sampling_ok",), "caught": ("y28_negative_sampling_bad", "y28_negative_sampling_bad2")},
}


def gaps(measure: str) -> dict[str, str]:
    """Document name -> the cause of its gap, for one measure ("accepted", "valid" or "caught")."""
    return {name: cause for cause, measures in GAPS.items() for name in measures.get(measure, ())}


@dataclass
class Outcome:
    """One document's score against its sidecar, with the verdict of every expected relation in order."""

    doc: Path
    score: Score
    verdicts: list = field(default_factory=list)  # (line, text, truth, verdict, reason)

    @property
    def correct(self) -> bool:
        return self.score.wrong_total == 0

    @property
    def accepted(self) -> bool:
        """No relation judged invalid and every relation reported."""
        return all(v != "invalid" for _, _, _, v, _ in self.verdicts) and self.score.unreported == 0

    @property
    def all_valid(self) -> bool:
        return self.accepted and all(v == "valid" for _, _, _, v, _ in self.verdicts)

    @property
    def caught(self) -> bool:
        """Every wrong relation judged invalid."""
        return all(v == "invalid" for _, _, t, v, _ in self.verdicts if t == "invalid")


def outcome(doc: Path, expect: Path) -> Outcome:
    """The document scored as bench/corpus.py scores it, and the verdict given to each expected relation."""
    s = score(doc, expect)
    _, expected = expectations(expect)
    problems = {(line, text): (kind, reason) for _, line, kind, text, reason in s.problems}
    verdicts = []
    for e in expected:
        kind, reason = problems.get((int(e["line"]), e.get("text", "")), ("", ""))
        if kind == "unreported":
            verdict = "unreported"
        elif kind == "unverifiable":
            verdict = "unverifiable"
        elif kind in ("FALSE ALARM", "MISS"):
            verdict = "invalid" if e["truth"] == "valid" else "valid"
        else:
            verdict = e["truth"]
        verdicts.append((int(e["line"]), e.get("text", ""), e["truth"], verdict, reason))
    return Outcome(doc, s, verdicts)


def outcomes(only: str = "") -> list[Outcome]:
    return [outcome(d, e) for d, e in documents(EXERCISES) if only in d.name]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--details", action="store_true", help="list every document not accepted or not caught")
    ap.add_argument("--only", default="", help="documents whose name contains this")
    ap.add_argument("--write", action="store_true", help="also write the table to bench/results/exercises.md "
                    "(gathered into RESULTS.md by run_all.py)")
    args = ap.parse_args(argv)
    table: list[str] = []

    def emit(line: str = "") -> None:  # the table goes to the screen, and with --write to bench/results/
        table.append(line)
        print(line)

    results = outcomes(args.only)
    good = [o for o in results if o.correct]
    bad = [o for o in results if not o.correct]
    total = Score()
    for o in results:
        total.add(o.score)
    wrong_steps = sum(1 for o in bad for _, _, t, _, _ in o.verdicts if t == "invalid")
    exercises = {o.doc.name.rsplit("_", 1)[0] for o in results}
    emit(f"## Checker on the exercise set\n\n{len(exercises)} exercises, {len(results)} documents "
         f"({len(good)} correct, {len(bad)} wrong), {total.expected} relations, tests/exercises, "
         f"`python bench/exercises.py`.\n")
    emit("| measure | value |\n|---|---|")
    emit(f"| correct documents accepted (no relation invalid) | {sum(o.accepted for o in good)} of {len(good)} |")
    emit(f"| correct documents with every relation valid | {sum(o.all_valid for o in good)} of {len(good)} |")
    emit(f"| wrong documents caught (every wrong relation invalid) | {sum(o.caught for o in bad)} of {len(bad)} |")
    emit(f"| wrong steps judged invalid | {total.wrong_caught} of {wrong_steps} |")
    emit(f"| wrong steps judged valid (must be 0) | {total.misses} |")
    emit(f"| false alarms (a true relation judged invalid) | {total.false_alarms} |")
    emit(f"| relations judged right | {total.right} of {total.expected} |")
    emit(f"| unverifiable | {total.unverifiable} |")
    emit(f"| relations with no line in the report | {total.unreported} |")
    if args.write and not args.only:
        (ROOT / "bench" / "results" / "exercises.md").write_text("\n".join(table) + "\n", encoding="utf-8")
    reached = {"accepted": lambda o: o.accepted, "valid": lambda o: o.all_valid, "caught": lambda o: o.caught}
    print("\nNot reached yet, by cause (documents; * if it is reached now):\n")
    by_name = {o.doc.stem: o for o in results}
    for cause, measures in GAPS.items():
        names = sorted({n for ns in measures.values() for n in ns if n in by_name})
        if names:
            done = {n for m, ns in measures.items() for n in ns if n in by_name and reached[m](by_name[n])}
            print(f"- {cause}: " + ", ".join(n + ("*" if n in done else "") for n in names))
    unlisted = sorted(o.doc.stem for o in results for m, ok in reached.items()
                      if (m != "caught") == o.correct and not ok(o) and o.doc.stem not in gaps(m))
    if unlisted:
        print(f"- not in the list of causes: {', '.join(sorted(set(unlisted)))}")
    if args.details:
        print()
        for o in results:
            if all(v == t for _, _, t, v, _ in o.verdicts):
                continue
            for line, text, truth, verdict, reason in o.verdicts:
                if verdict != truth:
                    print(f"{o.doc.name}:{line} {truth:7} judged {verdict:12} {text[:60]}  -- {reason[:120]}")
    return 1 if total.misses else 0


if __name__ == "__main__":
    sys.exit(main())
