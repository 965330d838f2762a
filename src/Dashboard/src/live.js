import * as signalR from "@microsoft/signalr";
import { apiKey } from "./api.js";

// One connection to /hubs/training for the whole page. Handlers register per event; a run's
// subscription remembers the highest durable sequence seen, and after an automatic reconnect the
// page subscribes again from there (docs/live-metrics.md), so nothing is missed or seen twice.

const handlers = { RunStatus: new Set(), EpochEnd: new Set(), BatchProgress: new Set() };
const lastSeen = new Map(); // runId -> highest durable sequence delivered
let watchingAll = false;
let stateListener = () => {};

const connection = new signalR.HubConnectionBuilder()
  // Browsers cannot put headers on WebSockets: the client sends the key as the access_token query, which the API takes on the hub's path only.
  .withUrl("/hubs/training", { accessTokenFactory: () => apiKey.get() ?? "" })
  .withAutomaticReconnect([0, 500, 1000, 2000, 5000, 10000])
  .configureLogging(signalR.LogLevel.Warning)
  .build();

for (const kind of Object.keys(handlers)) {
  connection.on(kind, (event) => {
    if (kind !== "BatchProgress" && lastSeen.has(event.runId)) {
      if (event.sequence <= lastSeen.get(event.runId)) return; // already delivered
      lastSeen.set(event.runId, event.sequence);
    }
    for (const handler of handlers[kind]) handler(event);
  });
}

connection.onreconnecting(() => stateListener("reconnecting…"));
connection.onreconnected(async () => {
  stateListener("live");
  for (const [runId, sequence] of lastSeen) await connection.invoke("SubscribeRun", runId, sequence);
  if (watchingAll) await connection.invoke("SubscribeAll");
});
connection.onclose(() => stateListener("offline"));

let started = connection.start().then(() => stateListener("live")).catch(() => stateListener("offline"));

/** After signing in or out: connect again with the new key. */
export async function restart() {
  await connection.stop();
  lastSeen.clear();
  watchingAll = false;
  started = connection.start().then(() => stateListener("live")).catch(() => stateListener("offline"));
  await started;
}

export function onLiveState(listener) {
  stateListener = listener;
}

export function on(kind, handler) {
  handlers[kind].add(handler);
  return () => handlers[kind].delete(handler);
}

export async function subscribeRun(runId, afterSequence = 0) {
  await started;
  lastSeen.set(runId, afterSequence);
  await connection.invoke("SubscribeRun", runId, afterSequence);
}

export async function unsubscribeRun(runId) {
  lastSeen.delete(runId);
  if (connection.state === signalR.HubConnectionState.Connected) await connection.invoke("UnsubscribeRun", runId);
}

export async function subscribeAll() {
  await started;
  watchingAll = true;
  await connection.invoke("SubscribeAll");
}

export async function unsubscribeAll() {
  watchingAll = false;
  if (connection.state === signalR.HubConnectionState.Connected) await connection.invoke("UnsubscribeAll");
}
