"""The stylesheet and script inlined into the ``html`` report (no external assets).

The script only adds behaviour (sorting, filtering): with scripts off the page shows
every finding and every number. The Content-Security-Policy of the page allows exactly
these two blocks, by hash, so markup smuggled in through a cloud resource's name could
not run even if escaping failed.
"""

from __future__ import annotations

import base64
import hashlib

CSS = """
:root {
  --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #fff; --panel: #f6f8fa;
  --pass: #1a7f37; --fail: #cf222e; --error: #9a6700; --info: #0969da;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); margin: 0; }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 1.25rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem;
  margin-top: 2rem; }
h3 { font-size: 1.1rem; margin: 0 0 .5rem; }
h4 { font-size: .95rem; margin: 1rem 0 .25rem; }
h5 { font-size: .9rem; margin: .75rem 0 .25rem; }
code, .id { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  overflow-wrap: anywhere; }
.meta { color: var(--muted); margin: 0; }
nav ul { list-style: none; padding: 0; display: flex; gap: 1rem; flex-wrap: wrap; }
.banner { border: 2px solid; border-radius: 6px; padding: .6rem .9rem; margin: 1rem 0;
  font-weight: 600; }
.banner.incomplete { border-color: var(--error); background: #fff8c5; }
.banner.complete { border-color: var(--pass); background: #dafbe1; }
.banner p { margin: .25rem 0 0; font-weight: 400; }
.totals { display: flex; gap: 1.5rem; flex-wrap: wrap; margin: .5rem 0; padding: 0; }
.totals div { background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
  padding: .4rem .8rem; }
.totals dt { font-size: .8rem; color: var(--muted); }
.totals dd { margin: 0; font-size: 1.3rem; font-weight: 700; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .45rem; text-align: left;
  vertical-align: top; }
thead th { background: var(--panel); position: sticky; top: 0; }
#findings-table { font-size: 13.5px; }
#findings-table th { white-space: nowrap; }
#findings-table td code { overflow-wrap: break-word; }
#findings-table td:nth-child(8) { min-width: 15rem; }
th button { font: inherit; font-weight: 700; background: none; border: 0; padding: 0;
  cursor: pointer; color: inherit; text-align: left; }
th button::after { content: " \\2195"; color: var(--muted); }
th[aria-sort="ascending"] button::after { content: " \\2191"; color: var(--fg); }
th[aria-sort="descending"] button::after { content: " \\2193"; color: var(--fg); }
.badge { display: inline-block; border-radius: 4px; padding: 0 .4rem; font-weight: 700;
  font-size: .8rem; border: 1px solid; white-space: nowrap; }
.s-PASS, .v-pass { color: var(--pass); border-color: var(--pass); }
.s-FAIL, .v-fail { color: var(--fail); border-color: var(--fail); }
.s-ERROR, .v-incomplete { color: var(--error); border-color: var(--error); }
.v-not_evaluated, .sup { color: var(--muted); border-color: var(--muted); }
.cards { display: grid; gap: 1rem; }
.card { border: 1px solid var(--line); border-left: 6px solid var(--muted);
  border-radius: 6px; padding: .9rem 1rem; }
.card.c-fail { border-left-color: var(--fail); }
.card.c-pass { border-left-color: var(--pass); }
.card.c-incomplete { border-left-color: var(--error); }
.card .verdict { font-size: 1rem; }
.counts { display: flex; gap: 1.25rem; flex-wrap: wrap; margin: .5rem 0; }
.counts dt { font-size: .8rem; color: var(--muted); }
.counts dd { margin: 0; font-weight: 700; font-size: 1.1rem; }
.manual { background: var(--panel); border-radius: 4px; padding: .2rem .75rem .4rem; }
.failing li, .errors li { margin: .2rem 0; }
.remedy { border-left: 3px solid var(--info); padding-left: .6rem; margin: .3rem 0; }
.charts { display: flex; gap: 2rem; flex-wrap: wrap; align-items: flex-start; }
figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: .4rem; }
.legend { list-style: none; padding: 0; margin: .4rem 0; display: flex; gap: 1rem;
  flex-wrap: wrap; font-size: .85rem; }
.key { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem;
  vertical-align: -1px; border: 1px solid var(--fg); }
.k-pass { background: var(--pass); } .k-fail { background: var(--fail); }
.k-error { background: repeating-linear-gradient(45deg, var(--error) 0 2px, #fff 2px 4px); }
.k-critical { background: #82071e; } .k-high { background: #cf222e; }
.k-medium { background: #bc4c00; } .k-low { background: #9a6700; }
.k-info { background: #57606a; }
#filters { display: flex; gap: .75rem; flex-wrap: wrap; align-items: end;
  margin: .5rem 0; }
#filters label { display: flex; flex-direction: column; font-size: .8rem;
  color: var(--muted); }
#filters input, #filters select { font: inherit; padding: .2rem .3rem; }
details summary { cursor: pointer; color: var(--info); }
details dl { margin: .3rem 0; }
details dt { font-weight: 600; }
details dd { margin: 0 0 .3rem 0; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; font-size: 12px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
footer { color: var(--muted); font-size: .85rem; padding: 2rem 1.25rem; }
@media print {
  body { font-size: 10.5pt; }
  nav, #filters, #shown, th button::after { display: none; }
  thead th { position: static; }
  .card, tr, figure { break-inside: avoid; }
  .key, .banner { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
"""

