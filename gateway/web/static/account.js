// The account panel's requests: the summary and the handset toggles.

import { handset, request } from "./api.js";
import { showAccount } from "./draw.js";
import { record } from "./recorder.js";
import { fail, state } from "./state.js";

export async function refreshAccount() {
  if (!state.msisdn) return;
  const msisdn = state.msisdn;
  try {
    const summary = await request("GET", `/api/v1/subscribers/${msisdn}`);
    if (msisdn === state.msisdn) showAccount(summary);
  } catch (error) {
    fail(error);
  }
}

export async function toggle(field, input) {
  if (!state.msisdn) {
    input.checked = !input.checked;
    return;
  }
  input.disabled = true;
  try {
    showAccount(await request("PATCH", handset(state.msisdn), { [field]: input.checked }));
    record({ [field]: input.checked });
  } catch (error) {
    input.checked = !input.checked;
    fail(error);
  } finally {
    input.disabled = false;
  }
}