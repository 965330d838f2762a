import dagre from "@dagrejs/dagre";

// The graph drawn as Keras's plot_model draws it: one box per input and per layer call, with the
// layer's type and output shape, edges as the data flows (top to bottom). A call of a shared layer
// is dashed and names the layer it calls again; a nested model is a double box.

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

export function drawGraph(container, graph, summary) {
  const rows = new Map((summary?.layers ?? []).map((r) => [r.name, r]));
  const nodesByName = new Map(graph.nodes.map((n) => [n.name, n]));
  const definer = (node) => {
    const seen = new Set();
    while (node?.share && !seen.has(node.name)) {
      seen.add(node.name);
      node = nodesByName.get(node.share);
    }
    return node;
  };
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 28, ranksep: 42, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));

  const boxes = [];
  for (const input of graph.inputs) {
    boxes.push({ id: input.name, kind: "input", title: input.name, type: "InputLayer", shape: `(None, ${input.shape.map((d) => d ?? "None").join(", ")})` });
  }
  for (const node of graph.nodes) {
    const layer = definer(node);
    const row = rows.get(layer?.name ?? node.name);
    boxes.push({
      id: node.name,
      kind: node.share ? "shared" : node.type === "Model" ? "model" : "layer",
      title: node.name,
      type: node.share ? `${layer?.type ?? "?"} · shares ${layer?.name ?? node.share}` : node.type === "Model" ? `Model ${node.config?.name ?? ""}`.trim() : node.type,
      shape: row?.outputShape ?? "",
    });
  }
  for (const box of boxes) {
    const width = 16 + 7 * Math.max(box.title.length, box.type.length, box.shape.length);
    g.setNode(box.id, { ...box, width, height: box.shape ? 58 : 42 });
  }
  for (const node of graph.nodes) {
    const inputs = Array.isArray(node.inputs) ? node.inputs : [node.inputs];
    for (const ref of inputs.flat()) {
      const from = String(ref).split(":")[0];
      if (g.hasNode(from)) g.setEdge(from, node.name);
    }
  }
  dagre.layout(g);

  const { width, height } = g.graph();
  const edges = g.edges().map((e) => {
    const points = g.edge(e).points.map((p) => `${p.x},${p.y}`).join(" ");
    return `<polyline class="edge" data-from="${escape(e.v)}" data-to="${escape(e.w)}" points="${points}" marker-end="url(#arrow)" />`;
  });
  const outputs = new Set(graph.outputs.map((o) => String(o).split(":")[0]));
  const nodes = g.nodes().map((id) => {
    const n = g.node(id);
    const x = n.x - n.width / 2;
    const y = n.y - n.height / 2;
    const double = n.kind === "model" ? `<rect class="inner" x="${x + 4}" y="${y + 4}" width="${n.width - 8}" height="${n.height - 8}" rx="4" />` : "";
    return `<g class="node ${n.kind}${outputs.has(id) ? " output" : ""}" data-node="${escape(id)}">
      <rect x="${x}" y="${y}" width="${n.width}" height="${n.height}" rx="6" />${double}
      <text x="${n.x}" y="${y + 17}" class="title">${escape(n.title)}</text>
      <text x="${n.x}" y="${y + 33}" class="type">${escape(n.type)}</text>
      ${n.shape ? `<text x="${n.x}" y="${y + 49}" class="shape">${escape(n.shape)}</text>` : ""}
    </g>`;
  });
  container.innerHTML = `<svg class="graph-diagram" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Graph diagram">
    <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" /></marker></defs>
    ${edges.join("")}${nodes.join("")}</svg>
    <p class="legend"><span class="key layer"></span> layer <span class="key shared"></span> another call of a shared layer <span class="key model"></span> nested model <span class="key output"></span> model output</p>`;
}
