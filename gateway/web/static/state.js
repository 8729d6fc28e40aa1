// What the page shows and for whom, and how it tells the user something.

import { ApiError } from "./api.js";
import * as texts from "./texts.js";

const { t } = texts;
export const $ = (id) => document.getElementById(id);

export const state = {
  msisdn: null,
  summary: null,
  tab: "dialer",
  dialled: "",
  ussd: null, // {session_id, text, end, waiting}
  call: null, // {call_id, to, prompt, state, path}
  threads: null,
  peer: null, // the open SMS thread; "" while composing a new one
  historyRead: false, // the inbox as it was when the page opened the subscriber
  socket: null,
  live: false,
};
let noticeTimer = null;

export function notice(text, kind = "info") {
  const box = $("notice");
  box.textContent = text;
  box.className = `notice ${kind}`;
  box.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { box.hidden = true; }, kind === "error" ? 15000 : 6000);
}

function explain(error) {
  if (!(error instanceof ApiError)) return t("error.default", { message: String(error) });
  if (error.code === "network") return t("error.network");
  if (texts.has(`error.${error.code}`)) return t(`error.${error.code}`);
  return t("error.default", { message: error.message });
}

export const fail = (error) => notice(explain(error), "error");

export function switchedOff() {
  return Boolean(state.summary && !state.summary.switched_on);
}