JS = """
(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var shown = document.getElementById("shown");

  function key(cell) {
    var v = cell.getAttribute("data-sort");
    return v === null ? cell.textContent.trim() : v;
  }
  function compare(a, b) {
    var x = Number(a), y = Number(b);
    if (a !== "" && b !== "" && !isNaN(x) && !isNaN(y)) { return x - y; }
    return a.localeCompare(b, undefined, {numeric: true, sensitivity: "base"});
  }
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, index) {
    if (th.hasAttribute("data-nosort")) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", function () {
      var descending = th.getAttribute("aria-sort") === "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      var sign = descending ? -1 : 1;
      var keyed = rows.map(function (r) {
        return {row: r, key: key(r.cells[index]), order: Number(r.dataset.order)};
      });
      keyed.sort(function (a, b) {
        var c = compare(a.key, b.key);
        return c !== 0 ? sign * c : a.order - b.order;
      });
      var sorted = document.createDocumentFragment();
      keyed.forEach(function (k) { sorted.appendChild(k.row); });
      body.appendChild(sorted);
    });
  });

  var form = document.getElementById("filters");
  var fields = {
    text: document.getElementById("f-text"),
    status: document.getElementById("f-status"),
    severity: document.getElementById("f-severity"),
    control: document.getElementById("f-control"),
    provider: document.getElementById("f-provider")
  };
  function apply() {
    var text = fields.text.value.trim().toLowerCase();
    var count = 0;
    rows.forEach(function (r) {
      var ok = (!fields.status.value || r.dataset.status === fields.status.value) &&
        (!fields.severity.value || r.dataset.severity === fields.severity.value) &&
        (!fields.provider.value || r.dataset.provider === fields.provider.value) &&
        (!fields.control.value ||
          r.dataset.controls.split(" ").indexOf(fields.control.value) >= 0) &&
        (!text || r.textContent.toLowerCase().indexOf(text) >= 0);
      r.hidden = !ok;
      if (ok) { count += 1; }
    });
    shown.textContent = "Showing " + count + " of " + rows.length + " findings";
  }
  Object.keys(fields).forEach(function (name) {
    fields[name].addEventListener("input", apply);
    fields[name].addEventListener("change", apply);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.hidden = false;
  shown.hidden = false;
  apply();
})();
"""


def csp_hash(text: str) -> str:
    """The CSP source expression that allows exactly this inline block."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


CSP = (
    "default-src 'none'; "
    f"style-src {csp_hash(CSS)}; "
    f"script-src {csp_hash(JS)}; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)
