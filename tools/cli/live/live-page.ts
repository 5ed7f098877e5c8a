/**
 * The live page, whole: HTML, CSS and a little plain JavaScript that renders the snapshots of
 * `/api/events` (live-server.ts). No framework and nothing fetched from elsewhere, so it works
 * offline and loads instantly. Elements carry `data-*` attributes the browser test reads.
 */
export const LIVE_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sluice dev</title>
<style>
  :root { --bg:#0f1419; --card:#171e26; --line:#26313d; --text:#d8dee6; --dim:#8b98a7; --accent:#4fb3ff; --warn:#f0b429; --bad:#ff6b6b; --ok:#3ecf8e; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; align-items:baseline; gap:16px; padding:14px 24px; border-bottom:1px solid var(--line); }
  header h1 { font-size:18px; margin:0; }
  header .dim { color:var(--dim); }
  #status[data-connected="true"]::before { content:"●"; color:var(--ok); margin-right:6px; }
  #status[data-connected="false"]::before { content:"●"; color:var(--bad); margin-right:6px; }
  main { padding:16px 24px; display:grid; gap:16px; }
  section.fn { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px; }
  section.fn h2 { margin:0 0 10px; font-size:16px; }
  section.fn h2 .topic { color:var(--dim); font-weight:normal; font-size:13px; margin-left:8px; }
  .tiles { display:grid; grid-template-columns:repeat(auto-fit, minmax(120px, 1fr)); gap:8px; margin-bottom:12px; }
  .tile { border:1px solid var(--line); border-radius:6px; padding:6px 10px; }
  .tile .label { color:var(--dim); font-size:11px; text-transform:uppercase; letter-spacing:.04em; }
  .tile .value { font-size:20px; font-variant-numeric:tabular-nums; }
  .tile .value.bad { color:var(--bad); }
  .tile .value.warn { color:var(--warn); }
  .charts { display:grid; grid-template-columns:repeat(auto-fit, minmax(220px, 1fr)); gap:8px; margin-bottom:12px; }
  .chart { border:1px solid var(--line); border-radius:6px; padding:6px 10px; }
  .chart .label { color:var(--dim); font-size:11px; text-transform:uppercase; display:flex; justify-content:space-between; }
  .chart svg { width:100%; height:48px; display:block; }
  .chart path.area { fill:rgba(79,179,255,.15); stroke:none; }
  .chart path.line { fill:none; stroke:var(--accent); stroke-width:1.5; }
  table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
  th, td { text-align:right; padding:4px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
  th:first-child, td:first-child { text-align:left; }
  th { color:var(--dim); font-weight:normal; font-size:11px; text-transform:uppercase; }
  td.bad { color:var(--bad); } td.warn { color:var(--warn); }
  .empty { color:var(--dim); padding:24px; }
</style>
</head>
<body>
<header><h1>sluice dev</h1><span id="status" class="dim" data-connected="false">connecting…</span><span id="uptime" class="dim"></span></header>
<main id="functions"><div class="empty">waiting for the first numbers…</div></main>
<script>
"use strict";
const $ = (tag, attrs = {}, children = []) => {
  const el = document.createElementNS(tag === "svg" || tag === "path" ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of [].concat(children)) el.append(c);
  return el;
};
const num = (n) => n === null || n === undefined ? "–" : n >= 10000 ? Math.round(n).toLocaleString("en") : String(Math.round(n * 10) / 10);
const bytes = (n) => n === null || n === undefined ? "–" : n < 1024 ? n + " B" : n < 1048576 ? (n / 1024).toFixed(1) + " KiB" : (n / 1048576).toFixed(1) + " MiB";
const age = (ms) => {
  if (ms === null || ms === undefined) return "–";
  if (ms < 1000) return Math.round(ms) + " ms";
  if (ms < 60000) return (ms / 1000).toFixed(1) + " s";
  if (ms < 3600000) return Math.floor(ms / 60000) + " m " + Math.floor(ms % 60000 / 1000) + " s";
  return Math.floor(ms / 3600000) + " h " + Math.floor(ms % 3600000 / 60000) + " m";
};
function tile(label, value, metric, cls = "") {
  return $("div", { class: "tile" }, [$("div", { class: "label" }, label), $("div", { class: "value " + cls, "data-metric": metric }, value)]);
}
function chart(label, metric, points, format) {
  const w = 300, h = 48, n = points.length;
  const values = points.map((p) => p[metric]);
  const max = Math.max(1, ...values);
  const x = (i) => n < 2 ? w : (i / (n - 1)) * w;
  const y = (v) => h - 2 - (v / max) * (h - 4);
  const line = values.map((v, i) => (i ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1)).join(" ");
  const svg = $("svg", { viewBox: "0 0 " + w + " " + h, preserveAspectRatio: "none", "data-chart": metric, "data-points": String(n) },
    n ? [$("path", { class: "area", d: line + " L" + w + " " + h + " L0 " + h + " Z" }), $("path", { class: "line", d: line })] : []);
  const last = n ? format(values[n - 1]) : "–";
  return $("div", { class: "chart" }, [$("div", { class: "label" }, [$("span", {}, label), $("span", {}, "now " + last + " · max " + format(max))]), svg]);
}
function render(snapshot) {
  document.getElementById("uptime").textContent = "up " + age(snapshot.uptimeMs);
  const root = document.getElementById("functions");
  root.replaceChildren(...snapshot.functions.map((fn) => {
    const rows = fn.partitions.map((p) => $("tr", { "data-partition": String(p.partition) }, [
      $("td", {}, String(p.partition)),
      $("td", { "data-col": "rps" }, num(p.recordsPerSecond)),
      $("td", { "data-col": "lag", class: p.lag > 0 ? "warn" : "" }, num(p.lag)),
      $("td", { "data-col": "timeLag" }, age(p.timeLagMs)),
      $("td", { "data-col": "applied" }, num(p.applied)),
      $("td", { "data-col": "stateKeys" }, num(p.stateKeys)),
      $("td", { "data-col": "stateBytes" }, bytes(p.stateBytes)),
      $("td", { "data-col": "pendingOutbox", class: p.pendingOutbox > 0 ? "warn" : "" }, num(p.pendingOutbox)),
      $("td", { "data-col": "checkpointAge" }, age(p.checkpointAgeMs)),
      $("td", { "data-col": "failures", class: p.failures > 0 ? "bad" : "" }, num(p.failures)),
      $("td", { "data-col": "inFlight" }, p.inFlight ? "●" : ""),
    ]));
    const head = ["partition", "records/s", "lag", "time lag", "applied", "state keys", "state size", "pending outbox", "checkpoint age", "failures", "in flight"];
    return $("section", { class: "fn", "data-fn": fn.name }, [
      $("h2", {}, [fn.name, $("span", { class: "topic" }, "← " + fn.topic)]),
      $("div", { class: "tiles" }, [
        tile("records/s", num(fn.recordsPerSecond), "recordsPerSecond"),
        tile("done", num(fn.done), "done"),
        tile("lag (records)", num(fn.lag), "lag", fn.lag > 0 ? "warn" : ""),
        tile("time lag", age(fn.timeLagMs), "timeLagMs"),
        tile("state keys", num(fn.stateKeys), "stateKeys"),
        tile("state size", bytes(fn.stateBytes), "stateBytes"),
        tile("pending outboxes", num(fn.pendingOutboxes), "pendingOutboxes", fn.pendingOutboxes > 0 ? "warn" : ""),
        tile("failures", num(fn.failures), "failures", fn.failures > 0 ? "bad" : ""),
      ]),
      $("div", { class: "charts" }, [
        chart("records/s", "recordsPerSecond", fn.history, num),
        chart("lag (records)", "lag", fn.history, num),
        chart("time lag", "timeLagMs", fn.history, age),
      ]),
      $("table", {}, [$("thead", {}, $("tr", {}, head.map((h) => $("th", {}, h)))), $("tbody", {}, rows)]),
    ]);
  }));
  if (snapshot.functions.length === 0) root.replaceChildren($("div", { class: "empty" }, "no functions running"));
  document.body.dataset.updated = String(snapshot.time);
}
function connect() {
  const status = document.getElementById("status");
  const events = new EventSource("/api/events");
  events.onopen = () => { status.dataset.connected = "true"; status.textContent = "live"; };
  events.onmessage = (event) => render(JSON.parse(event.data));
  events.onerror = () => { status.dataset.connected = "false"; status.textContent = "disconnected: is sluice dev still running? retrying…"; };
}
connect();
</script>
</body>
</html>
`;
