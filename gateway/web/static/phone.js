// The web phone: one handset of the gateway — keypad, USSD dialogues, voice-menu calls,
// the SMS app and the account panel — driven through the handset API and its events.

import { refreshAccount, toggle } from "./account.js";
import { handset, request, watch } from "./api.js";
import {
  callChanged, cancelUssd, closeCall, closeUssd, forgetPending, hangUp, sendDtmf, sendReply, showUssd,
  startCall, ussd, ussdArrived,
} from "./dialogues.js";
import { render, renderSms, renderStatus, showAccount } from "./draw.js";
import { download, fill, record, recording, refusal, reserve, startRecording, stopRecording } from "./recorder.js";
import { Threads, peerOf } from "./sms.js";
import { hush, played, tone } from "./sound.js";
import { $, fail, notice, state, switchedOff } from "./state.js";
import * as texts from "./texts.js";

const { t } = texts;
const MAX_DIALLED = 40;
const RECENT_KEY = "webphone.recent";
const LANG_KEY = "webphone.lang";

// -- picking a subscriber --------------------------------------------------------------

async function openSubscriber(raw) {
  const number = raw.trim();
  if (!number) {
    notice(t("error.invalid_number"), "error");
    return false;
  }
  let summary;
  try {
    summary = await request("GET", `/api/v1/subscribers/${encodeURIComponent(number)}`);
  } catch (error) {
    fail(error);
    return false;
  }
  if (state.socket) state.socket.close();
  if (summary.msisdn !== state.msisdn) stopRecording(); // a recording is one handset's
  hush();
  forgetPending();
  Object.assign(state, {
    msisdn: summary.msisdn, ussd: null, call: null, dialled: "", peer: null, live: false, historyRead: false,
  });
  state.threads = new Threads(summary.msisdn);
  if (!localStorage.getItem(LANG_KEY)) switchLanguage(summary.locale, false);
  showAccount(summary);
  remember(summary.msisdn);
  $("pick-msisdn").value = summary.msisdn;
  if (location.hash !== `#${summary.msisdn}`) history.replaceState(null, "", `#${summary.msisdn}`);
  state.socket = watch(summary.msisdn, onEvent, onLive);
  render();
  notice(t("opened", { msisdn: summary.msisdn }));
  await pendingScreen();
  return true;
}

async function createSubscriber(event) {
  event.preventDefault();
  const body = {
    msisdn: $("add-msisdn").value.trim(),
    balance: $("add-balance").value.trim() || "0",
    locale: $("add-locale").value,
    roaming: $("add-roaming").checked,
  };
  const tariff = $("add-tariff").value.trim();
  if (tariff) body.tariff = tariff;
  if (!body.msisdn) {
    notice(t("error.invalid_number"), "error");
    return;
  }
  try {
    const summary = await request("POST", "/api/v1/subscribers", body);
    $("add").hidden = true;
    await openSubscriber(summary.msisdn);
    notice(t("created", { msisdn: summary.msisdn }));
  } catch (error) {
    fail(error);
  }
}

function remember(msisdn) {
  let recent = [];
  try {
    recent = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]");
  } catch {
    recent = [];
  }
  recent = [msisdn, ...recent.filter((m) => m !== msisdn)].slice(0, 10);
  localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
  showRecent(recent);
}

function showRecent(recent) {
  $("recent").replaceChildren(...recent.map((m) => Object.assign(document.createElement("option"), { value: m })));
}

// -- live events -------------------------------------------------------------------------

function onLive(live) {
  state.live = live;
  renderStatus();
  // Watching from now on: what reached the inbox before (or while the socket was away)
  // is read once; a message seen both ways is shown once.
  if (live) catchUp();
}

function onEvent(event) {
  if (event.type === "sms") smsArrived(event);
  else if (event.type === "ussd") ussdArrived(event);
  else if (event.type === "call") callChanged(event);
  else if (event.type === "account") showAccount(event);
}

/** Messages that reached the inbox while nobody watched: the handset's history on the first
 * read, news (unread, announced) after a reconnect. */
