import "./style.css";
import { api, ApiError, apiKey, download } from "./api.js";
import * as live from "./live.js";
import { HeadCharts, groupByHead, headsOf, compareChart } from "./charts.js";
import { drawGraph } from "./diagram.js";

// Pages by the URL's hash, so the whole flow works without a page load:
//   #/             runs                 #/runs/{id}      a run, live
//   #/new          a new run            #/compare?runs=a,b&metric=loss
//   #/graphs/{id}  a stored graph's diagram

const page = document.getElementById("page");
const liveState = document.getElementById("live-state");
live.onLiveState((state) => {
  liveState.textContent = state;
  liveState.dataset.state = state;
});

const examples = Object.entries(import.meta.glob("../../../examples/*.json", { eager: true, import: "default" }))
  .map(([path, graph]) => ({ file: path.split("/").pop(), graph }))
  .sort((a, b) => a.file.localeCompare(b.file));

let leave = () => {};

async function route() {
  leave();
  leave = () => {};
  const [path, query] = (location.hash.slice(1) || "/").split("?");
  const params = new URLSearchParams(query ?? "");
  const parts = path.split("/").filter(Boolean);
  for (const link of document.querySelectorAll("[data-nav]"))
    link.classList.toggle("active", link.dataset.nav === (parts[0] === "runs" || parts.length === 0 ? "runs" : parts[0]));
  try {
    if (parts[0] === "runs" && parts[1]) leave = await runPage(parts[1]);
    else if (parts[0] === "new") leave = await newRunPage(params);
    else if (parts[0] === "compare") leave = await comparePage(params);
    else if (parts[0] === "graphs" && parts[1]) leave = await graphPage(parts[1]);
    else leave = await runsPage(params);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) signInPage(error);
    else page.innerHTML = `<section class="card error-box"><h2>Something went wrong</h2><p>${escape(error.message)}</p></section>`;
  }
}

// Signing in: the key goes to sessionStorage (this tab only) and every call's Authorization header.
function signInPage(error) {
  page.innerHTML = `<form id="sign-in" class="card sign-in">
    <h1>Sign in</h1>
    <p class="muted">This service needs an API key. ${apiKey.get() ? `<span class="field-error">${escape(error.message)}</span>` : ""}</p>
    <label>API key <input id="api-key" type="password" autocomplete="off" size="60" /></label>
    <button type="submit" class="primary">Sign in</button></form>`;
  page.querySelector("#sign-in").addEventListener("submit", async (e) => {
    e.preventDefault();
    apiKey.set(page.querySelector("#api-key").value.trim());
    await live.restart();
    route();
  });
}
window.addEventListener("hashchange", route);
route();

