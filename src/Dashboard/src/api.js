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

// The API key lives in this tab's sessionStorage only: never in a URL, gone when the tab closes.
const keyName = "trainservice.apiKey";
export const apiKey = {
  get: () => sessionStorage.getItem(keyName),
  set: (key) => sessionStorage.setItem(keyName, key),
  clear: () => sessionStorage.removeItem(keyName),
};

async function request(method, path, body) {
  const init = { method, headers: {} };
  if (apiKey.get()) init.headers.Authorization = `Bearer ${apiKey.get()}`;
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

/** A file the API serves (weights, TensorBoard zip), fetched with the key and saved by the browser. */
export async function download(path, fileName) {
  const response = await fetch(path, { headers: apiKey.get() ? { Authorization: `Bearer ${apiKey.get()}` } : {} });
  if (!response.ok) {
    const text = await response.text();
    throw new ApiError(response.status, text ? JSON.parse(text) : null);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: fileName });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
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
