// The REST API, as the dashboard calls it. Errors come back as ProblemDetails: thrown as ApiError,
// whose `errors` map JSON pointers ("/graph/nodes/3/config/units") to messages.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
    this.errors = problem?.errors ?? {};
  }
}

async function request(method, path, body) {
  const init = { method, headers: {} };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

export const api = {
  runs: (status) => request("GET", `/api/runs?limit=200${status ? `&status=${status}` : ""}`),
  run: (id) => request("GET", `/api/runs/${id}`),
  metrics: (id) => request("GET", `/api/runs/${id}/metrics`),
  cancel: (id) => request("POST", `/api/runs/${id}/cancel`),
  createRun: (body) => request("POST", "/api/runs", body),
  graphs: () => request("GET", "/api/graphs"),
  graph: (id) => request("GET", `/api/graphs/${id}`),
  summary: (graph) => request("POST", "/api/graphs/summary", graph),
  datasets: () => request("GET", "/api/datasets"),
  dataset: (id) => request("GET", `/api/datasets/${id}`),
  upload: (file) => {
    const form = new FormData();
    form.append("file", file, file.name);
    return request("POST", "/api/datasets", form);
  },
};
