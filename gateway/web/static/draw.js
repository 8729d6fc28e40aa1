// Drawing the handset and the account panel from the state.

import { $, state } from "./state.js";
import * as texts from "./texts.js";

const { t } = texts;

export function showAccount(summary) {
  if (state.msisdn && summary.msisdn !== state.msisdn) return;
  state.summary = summary;
  $("acc-balance").textContent = t("rub", { amount: summary.balance });
  $("acc-tariff").textContent = named(summary.tariff_name, summary.tariff);
  $("acc-tariff").title = summary.tariff;
  showItems("acc-options", summary.options, summary.option_names);
  showItems("acc-subscriptions", summary.subscriptions, summary.subscription_names);
  $("acc-blocked").hidden = !summary.blocked;
  $("acc-locked").hidden = !summary.locked;
  $("acc-roaming").checked = summary.roaming;
  $("acc-switched-on").checked = summary.switched_on;
  renderStatus();
  $("switched-off").hidden = summary.switched_on;
}

/** A catalogue name in the page's language (the summary has every locale); the code without one. */
function named(names, code) {
  return (names && (names[texts.locale()] || Object.values(names)[0])) || code;
}

function showItems(id, codes = [], names = []) {
  $(id).textContent = codes.map((code, index) => named(names[index], code)).join(", ") || t("none");
  $(id).title = codes.join(", ");
}

export function render() {
  const picked = Boolean(state.msisdn);
  const phoneApp = state.ussd ? "ussd" : state.call ? "call" : "dialer";
  const app = !picked ? "empty" : state.tab === "sms" ? "sms" : phoneApp;
  for (const name of ["empty", "dialer", "ussd", "call", "sms"]) $(`app-${name}`).hidden = app !== name;
  $("tab-dialer").classList.toggle("active", state.tab === "dialer");
  $("tab-sms").classList.toggle("active", state.tab === "sms");
  $("keypad").classList.toggle("hidden", state.tab === "sms" && picked);
  $("device").classList.toggle("sms-open", state.tab === "sms" && picked);
  $("dialled").textContent = state.dialled;
  if (state.ussd) {
    $("ussd-text").textContent = state.ussd.text;
    $("ussd-form").hidden = state.ussd.end || state.ussd.waiting;
    $("ussd-end").hidden = !state.ussd.end;
  }
  if (state.call) {
    const title = state.call.state === "ended" ? t("call_ended")
      : state.call.state === "connecting" ? t("calling", { number: state.call.to })
        : t("call_active", { number: state.call.to });
    $("call-title").textContent = title;
    $("call-prompt").textContent = state.call.prompt;
    $("call-keys").textContent = state.call.path.length ? t("keys_pressed", { keys: state.call.path.join("") }) : "";
  }
  renderStatus();
  if (picked) renderSms();
}

export function renderStatus() {
  $("status-msisdn").textContent = state.msisdn || "";
  $("status-roaming").hidden = !(state.summary && state.summary.roaming && state.msisdn);
  const live = $("status-live");
  live.classList.toggle("off", !state.live);
  live.textContent = state.msisdn ? t(state.live ? "live" : "offline") : "";
}

export function renderSms() {
  const threads = state.threads;
  if (!threads) return;
  if (state.tab === "sms" && state.peer) threads.markRead(state.peer); // on screen: read
  const unread = threads.unreadTotal();
  $("sms-badge").hidden = unread === 0;
  $("sms-badge").textContent = String(unread);
  const composing = state.peer !== null;
  $("sms-list").hidden = composing;
  $("sms-thread").hidden = !composing;
  if (!composing) {
    const peers = threads.peers();
    $("sms-none").hidden = peers.length > 0;
    $("sms-threads").replaceChildren(...peers.map((peer) => threadItem(peer, threads)));
    return;
  }
  $("sms-peer").textContent = state.peer || t("sms_new");
  $("sms-to").hidden = Boolean(state.peer);
  const list = $("sms-messages");
  list.replaceChildren(...threads.messages(state.peer).map(messageItem));
  list.scrollTop = list.scrollHeight;
}

function threadItem(peer, threads) {
  const messages = threads.messages(peer);
  const last = messages.at(-1);
  const unread = threads.unread.get(peer) || 0;
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.peer = peer;
  const line = document.createElement("span");
  line.className = "peer-line";
  const name = document.createElement("span");
  name.textContent = peer;
  line.append(name);
  if (unread) {
    const count = document.createElement("span");
    count.className = "unread";
    count.textContent = `● ${unread}`;
    line.append(count);
  }
  const preview = document.createElement("span");
  preview.className = "preview";
  preview.textContent = last.text;
  button.append(line, preview);
  item.append(button);
  return item;
}

function messageItem(message) {
  const item = document.createElement("li");
  item.className = message.dir;
  item.textContent = message.text;
  const time = document.createElement("time");
  time.dateTime = message.at;
  time.textContent = new Date(message.at).toLocaleString(texts.locale() === "en" ? "en-GB" : "ru-RU");
  item.append(time);
  return item;
}