// The phone app's two kinds of session: USSD dialogues and voice-menu calls.

import { handset, request } from "./api.js";
import { refreshAccount } from "./account.js";
import { render } from "./draw.js";
import { $, fail, notice, state } from "./state.js";
import { hush, speak, tone } from "./sound.js";
import { fill, record, recording, refusal, reserve } from "./recorder.js";
import * as texts from "./texts.js";

const { t } = texts;
let dtmfQueue = Promise.resolve();
let ussdTicket = 0; // the USSD request whose answer the screen waits for; others are stale

/** Answers still on their way are for a screen that is gone (another subscriber, a release). */
export function forgetPending() {
  ussdTicket += 1;
}

/** A screen the handset did not ask for: a push, or the end of a dialogue that timed out. */
export function ussdArrived(screen) {
  const mine = state.ussd && state.ussd.session_id === screen.session_id;
  if (mine && state.ussd.waiting) return; // the answer to our own request is on its way
  showUssd(screen);
  state.tab = "dialer";
  render();
}

export async function ussd(input, dialling) {
  const msisdn = state.msisdn;
  const ticket = ++ussdTicket;
  const previous = state.ussd;
  state.ussd = { session_id: previous ? previous.session_id : null, text: t("ussd_running"), end: false, waiting: true };
  render();
  const slot = reserve();
  try {
    const screen = await request("POST", `${handset(msisdn)}/ussd`, { input });
    fill(slot, await recordedInput(dialling, input, screen), { expect: screen.text });
    if (ticket !== ussdTicket) return;
    if (dialling) state.dialled = "";
    showUssd(screen);
  } catch (error) {
    const code = refusal(error);
    // A reply that found no dialogue (it ended elsewhere) is no refusal a replay repeats.
    if (code && (dialling || code !== "invalid_ussd_string")) {
      fill(slot, dialling ? { dial: { input, error: code } } : { reply: { text: input, error: code } });
    }
    if (ticket !== ussdTicket) return;
    if (dialling) {
      state.ussd = null; // back to the dialler with the string still there to correct
    } else if (error.code === "invalid_ussd_string") {
      // The reply found no dialogue: it ended elsewhere while the screen was up. Say so.
      state.ussd = { session_id: previous && previous.session_id, text: t("ussd_ended"), end: true, waiting: false };
      render();
      return;
    } else {
      state.ussd = { ...previous, waiting: false }; // the screen stays; the reply can be corrected
    }
    render();
    fail(error);
  }
}

/** The dial or reply as recorded; a reply to a screen taking a secret (its dialogue record
 * says so) keeps only its place, never what was typed. */
async function recordedInput(dialling, input, screen) {
  if (dialling) return { dial: input };
  if (!recording()) return { reply: input };
  try {
    // The handset's records, the open dialogue first; each read waits for the records before it.
    const records = await request("GET", `${handset(state.msisdn)}/dialogues?limit=5`);
    const dialogue = records.find((record) => record.id === screen.session_id);
    const inputs = dialogue ? dialogue.steps.filter((step) => step.kind === "reply" || step.kind === "secret") : [];
    if (inputs.length && inputs.at(-1).kind !== "secret") return { reply: input };
  } catch {
    // No record to tell: below, the reply is kept out rather than risk a secret in the file.
  }
  return { secret_reply: true };
}

export function showUssd(screen) {
  state.ussd = { session_id: screen.session_id, text: screen.text, end: screen.end, waiting: false };
  if (screen.end) refreshAccount();
  render();
  if (!screen.end) $("ussd-reply").focus();
}

export function sendReply(event) {
  if (event) event.preventDefault();
  if (!state.ussd || state.ussd.end || state.ussd.waiting) return;
  const input = $("ussd-reply");
  const reply = input.value.trim();
  if (!reply) {
    notice(t("error.empty_reply"), "error");
    input.focus();
    return;
  }
  input.value = "";
  ussd(reply, false);
}

export async function cancelUssd() {
  const msisdn = state.msisdn;
  ussdTicket += 1;
  state.ussd = null;
  render();
  try {
    await request("DELETE", `${handset(msisdn)}/ussd`);
    record({ release: true });
  } catch (error) {
    fail(error);
  }
}

export function closeUssd() {
  ussdTicket += 1;
  state.ussd = null;
  render();
}

export async function startCall(number) {
  const msisdn = state.msisdn;
  state.call = { call_id: null, to: number, prompt: "", state: "connecting", path: [] };
  render();
  const slot = reserve();
  try {
    const call = await request("POST", `${handset(msisdn)}/calls`, { to: number });
    fill(slot, { call: number }, { expect_prompt: call.prompt });
    if (msisdn !== state.msisdn) return;
    state.dialled = "";
    callChanged(call);
  } catch (error) {
    const code = refusal(error);
    if (code) fill(slot, { call: { to: number, error: code } });
    if (msisdn !== state.msisdn) return;
    state.call = null;
    render();
    fail(error);
  }
}

export function callChanged(call) {
  const known = state.call && state.call.call_id;
  if (known && state.call.call_id !== call.call_id) return; // another call's late news
  if (!known && state.call && state.call.state !== "connecting" && call.state !== "active") return;
  const newPrompt = !state.call || state.call.prompt !== call.prompt;
  state.call = { call_id: call.call_id, to: call.to, prompt: call.prompt, state: call.state, path: call.path || [] };
  if (newPrompt && call.prompt && $("speak").checked) speak(call.prompt, state.summary && state.summary.locale);
  if (call.state === "ended") refreshAccount();
  state.tab = "dialer";
  render();
}

export function sendDtmf(key) {
  tone(key);
  const callId = state.call.call_id;
  if (!callId) return;
  // Tones go out one after the other, in the order they were pressed.
  dtmfQueue = dtmfQueue.then(async () => {
    const before = state.call && state.call.call_id === callId ? state.call.path.length : null;
    try {
      const call = await request("POST", `/api/v1/calls/${callId}/dtmf`, { digits: key });
      if (before !== null) {
        // The call's path shows a key typed where the menu asks for a secret as "*".
        const masked = key !== "*" && call.path.length > before && call.path[before] === "*";
        record({ pressed: { keys: key, masked: [masked] } });
        record({ expect_prompt: call.prompt });
      }
      callChanged(call);
    } catch (error) {
      fail(error);
    }
  });
}

export async function hangUp() {
  const callId = state.call.call_id;
  hush();
  try {
    const call = await request("DELETE", `/api/v1/calls/${callId}`);
    record({ hangup: true });
    callChanged(call);
  } catch (error) {
    fail(error);
    closeCall();
  }
}

export function closeCall() {
  hush();
  state.call = null;
  render();
}