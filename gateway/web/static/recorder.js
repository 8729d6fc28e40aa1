// The Record toggle: what the handset does and what it shows, collected as events in the
// page; the gateway turns them into scenario YAML (POST /api/v1/scenarios/record) with
// the same rules as `gateway phone --record` (docs/scenarios.md), secrets kept out.

import { ApiError } from "./api.js";
import { $, fail, notice } from "./state.js";
import * as texts from "./texts.js";

const { t } = texts;
let events = null; // null while not recording
let lastRecording = []; // kept after Record is switched off, for the download
let msisdn = null;

export const recording = () => events !== null;

export function startRecording(number) {
  events = [];
  msisdn = number;
  show();
}

export function stopRecording() {
  if (events === null) return;
  lastRecording = events;
  events = null;
  show();
}

/** One event (a scenario step, `sms_received`, `pressed` or `secret_reply`), when recording. */
export function record(event) {
  if (events === null) return;
  events.push(event);
  show();
}

/** A place for the steps of a request whose answer is on its way: news that comes in
 * meanwhile (the reply SMS of a service number, the password SMS) is recorded after it. */
export function reserve() {
  if (events === null) return null;
  const slot = { steps: [] };
  events.push(slot);
  return slot;
}

export function fill(slot, ...steps) {
  if (slot === null) return;
  slot.steps = steps;
  show();
}

/** A refused request as the step that expects the same refusal; nothing for a lost answer. */
export function refusal(error) {
  return error instanceof ApiError && error.status >= 400 && error.status < 500 ? error.code : null;
}

const flat = (list) => list.flatMap((event) => (event.steps ? event.steps : [event]));

function show(list = events) {
  const steps = flat(list || lastRecording).length;
  $("rec-on").checked = events !== null;
  $("rec-status").textContent = events !== null || steps ? t("recording", { steps }) : "";
  $("rec-download").disabled = steps === 0;
}

/** The recording (going on, or the last one) as a scenario file the browser saves. */
export async function download() {
  const list = flat(events !== null ? events : lastRecording);
  if (!list.length || !msisdn) {
    notice(t("record_empty"), "error");
    return;
  }
  let response;
  try {
    response = await fetch("/api/v1/scenarios/record", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ msisdn, events: list }),
    });
  } catch (error) {
    fail(new ApiError(0, "network", String(error)));
    return;
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    fail(new ApiError(response.status, body.error || `http_${response.status}`, body.message || ""));
    return;
  }
  const url = URL.createObjectURL(new Blob([await response.text()], { type: "application/yaml" }));
  const link = Object.assign(document.createElement("a"), { href: url, download: `recorded-${msisdn}.yaml` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
