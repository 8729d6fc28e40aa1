// The gateway's handset API over HTTP (docs/api.md) and its live events over a WebSocket.

/** An answer other than 2xx, or no answer at all (code "network"). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** One JSON request; resolves with the decoded body (null when empty), rejects with ApiError. */
export async function request(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, "network", String(error));
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    throw new ApiError(response.status, (data && data.error) || `http_${response.status}`,
      (data && data.message) || response.statusText);
  }
  return data;
}

export const handset = (msisdn) => `/api/v1/handsets/${encodeURIComponent(msisdn)}`;

/**
 * Watch a handset's events, reconnecting after a lost connection (0.5 s, doubling to 10 s).
 * onLive(true) once the server says it watches; onLive(false) when the socket is gone.
 */
export function watch(msisdn, onEvent, onLive) {
  let socket = null;
  let stopped = false;
  let delay = 500;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const open = () => {
    socket = new WebSocket(`${scheme}//${location.host}${handset(msisdn)}/events`);
    socket.onmessage = (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (event.type === "subscribed") {
        delay = 500;
        onLive(true);
      }
      onEvent(event);
    };
    socket.onclose = () => {
      if (stopped) return;
      onLive(false);
      setTimeout(() => { if (!stopped) open(); }, delay);
      delay = Math.min(delay * 2, 10000);
    };
  };
  open();
  return {
    close() {
      stopped = true;
      if (socket) socket.close();
    },
  };
}
