// Talking to the console API: bearer token (from ?token= once, kept in sessionStorage), JSON errors,
// and a fetch-based SSE reader (EventSource cannot send the Authorization header).

const TOKEN_KEY = "oncall.token";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Move a ?token=... from the address bar into sessionStorage, so it is not left in history. */
export function adoptToken() {
  const url = new URL(window.location.href);
  const token = url.searchParams.get("token");
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    url.searchParams.delete("token");
    history.replaceState(history.state, "", url);
  }
}

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function errorOf(res) {
  try {
    const body = await res.json();
    if (body && body.error) return new ApiError(res.status, body.error.code, body.error.message);
  } catch (_) {
    // not our JSON: fall through
  }
  return new ApiError(res.status, "http_error", `${res.status} ${res.statusText}`);
}

/** fetch() with the token; asks for the token once on 401. Returns the Response. */
export async function request(path, { json, method, headers, signal, retried } = {}) {
  const init = {
    method: method || (json === undefined ? "GET" : "POST"),
    headers: {
      ...authHeaders(),
      ...(json === undefined ? {} : { "Content-Type": "application/json" }),
      ...headers,
    },
    body: json === undefined ? undefined : JSON.stringify(json),
    signal,
    cache: "no-store",
  };
  const res = await fetch(path, init);
  if (res.status === 401 && !retried) {
    const token = window.prompt("This console needs its access token:");
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token.trim());
      return request(path, { json, method, headers, signal, retried: true });
    }
  }
  if (!res.ok) throw await errorOf(res);
  return res;
}

/** GET/POST returning parsed JSON (and the status). */
export async function api(path, options = {}) {
  const res = await request(path, options);
  return { status: res.status, body: await res.json() };
}

export async function text(path, options = {}) {
  const res = await request(path, options);
  return res.text();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Follow a run's event stream: replay, then live; reconnects with Last-Event-ID after a drop and stops
 * after run_finished (or a 204, which means there is nothing left to send).
 */
export async function followEvents(runId, onEvent, { signal, after = 0 } = {}) {
  let last = after;
  for (let attempt = 0; attempt < 30 && !signal?.aborted; attempt++) {
    let res;
    try {
      res = await request(`/api/runs/${encodeURIComponent(runId)}/events`, {
        headers: { Accept: "text/event-stream", ...(last ? { "Last-Event-ID": String(last) } : {}) },
        signal,
      });
    } catch (err) {
      if (signal?.aborted || err instanceof ApiError) throw err;
      await sleep(500 + attempt * 250);
      continue;
    }
    if (res.status === 204) return;
    const finished = await readStream(res.body, (event) => {
      last = event.seq;
      onEvent(event);
    });
    if (finished) return;
    await sleep(250);
  }
}

/** Parse text/event-stream; returns true once run_finished has been delivered. */
async function readStream(body, deliver) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let data = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      buffer += value;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop();
      for (const line of lines) {
        if (line === "") {
          if (data.length) {
            const event = JSON.parse(data.join("\n"));
            data = [];
            deliver(event);
            if (event.kind === "run_finished") return true;
          }
        } else if (line.startsWith("data:")) {
          data.push(line.slice(5).replace(/^ /, ""));
        } // id:, retry: and ": ping" comments need no handling: seq is in the data
      }
    }
  } catch (err) {
    if (err.name === "AbortError") throw err;
    return false; // dropped connection: the caller resumes from the last seq
  } finally {
    reader.releaseLock();
  }
}