async function catchUp() {
  const msisdn = state.msisdn;
  const history = !state.historyRead;
  const since = state.threads.lastId ? `?since=${state.threads.lastId}` : "";
  try {
    const items = await request("GET", `${handset(msisdn)}/inbox${since}`);
    if (msisdn !== state.msisdn) return;
    for (const item of items) {
      if (history) state.threads.received(item);
      else smsArrived(item);
    }
    state.historyRead = true;
    renderSms();
  } catch (error) {
    fail(error);
  }
}

/** An open dialogue or an unseen notification left from before the page opened. */
async function pendingScreen() {
  try {
    const screen = await request("GET", `${handset(state.msisdn)}/ussd`);
    if (screen) showUssd(screen);
  } catch (error) {
    fail(error);
  }
}

function smsArrived(item) {
  if (!state.threads.received(item)) return;
  record({ sms_received: { from: item.from, text: item.text } });
  const reading = state.tab === "sms" && state.peer === item.from;
  if (!reading) {
    state.threads.markUnread(item.from);
    notice(t("sms_from", { from: item.from }));
  }
  renderSms();
}


// -- keypad --------------------------------------------------------------------------

function refuseSwitchedOff() {
  notice(t("error.switched_off"), "error");
}

function pressKey(key) {
  if (!state.msisdn) return;
  if (switchedOff()) {
    refuseSwitchedOff();
    return;
  }
  if (state.ussd && state.ussd.waiting) return;
  if (state.ussd && !state.ussd.end) {
    tone(key);
    const input = $("ussd-reply");
    input.value = (input.value + key).slice(0, 182);
    input.focus();
    return;
  }
  if (state.call && state.call.state === "active") {
    sendDtmf(key);
    return;
  }
  tone(key);
  state.ussd = null; // an ended screen gives way to the dialler
  if (state.call) closeCall();
  if (state.dialled.length < MAX_DIALLED) state.dialled += key;
  state.tab = "dialer";
  render();
}

