// The native API: JSON calls and SSE streams, with the user's key when one is set.

const base = new URL("../", location.href);
let bearer = "";

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function setKey(key) {
  bearer = key;
}

function headers(extra = {}) {
  return bearer ? { ...extra, Authorization: `Bearer ${bearer}` } : extra;
}

async function apiError(response) {
  let message = response.statusText || `HTTP ${response.status}`;
  let code = "";
  try {
    const body = await response.json();
    message = body.error?.message ?? message;
    code = body.error?.code ?? "";
  } catch {
    // not JSON: keep the status text
  }
  return new ApiError(response.status, message, code);
}

export async function call(method, path, body) {
  const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(new URL(path, base), init);
  if (!response.ok) throw await apiError(response);
  return response.status === 204 ? null : response.json();
}

// Start a run and yield its events as they arrive (EventSource cannot POST, so fetch + parse).
export async function* startRun(agent, body) {
  const response = await fetch(new URL(`agents/${encodeURIComponent(agent)}/runs`, base), {
    method: "POST",
    headers: headers({ "Content-Type": "application/json", Accept: "text/event-stream" }),
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await apiError(response);
  yield* events(response);
}

// Every event of a run, replayed from the start (while the host still keeps them).
export async function* replayRun(runId) {
  const url = new URL(`runs/${encodeURIComponent(runId)}/events?after=-1`, base);
  const response = await fetch(url, { headers: headers({ Accept: "text/event-stream" }) });
  if (!response.ok) throw await apiError(response);
  yield* events(response);
}

async function* events(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""))
        .join("\n");
      if (data) yield JSON.parse(data); // comment frames (pings) carry no data
    }
  }
}
