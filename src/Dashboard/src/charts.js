import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

// Per-head charts of a run: the total loss, then one chart per output with its loss and every
// metric, training and validation on the same axes, as Keras's logs name them.

const palette = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];

/** Groups an epoch's Keras logs by head: {"": {loss, val_loss}, age: {loss, mae, val_loss, val_mae}, ...}. */
export function groupByHead(metrics, heads) {
  const groups = { "": {} };
  for (const [name, value] of Object.entries(metrics)) {
    if (name === "loss" || name === "val_loss") groups[""][name] = value;
  }
  for (const [head, values] of Object.entries(heads ?? {})) groups[head] = { ...values };
  // Single-output models have no per-head names: their metrics go with the total.
  if (Object.keys(heads ?? {}).length === 0)
    for (const [name, value] of Object.entries(metrics)) if (name !== "learning_rate") groups[""][name] = value;
  return groups;
}

/** Splits Keras names into heads without the server's grouping (stored metrics): the outputs' names are known. */
export function headsOf(metrics, outputs) {
  if (outputs.length < 2) return {};
  const heads = {};
  for (const output of outputs) {
    heads[output] = {};
    for (const [name, value] of Object.entries(metrics)) {
      if (name.startsWith(`${output}_`)) heads[output][name.slice(output.length + 1)] = value;
      else if (name.startsWith(`val_${output}_`)) heads[output]["val_" + name.slice(output.length + 5)] = value;
    }
  }
  return heads;
}

// Epochs are whole numbers: ticks only at integers.
const epochAxis = { label: "epoch", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] };

const asNumber = (v) => (typeof v === "number" ? v : v === "NaN" || v === "Infinity" || v === "-Infinity" ? NaN : Number(v));

export class HeadCharts {
  constructor(container) {
    this.container = container;
    this.charts = new Map(); // head -> {plot, names, data, element}
  }

  /** Adds an epoch (1-based) with its values grouped by head; new names and heads get their own series and charts. */
  add(epoch, groups) {
    for (const [head, values] of Object.entries(groups)) {
      if (Object.keys(values).length === 0) continue;
      let chart = this.charts.get(head);
      const names = Object.keys(values).sort((a, b) => a.replace(/^val_/, "").localeCompare(b.replace(/^val_/, "")) || a.localeCompare(b));
      if (!chart || names.some((n) => !chart.names.includes(n))) chart = this.#create(head, [...new Set([...(chart?.names ?? []), ...names])], chart);
      const at = chart.data[0].indexOf(epoch);
      if (at >= 0) chart.names.forEach((n, i) => (chart.data[i + 1][at] = asNumber(values[n] ?? null)));
      else {
        chart.data[0].push(epoch);
        chart.names.forEach((n, i) => chart.data[i + 1].push(values[n] === undefined ? null : asNumber(values[n])));
      }
      chart.plot.setData(chart.data);
      chart.element.dataset.epochs = String(chart.data[0].length);
    }
  }

  #create(head, names, previous) {
    previous?.plot.destroy();
    const element = previous?.element ?? document.createElement("figure");
    element.className = "head-chart";
    element.dataset.head = head || "total";
    element.innerHTML = `<figcaption>${head ? `Output <b>${head}</b>` : "Total loss"}</figcaption>`;
    if (!previous) this.container.append(element);
    const data = [previous?.data[0] ?? []];
    for (const name of names) {
      const old = previous ? previous.names.indexOf(name) : -1;
      data.push(old >= 0 ? previous.data[old + 1] : data[0].map(() => null));
    }
    const base = [...new Set(names.map((n) => n.replace(/^val_/, "")))];
    const series = [{ label: "epoch" }, ...names.map((name) => {
      const color = palette[base.indexOf(name.replace(/^val_/, "")) % palette.length];
      return { label: name, stroke: color, width: 2, dash: name.startsWith("val_") ? [6, 4] : undefined, points: { show: true, size: 5 } };
    })];
    const width = Math.max(320, Math.min(560, this.container.clientWidth / 2 - 24));
    const plot = new uPlot({ width, height: 220, series, scales: { x: { time: false } }, axes: [epochAxis, {}] }, data, element);
    const chart = { plot, names, data, element };
    this.charts.set(head, chart);
    return chart;
  }

  destroy() {
    for (const chart of this.charts.values()) chart.plot.destroy();
    this.charts.clear();
  }
}

/** One metric of several runs on one chart (the Compare page). */
export function compareChart(container, metric, runs) {
  const epochs = [...new Set(runs.flatMap((r) => r.metrics.map((m) => m.epoch)))].sort((a, b) => a - b);
  const data = [epochs, ...runs.map((r) => epochs.map((e) => {
    const row = r.metrics.find((m) => m.epoch === e);
    return row && row.metrics[metric] !== undefined ? asNumber(row.metrics[metric]) : null;
  }))];
  const series = [{ label: "epoch" }, ...runs.map((r, i) => ({ label: r.label, stroke: palette[i % palette.length], width: 2, points: { show: true, size: 5 } }))];
  container.innerHTML = "";
  const figure = document.createElement("figure");
  figure.className = "compare-chart";
  figure.dataset.series = String(runs.length);
  figure.innerHTML = `<figcaption>${metric}</figcaption>`;
  container.append(figure);
  return new uPlot({ width: Math.min(900, container.clientWidth - 16), height: 340, series, scales: { x: { time: false } }, axes: [epochAxis, {}] }, data, figure);
}