function callKey() {
  if (!state.msisdn) return;
  if (switchedOff()) {
    refuseSwitchedOff();
    return;
  }
  if (state.ussd) {
    if (state.ussd.end) closeUssd();
    else sendReply();
    return;
  }
  if (state.call) return;
  const dialled = state.dialled.trim();
  if (!dialled) {
    notice(t("error.empty_number"), "error");
    return;
  }
  if (/^[*#]/.test(dialled)) ussd(dialled, true);
  else startCall(dialled);
}

function hangKey() {
  if (!state.msisdn) return;
  if (state.ussd) {
    if (state.ussd.end) closeUssd();
    else cancelUssd();
  } else if (state.call) {
    if (state.call.state === "ended" || !state.call.call_id) closeCall();
    else hangUp();
  } else {
    state.dialled = "";
    render();
  }
}

function eraseKey() {
  if (state.ussd && !state.ussd.end) {
    const input = $("ussd-reply");
    input.value = input.value.slice(0, -1);
  } else if (!state.ussd && !state.call) {
    state.dialled = state.dialled.slice(0, -1);
    render();
  }
}

// -- SMS ----------------------------------------------------------------------------------

function openThread(peer) {
  state.peer = peer;
  if (peer) state.threads.markRead(peer);
  renderSms();
  (peer ? $("sms-text") : $("sms-to")).focus();
}

async function sendSms(event) {
  event.preventDefault();
  const to = state.peer || $("sms-to").value.trim();
  const text = $("sms-text").value;
  if (!to) {
    notice(t("error.empty_to"), "error");
    $("sms-to").focus();
    return;
  }
  if (!text.trim()) {
    notice(t("error.empty_sms"), "error");
    $("sms-text").focus();
    return;
  }
  const button = $("sms-send");
  button.disabled = true;
  const at = new Date().toISOString(); // when sent, so the thread shows it before its reply
  const slot = reserve();
  try {
    const answer = await request("POST", `${handset(state.msisdn)}/sms`, { to, text });
    fill(slot, { sms: { to, text } });
    const peer = peerOf(to);
    state.threads.sent(peer, text, answer.id, at);
    $("sms-text").value = "";
    $("sms-to").value = "";
    state.peer = peer;
    renderSms();
    refreshAccount();
  } catch (error) {
    const code = refusal(error);
    if (code) fill(slot, { sms: { to, text, error: code } });
    fail(error); // the text stays in the field: nothing typed is lost
  } finally {
    button.disabled = false;
  }
}


function switchLanguage(locale, chosen) {
  texts.use(locale);
  $("lang").value = texts.locale();
  if (chosen) localStorage.setItem(LANG_KEY, texts.locale());
  texts.apply();
  if (state.summary) showAccount(state.summary);
  render();
}

// -- wiring -------------------------------------------------------------------------------------

function wire() {
  $("pick").addEventListener("submit", (event) => {
    event.preventDefault();
    openSubscriber($("pick-msisdn").value);
  });
  $("add-toggle").addEventListener("click", () => {
    $("add").hidden = !$("add").hidden;
    if (!$("add").hidden) $("add-msisdn").focus();
  });
  $("add").addEventListener("submit", createSubscriber);
  $("lang").addEventListener("change", () => switchLanguage($("lang").value, true));
  for (const key of document.querySelectorAll(".key[data-key]")) {
    key.addEventListener("click", () => pressKey(key.dataset.key));
  }
  $("key-call").addEventListener("click", callKey);
  $("key-hangup").addEventListener("click", hangKey);
  $("key-erase").addEventListener("click", eraseKey);
  $("ussd-form").addEventListener("submit", sendReply);
  $("ussd-cancel").addEventListener("click", cancelUssd);
  $("ussd-ok").addEventListener("click", closeUssd);
  $("tab-dialer").addEventListener("click", () => { state.tab = "dialer"; render(); });
  $("tab-sms").addEventListener("click", () => { state.tab = "sms"; state.peer = null; render(); });
  $("sms-compose").addEventListener("click", () => openThread(""));
  $("sms-threads").addEventListener("click", (event) => {
    const thread = event.target.closest("button[data-peer]");
    if (thread) openThread(thread.dataset.peer);
  });
  $("sms-back").addEventListener("click", () => { state.peer = null; renderSms(); });
  $("sms-form").addEventListener("submit", sendSms);
  $("acc-roaming").addEventListener("change", () => toggle("roaming", $("acc-roaming")));
  $("acc-switched-on").addEventListener("change", () => toggle("switched_on", $("acc-switched-on")));
  $("acc-refresh").addEventListener("click", refreshAccount);
  $("rec-on").addEventListener("change", () => {
    if ($("rec-on").checked && state.msisdn) startRecording(state.msisdn);
    else stopRecording();
    $("rec-on").checked = recording();
  });
  $("rec-download").addEventListener("click", download);
  $("speak").addEventListener("change", () => { if (!$("speak").checked) hush(); });
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
    if (state.tab === "sms") return;
    if (/^[0-9*#]$/.test(event.key)) pressKey(event.key);
    else if (event.key === "Enter") callKey();
    else if (event.key === "Backspace") eraseKey();
    else if (event.key === "Escape") hangKey();
    else return;
    event.preventDefault();
  });
}

async function start() {
  wire();
  try {
    await texts.load(["ru", "en"], request);
  } catch (error) {
    // Without the texts there is nothing localised to say; the API's own message will do.
    notice(String(error.message), "error");
    return;
  }
  switchLanguage(localStorage.getItem(LANG_KEY) || "ru", false);
  try {
    showRecent(JSON.parse(localStorage.getItem(RECENT_KEY) || "[]"));
  } catch {
    showRecent([]);
  }
  const fromLink = decodeURIComponent(location.hash.slice(1));
  if (fromLink) await openSubscriber(fromLink);
  document.body.dataset.ready = "true";
}

window.webphone = { state, played };
start();