function escape(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

const fmt = (v, digits = 4) => (v === null || v === undefined ? "–" : typeof v === "number" ? (Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(digits)) : String(v));
const short = (id) => String(id).slice(-8);
const when = (t) => (t ? new Date(t).toLocaleString() : "–");
function duration(run) {
  if (!run.startedAt) return "–";
  const ms = (run.finishedAt ? new Date(run.finishedAt) : new Date()) - new Date(run.startedAt);
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
const progress = (epoch, epochs) =>
  `<div class="progress" title="${epoch} of ${epochs} epochs"><div style="width:${epochs ? (100 * epoch) / epochs : 0}%"></div><span>${epoch}/${epochs}</span></div>`;

// ---------------------------------------------------------------- runs

async function runsPage(params) {
  const status = params.get("status") ?? "";
  page.innerHTML = `<section class="card">
    <div class="toolbar"><h1>Runs</h1>
      <label>Status <select id="status-filter">${["", "queued", "running", "succeeded", "failed", "canceled"]
        .map((s) => `<option value="${s}" ${s === status ? "selected" : ""}>${s || "all"}</option>`).join("")}</select></label>
      <a class="button" href="#/new">New run</a></div>
    <table id="runs-table"><thead><tr><th>Run</th><th>Graph</th><th>Dataset</th><th>Status</th><th>Progress</th><th>Best val_loss</th><th>Node / device</th><th>Started</th><th>Duration</th><th></th></tr></thead><tbody></tbody></table>
    <p id="runs-empty" class="muted" hidden>No runs yet: <a href="#/new">start one</a>.</p></section>`;
  page.querySelector("#status-filter").addEventListener("change", (e) => (location.hash = e.target.value ? `#/?status=${e.target.value}` : "#/"));
  const [runs, graphs, datasets] = await Promise.all([api.runs(status), api.graphs(), api.datasets()]);
  const graphNames = new Map(graphs.map((g) => [g.id, g.name]));
  const datasetNames = new Map(datasets.map((d) => [d.id, d.name]));
  const body = page.querySelector("#runs-table tbody");
  const row = (run) => `<tr data-run-id="${run.id}" data-status="${run.status}">
      <td><a href="#/runs/${run.id}">${short(run.id)}</a></td>
      <td><a href="#/graphs/${run.graphId}">${escape(graphNames.get(run.graphId) ?? short(run.graphId))}</a></td>
      <td>${escape(datasetNames.get(run.datasetId) ?? (run.datasetId ? short(run.datasetId) : "deleted"))}</td>
      <td><span class="status ${run.status}">${run.status}</span></td>
      <td>${progress(run.epoch, run.epochs)}</td>
      <td>${fmt(run.bestValLoss)}</td>
      <td>${escape(run.node ?? "–")} / ${run.device}</td>
      <td>${when(run.startedAt)}</td>
      <td>${duration(run)}</td>
      <td>${run.status === "queued" || run.status === "running" ? `<button class="cancel" data-cancel="${run.id}">Cancel</button>` : ""}</td></tr>`;
  const render = () => {
    body.innerHTML = runs.items.map(row).join("");
    page.querySelector("#runs-empty").hidden = runs.items.length > 0;
  };
  render();
  body.addEventListener("click", async (e) => {
    const id = e.target.dataset?.cancel;
    if (!id) return;
    e.target.disabled = true;
    await api.cancel(id).catch(() => {});
  });
  // Live: any run's status or epoch: its row is read again (or added, when new and in the filter).
  const refresh = async (event) => {
    const run = await api.run(event.runId).catch(() => null);
    if (!run) return;
    const at = runs.items.findIndex((r) => r.id === run.id);
    if (status && run.status !== status) {
      if (at >= 0) runs.items.splice(at, 1);
    } else if (at >= 0) runs.items[at] = run;
    else runs.items.unshift(run);
    render();
  };
  const offs = [live.on("RunStatus", refresh), live.on("EpochEnd", refresh)];
  await live.subscribeAll();
  const timer = setInterval(() => body.querySelectorAll("tr[data-status=running]").length && render(), 1000);
  return () => {
    offs.forEach((off) => off());
    clearInterval(timer);
    live.unsubscribeAll();
  };
}

// ---------------------------------------------------------------- one run

async function runPage(id) {
  const run = await api.run(id);
  const graph = await api.graph(run.graphId);
  const outputs = graph.graph.outputs.map((o) => String(o).split(":")[0]);
  page.innerHTML = `<section class="card">
      <div class="toolbar"><h1>Run <code>${short(id)}</code></h1>
        <span id="run-status" class="status ${run.status}">${run.status}</span>
        <span class="muted">graph <a href="#/graphs/${run.graphId}">${escape(graph.name)}</a> · ${escape(run.node ?? "no node yet")} / ${run.device}</span>
        <span class="spacer"></span>
        <button id="download-weights">Download weights</button>
        <button id="download-tensorboard">TensorBoard files</button>
        <button id="cancel-run" ${run.status === "queued" || run.status === "running" ? "" : "hidden"}>Cancel</button></div>
      <div id="run-progress">${progress(run.epoch, run.epochs)}</div>
      <div id="batch-progress" class="muted">${run.status === "running" ? "waiting for the first batches…" : ""}</div>
      <div id="run-error" class="error-box" ${run.error ? "" : "hidden"}>${escape(run.error)}</div>
    </section>
    <section class="card"><h2>Metrics</h2><div id="charts" class="charts"></div><p id="charts-empty" class="muted">Charts appear as epochs end.</p></section>
    <section class="card"><h2>Graph</h2><div id="diagram" class="diagram"></div></section>
    <section class="card"><h2>Summary</h2><pre id="summary" class="summary">${escape(graph.summary.text)}</pre></section>
    <section class="card"><h2>Attempts</h2><table id="attempts"><thead><tr><th>#</th><th>Node</th><th>Device</th><th>Started</th><th>Ended</th><th>Outcome</th><th>Error</th></tr></thead><tbody></tbody></table></section>`;
  drawGraph(page.querySelector("#diagram"), graph.graph, graph.summary);
  const charts = new HeadCharts(page.querySelector("#charts"));
  const showAttempts = (r) => (page.querySelector("#attempts tbody").innerHTML = (r.attempts ?? []).map((a) =>
    `<tr><td>${a.attempt}</td><td>${escape(a.node)}</td><td>${a.device}</td><td>${when(a.startedAt)}</td><td>${when(a.endedAt)}</td><td>${a.outcome ?? "training"}${a.failureKind ? ` (${a.failureKind})` : ""}</td><td>${escape(a.error ?? "")}</td></tr>`).join(""));
  showAttempts(run);
  const showStatus = (status, epoch, epochs, error) => {
    const badge = page.querySelector("#run-status");
    badge.textContent = status;
    badge.className = `status ${status}`;
    page.querySelector("#run-progress").innerHTML = progress(epoch, epochs);
    page.querySelector("#cancel-run").hidden = !(status === "queued" || status === "running");
    const box = page.querySelector("#run-error");
    box.hidden = !error;
    box.textContent = error ?? "";
    if (status !== "running") page.querySelector("#batch-progress").textContent = "";
  };
  const addEpoch = (epoch, metrics, heads) => {
    charts.add(epoch, groupByHead(metrics, heads));
    page.querySelector("#charts-empty").hidden = true;
  };
  const save = (path, name) => download(path, name).catch((error) => alert(error.message));
  page.querySelector("#download-weights").addEventListener("click", () => save(`/api/runs/${id}/weights`, `run-${id}.safetensors`));
  page.querySelector("#download-tensorboard").addEventListener("click", () => save(`/api/runs/${id}/tensorboard`, `run-${id}-tensorboard.zip`));
  page.querySelector("#cancel-run").addEventListener("click", async (e) => {
    e.target.disabled = true;
    await api.cancel(id).catch(() => {});
  });

  // What has happened comes from the stream's replay (every durable event since the first); then it goes on live.
  const offs = [
    live.on("RunStatus", (e) => {
      if (e.runId !== id) return;
      showStatus(e.status, e.epoch, e.epochs, e.error);
      api.run(id).then(showAttempts).catch(() => {});
    }),
    live.on("EpochEnd", (e) => {
      if (e.runId !== id) return;
      addEpoch(e.epoch, e.metrics, e.heads);
      page.querySelector("#run-progress").innerHTML = progress(e.epoch, e.epochs);
    }),
    live.on("BatchProgress", (e) => {
      if (e.runId !== id) return;
      page.querySelector("#batch-progress").innerHTML =
        `epoch ${e.epoch}: batch ${e.batch} of ${e.batches} · loss ${fmt(e.loss)} <progress max="${e.batches}" value="${e.batch}"></progress>`;
    }),
  ];
  try {
    await live.subscribeRun(id, 0);
  } catch {
    // No live stream (offline): the stored metrics, as they are now.
    for (const m of await api.metrics(id)) addEpoch(m.epoch, m.metrics, headsOf(m.metrics, outputs));
  }
  return () => {
    offs.forEach((off) => off());
    live.unsubscribeRun(id);
    charts.destroy();
  };
}

// ---------------------------------------------------------------- a graph

async function graphPage(id) {
  const graph = await api.graph(id);
  page.innerHTML = `<section class="card"><div class="toolbar"><h1>Graph ${escape(graph.name)}</h1>
      <span class="muted">${graph.summary.totalParams.toLocaleString()} parameters</span>
      <a class="button" href="#/new?graph=${id}">Train it</a></div>
      <div id="diagram" class="diagram"></div></section>
    <section class="card"><h2>Summary</h2><pre class="summary">${escape(graph.summary.text)}</pre></section>`;
  drawGraph(page.querySelector("#diagram"), graph.graph, graph.summary);
  return () => {};
}

// ---------------------------------------------------------------- a new run

const defaultCompile = { optimizer: "rmsprop", loss: "sparse_categorical_crossentropy", metrics: ["acc"] };

async function newRunPage(params) {
  const [graphs, datasets] = await Promise.all([api.graphs(), api.datasets()]);
  page.innerHTML = `<form id="new-run" class="card new-run" novalidate>
    <h1>New run</h1>
    <fieldset><legend>Graph</legend>
      <div class="row"><label>Example <select id="graph-example"><option value="">—</option>${examples.map((e, i) => `<option value="${i}">${escape(e.file)}</option>`).join("")}</select></label>
      <label>Stored graph <select id="graph-stored"><option value="">—</option>${graphs.map((g) => `<option value="${g.id}">${escape(g.name)} (${g.totalParams.toLocaleString()} params)</option>`).join("")}</select></label>
      <button type="button" id="check-graph">Check graph</button></div>
      <label for="graph-json">Graph JSON (paste, or pick one above)</label>
      <textarea id="graph-json" rows="14" spellcheck="false" placeholder='{"inputs": [...], "nodes": [...], "outputs": [...]}'></textarea>
      <div class="field-errors" data-for="graph"></div>
      <div id="graph-check" class="muted"></div>
      <div id="new-diagram" class="diagram"></div>
    </fieldset>
    <fieldset><legend>Dataset</legend>
      <div class="row"><label>Stored dataset <select id="dataset-select"><option value="">—</option>${datasets.map((d) => `<option value="${d.id}">${escape(d.name)}</option>`).join("")}</select></label>
      <label>or upload (.npz, .npy, .csv) <input type="file" id="dataset-file" accept=".npz,.npy,.csv" /></label></div>
      <ul id="dataset-arrays" class="arrays"></ul>
      <div class="field-errors" data-for="dataset"></div>
    </fieldset>
    <fieldset><legend>Compile and fit</legend>
      <label for="compile-json">compile (Keras's model.compile arguments as JSON)</label>
      <textarea id="compile-json" rows="4" spellcheck="false">${escape(JSON.stringify(defaultCompile, null, 1))}</textarea>
      <div class="field-errors" data-for="compile"></div>
      <div class="row">
        <label>epochs <input id="fit-epochs" type="number" min="1" value="5" /></label>
        <label>batch_size <input id="fit-batch-size" type="number" min="1" value="32" /></label>
        <label>validation_split <input id="fit-validation-split" type="number" min="0" max="0.9" step="0.05" value="0.2" /></label>
      </div>
      <div class="field-errors" data-for="fit"></div>
      <details><summary>inputs / targets mapping (optional)</summary>
        <label for="mapping-json">{"inputs": {"graph input": "array"}, "targets": {"output": "array"}}</label>
        <textarea id="mapping-json" rows="3" spellcheck="false"></textarea>
        <div class="field-errors" data-for="mapping"></div></details>
    </fieldset>
    <div class="field-errors" data-for="other"></div>
    <button type="submit" id="submit-run" class="primary">Start training</button>
  </form>`;
  const $ = (s) => page.querySelector(s);
  const graphText = $("#graph-json");
  let datasetId = "";

  const clearErrors = () => page.querySelectorAll(".field-errors").forEach((e) => (e.innerHTML = ""));
  const showErrors = (error) => {
    clearErrors();
    const entries = Object.entries(error.errors ?? {});
    if (entries.length === 0) entries.push(["", [error.message]]);
    for (const [pointer, messages] of entries) {
      const field = pointer.startsWith("/graph") ? "graph"
        : pointer.startsWith("/dataset") ? "dataset"
        : pointer.startsWith("/compile") ? "compile"
        : pointer.startsWith("/fit") ? "fit"
        : pointer.startsWith("/inputs") || pointer.startsWith("/targets") ? "mapping"
        : "other";
      const box = page.querySelector(`.field-errors[data-for="${field}"]`);
      for (const message of [].concat(messages))
        box.insertAdjacentHTML("beforeend", `<p class="field-error" data-pointer="${escape(pointer)}"><code>${escape(pointer || "request")}</code> ${escape(message)}</p>`);
    }
    page.querySelector(".field-errors:not(:empty)")?.scrollIntoView({ block: "center" });
  };
  const parse = (text, field) => {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new ApiError(400, { title: "Not JSON", errors: { [field]: [`This is not JSON: ${e.message}`] } });
    }
  };
  const showGraph = async (graphId) => {
    const stored = await api.graph(graphId);
    graphText.value = JSON.stringify(stored.graph, null, 1);
    drawGraph($("#new-diagram"), stored.graph, stored.summary);
  };

  $("#graph-example").addEventListener("change", (e) => {
    if (e.target.value === "") return;
    $("#graph-stored").value = "";
    graphText.value = JSON.stringify(examples[e.target.value].graph, null, 1);
    $("#new-diagram").innerHTML = "";
  });
  $("#graph-stored").addEventListener("change", (e) => e.target.value && ($("#graph-example").value = "", showGraph(e.target.value)));
  graphText.addEventListener("input", () => ($("#graph-stored").value = ""));
  $("#check-graph").addEventListener("click", async () => {
    clearErrors();
    try {
      const summary = await api.summary(parse(graphText.value, "/graph"));
      $("#graph-check").textContent = `Valid: ${summary.totalParams.toLocaleString()} parameters.`;
      drawGraph($("#new-diagram"), JSON.parse(graphText.value), summary);
    } catch (error) {
      $("#graph-check").textContent = "";
      // The summary endpoint's pointers are the graph's own: under /graph in a run request.
      if (error instanceof ApiError) error.errors = Object.fromEntries(Object.entries(error.errors).map(([k, v]) => [k.startsWith("/graph") ? k : `/graph${k}`, v]));
      showErrors(error);
    }
  });

  const showArrays = (dataset) =>
    ($("#dataset-arrays").innerHTML = dataset.arrays.map((a) => `<li><code>${escape(a.name)}</code> ${a.dtype} (${a.shape.join(", ")})</li>`).join(""));
  $("#dataset-select").addEventListener("change", async (e) => {
    datasetId = e.target.value;
    $("#dataset-arrays").innerHTML = "";
    if (datasetId) showArrays(await api.dataset(datasetId));
  });
  $("#dataset-file").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    clearErrors();
    $("#dataset-arrays").innerHTML = `<li class="muted">uploading ${escape(file.name)}…</li>`;
    try {
      const dataset = await api.upload(file);
      datasetId = dataset.id;
      $("#dataset-select").insertAdjacentHTML("beforeend", `<option value="${dataset.id}">${escape(dataset.name)}</option>`);
      $("#dataset-select").value = dataset.id;
      showArrays(dataset);
    } catch (error) {
      $("#dataset-arrays").innerHTML = "";
      showErrors(error instanceof ApiError && Object.keys(error.errors).length === 0 ? new ApiError(error.status, { ...error.problem, errors: { "/dataset": [error.message] } }) : error);
    }
  });

  if (params.get("graph")) {
    $("#graph-stored").value = params.get("graph");
    await showGraph(params.get("graph"));
  }

  $("#new-run").addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors();
    const submit = $("#submit-run");
    submit.disabled = true;
    try {
      const body = {
        datasetId: datasetId || null,
        compile: parse($("#compile-json").value, "/compile"),
        fit: {
          epochs: Number($("#fit-epochs").value),
          batch_size: Number($("#fit-batch-size").value),
          validation_split: Number($("#fit-validation-split").value),
        },
        ...($("#mapping-json").value.trim() ? parse($("#mapping-json").value, "/inputs") : {}),
      };
      if ($("#graph-stored").value) body.graphId = $("#graph-stored").value;
      else body.graph = parse(graphText.value || "null", "/graph");
      const run = await api.createRun(body);
      location.hash = `#/runs/${run.id}`;
    } catch (error) {
      showErrors(error);
    } finally {
      submit.disabled = false;
    }
  });
  return () => {};
}

