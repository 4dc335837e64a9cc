"use strict";
// The check page: verdicts as the user types (debounced), the text kept in local storage.
(function () {
  const KEY = "dlderive.check";
  const DELAY = 400;
  const MARK = { valid: "✓", invalid: "✗", unverifiable: "?" };
  const source = document.getElementById("source");
  const model = document.getElementById("model");
  const cellFile = document.getElementById("cellfile");
  const cellName = document.getElementById("cellname");
  const example = document.getElementById("example");
  const status = document.getElementById("status");
  const list = document.getElementById("relations");
  const lines = document.getElementById("lines");
  let cell = null, timer = null, inflight = null, sequence = 0;

  function save() {
    localStorage.setItem(KEY, JSON.stringify({ text: source.value, model: model.value, cell: cell }));
  }

  function restore() {
    try {
      const saved = JSON.parse(localStorage.getItem(KEY) || "{}");
      source.value = saved.text || "";
      if (saved.cell) { cell = saved.cell; }
      if (saved.model && [...model.options].some(o => o.value === saved.model)) { model.value = saved.model; }
      showCell();
    } catch (e) { localStorage.removeItem(KEY); }
  }

  function showCell() {
    const name = cell && (cell.match(/^\s*name\s*=\s*"([^"]*)"/m) || [])[1];
    cellName.textContent = model.value === "@cell" ? (cell ? "cell: " + (name || "(unnamed)") : "no file chosen") : "";
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function counterexample(c) {
    if (!c) { return ""; }
    const parts = Object.entries(c.values || {}).map(([k, v]) => k + " = " + v);
    let out = parts.join(", ");
    if (c.lhs !== undefined) { out += (out ? "; " : "") + "left side " + c.lhs + ", right side " + c.rhs; }
    return out;
  }

  // "cannot read: ... (line L, column C)" points at the construct in the source.
  function pointer(reason) {
    const m = /\(line (\d+), column (\d+)\)/.exec(reason || "");
    return m && reason.startsWith("cannot read") ? { line: +m[1], column: +m[2] } : null;
  }

  function render(data) {
    const report = data.report, mathml = data.mathml || [];
    list.replaceChildren();
    const byLine = new Map(), carets = new Map();
    report.relations.forEach((r, i) => {
      const li = el("li", "relation " + r.verdict + (r.first_wrong ? " first-wrong" : ""));
      li.dataset.line = r.line;
      li.dataset.verdict = r.verdict;
      li.append(el("span", "mark", MARK[r.verdict]), el("span", "line", "line " + r.line));
      const math = el("span", "math");
      if (mathml[i] && mathml[i].startsWith("<math")) { math.innerHTML = mathml[i]; } else { math.append(el("code", "", r.latex)); }
      li.append(math);
      const why = el("div", "reason", r.reason);
      li.append(why);
      const ce = counterexample(r.counterexample);
      if (ce) { li.append(el("div", "counterexample", "counterexample: " + ce)); }
      if (r.first_wrong) { li.append(el("div", "first", "first wrong step of this chain")); }
      li.addEventListener("click", () => select(r.line));
      list.append(li);
      const marks = byLine.get(r.line) || [];
      marks.push(r);
      byLine.set(r.line, marks);
      const p = pointer(r.reason);
      if (p) { carets.set(p.line, p); }
    });
    const s = report.summary;
    let text = s.relations + " relations: " + s.valid + " valid, " + s.invalid + " invalid, " + s.unverifiable + " unverifiable";
    if (report.error) { text += " (" + report.error + ")"; }
    (report.notes || []).forEach(n => { text += "; " + n; });
    status.textContent = text;
    status.className = s.invalid ? "bad" : "muted";
    showLines(byLine, carets);
  }

  function showLines(byLine, carets) {
    lines.replaceChildren();
    source.value.split("\n").forEach((content, i) => {
      const n = i + 1, marks = byLine.get(n) || [];
      const row = el("div", "src");
      row.dataset.line = n;
      if (marks.some(r => r.first_wrong)) { row.classList.add("first-wrong"); }
      else if (marks.some(r => r.verdict === "invalid")) { row.classList.add("invalid"); }
      else if (marks.some(r => r.verdict === "unverifiable")) { row.classList.add("unverifiable"); }
      row.append(el("span", "gutter", String(n).padStart(3)), el("span", "marks", marks.map(r => MARK[r.verdict]).join("").padEnd(2)),
        el("span", "text", content));
      lines.append(row);
      const caret = carets.get(n);
      if (caret) {
        const under = el("div", "src caret");
        under.append(el("span", "gutter", "   "), el("span", "marks", "  "), el("span", "text", " ".repeat(Math.max(caret.column - 1, 0)) + "^ cannot read from here"));
        lines.append(under);
      }
    });
  }

  function select(line) {
    const rows = source.value.split("\n");
    const start = rows.slice(0, line - 1).reduce((a, r) => a + r.length + 1, 0);
    source.focus();
    source.setSelectionRange(start, start + (rows[line - 1] || "").length);
  }

  async function check() {
    const text = source.value;
    save();
    if (inflight) { inflight.abort(); }
    if (!text.trim()) { list.replaceChildren(); lines.replaceChildren(); status.textContent = "No relations yet."; return; }
    const body = { text: text, name: "<text>" };
    if (model.value === "@cell") { if (!cell) { status.textContent = "Choose a cell TOML file."; return; } body.cell = cell; }
    else if (model.value) { body.model = model.value; }
    const mine = ++sequence;
    inflight = new AbortController();
    status.textContent = "Checking…";
    try {
      const response = await fetch("/api/check/view", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal: inflight.signal,
      });
      const data = await response.json();
      if (mine !== sequence) { return; }
      if (!response.ok) { status.textContent = data.error || ("error " + response.status); status.className = "bad"; return; }
      render(data);
    } catch (e) {
      if (e.name !== "AbortError" && mine === sequence) { status.textContent = "The server did not answer."; status.className = "bad"; }
    }
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, DELAY);
  }

  async function loadExamples() {
    const response = await fetch("/api/examples");
    const data = await response.json();
    data.examples.forEach(e => { const o = el("option", "", e.title); o.value = e.name; example.append(o); });
  }

  example.addEventListener("change", async () => {
    if (!example.value) { return; }
    const response = await fetch("/api/examples/" + encodeURIComponent(example.value));
    const data = await response.json();
    source.value = data.text;
    model.value = data.model || "";
    showCell();
    example.value = "";
    check();
  });
  model.addEventListener("change", () => {
    if (model.value === "@cell" && !cell) { cellFile.click(); }
    showCell();
    later();
  });
  cellFile.addEventListener("change", async () => {
    if (cellFile.files.length) { cell = await cellFile.files[0].text(); showCell(); later(); }
  });
  source.addEventListener("input", later);
  source.addEventListener("dragover", e => e.preventDefault());
  source.addEventListener("drop", async e => {
    e.preventDefault();
    const file = e.dataTransfer.files[0];
    if (file) { source.value = await file.text(); check(); }
  });

  restore();
  loadExamples();
  if (source.value.trim()) { check(); }
})();
