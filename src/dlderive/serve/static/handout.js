"use strict";
// The handout page: the chosen handout as HTML, rebuilt when its file changes on disk; downloads.
(function () {
  const file = document.getElementById("file");
  const seed = document.getElementById("seed");
  const toml = document.getElementById("toml");
  const status = document.getElementById("status");
  const preview = document.getElementById("preview");
  const KEY = "dlderive.handout";
  let timer = null, sequence = 0;

  function request(format) {
    const body = { answers: document.querySelector("input[name=version]:checked").value === "key", format: format };
    if (seed.value !== "") { body.seed = Number(seed.value); }
    if (file.value === "@pasted") { body.toml = toml.value; } else { body.file = file.value; }
    return fetch("/api/handout", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  }

  async function show() {
    toml.hidden = file.value !== "@pasted";
    localStorage.setItem(KEY, JSON.stringify({ file: file.value, toml: toml.value, seed: seed.value }));
    if (file.value === "@pasted" && !toml.value.trim()) { status.textContent = "Paste a handout TOML file."; return; }
    const mine = ++sequence;
    status.textContent = "Building…";
    const response = await request("html");
    if (mine !== sequence) { return; }
    if (!response.ok) { status.textContent = (await response.json()).error; status.className = "bad"; return; }
    preview.srcdoc = await response.text();
    status.textContent = "Built " + new Date().toLocaleTimeString() + ".";
    status.className = "muted";
  }

  async function download(format) {
    status.textContent = "Building " + format + "…";
    const response = await request(format);
    if (!response.ok) { status.textContent = (await response.json()).error; status.className = "bad"; return; }
    const name = (/filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "") || [])[1] || "handout." + format;
    const url = URL.createObjectURL(await response.blob());
    const a = document.createElement("a");
    a.href = url; a.download = name; document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    status.textContent = "Downloaded " + name + ".";
  }

  try {
    const saved = JSON.parse(localStorage.getItem(KEY) || "{}");
    if (saved.toml) { toml.value = saved.toml; }
    if (saved.file && [...file.options].some(o => o.value === saved.file)) { file.value = saved.file; }
    if (saved.seed) { seed.value = saved.seed; }
  } catch (e) { localStorage.removeItem(KEY); }

  file.addEventListener("change", show);
  seed.addEventListener("change", show);
  document.querySelectorAll("input[name=version]").forEach(r => r.addEventListener("change", show));
  toml.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(show, 500); });
  document.querySelectorAll("button[data-format]").forEach(b => b.addEventListener("click", () => download(b.dataset.format)));
  if (file.options.length > 1) {
    const events = new EventSource("/api/handouts/events");
    events.addEventListener("ready", () => { document.body.dataset.watching = "yes"; show(); });  // a change before this
    events.onmessage = e => { if (JSON.parse(e.data).includes(file.value)) { show(); } };
  }
  show();
})();