// ---------------------------------------------------------------- compare

async function comparePage(params) {
  const chosen = (params.get("runs") ?? "").split(",").filter(Boolean);
  const metric = params.get("metric") ?? "loss";
  const [runs, graphs] = await Promise.all([api.runs(), api.graphs()]);
  const graphNames = new Map(graphs.map((g) => [g.id, g.name]));
  page.innerHTML = `<section class="card"><h1>Compare runs</h1>
    <p class="muted">Pick two or more runs and one metric: their curves share one chart.</p>
    <div class="row"><label>Metric <input id="compare-metric" list="metric-names" value="${escape(metric)}" /></label><datalist id="metric-names"></datalist>
      <button id="compare-go" class="primary">Compare</button></div>
    <ul id="compare-runs" class="pick">${runs.items.map((r) => `<li><label><input type="checkbox" value="${r.id}" ${chosen.includes(r.id) ? "checked" : ""} />
      <code>${short(r.id)}</code> ${escape(graphNames.get(r.graphId) ?? "")} <span class="status ${r.status}">${r.status}</span> ${r.epoch}/${r.epochs}</label></li>`).join("")}</ul>
    <div id="compare-chart" class="charts"></div></section>`;
  const $ = (s) => page.querySelector(s);
  $("#compare-go").addEventListener("click", () => {
    const ids = [...page.querySelectorAll("#compare-runs input:checked")].map((i) => i.value);
    location.hash = `#/compare?runs=${ids.join(",")}&metric=${encodeURIComponent($("#compare-metric").value)}`;
  });
  if (chosen.length > 0) {
    const series = await Promise.all(chosen.map(async (id) => ({ label: short(id), metrics: await api.metrics(id) })));
    const names = [...new Set(series.flatMap((s) => s.metrics.flatMap((m) => Object.keys(m.metrics))))];
    $("#metric-names").innerHTML = names.map((n) => `<option value="${escape(n)}"></option>`).join("");
    compareChart($("#compare-chart"), metric, series);
  }
  return () => {};
}
