// The page's words: menus.yaml texts under `phone.`, fetched per locale from the gateway.

const loaded = {};
let current = "ru";

export async function load(locales, request) {
  await Promise.all(locales.map(async (locale) => {
    const answer = await request("GET", `/api/v1/texts?prefix=phone.&locale=${locale}`);
    loaded[locale] = answer.texts;
  }));
}

export function use(locale) {
  if (loaded[locale]) current = locale;
  document.documentElement.lang = current;
  return current;
}

export const locale = () => current;

/** `phone.<key>` in the current locale, `{name}` filled from values; the key itself when missing. */
export function t(key, values = {}) {
  const template = (loaded[current] || {})[`phone.${key}`];
  if (template === undefined) return key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export const has = (key) => `phone.${key}` in (loaded[current] || {});

/** Fill every [data-t], [data-t-placeholder] and [data-t-label] under root. */
export function apply(root = document) {
  for (const element of root.querySelectorAll("[data-t]")) element.textContent = t(element.dataset.t);
  for (const element of root.querySelectorAll("[data-t-placeholder]")) {
    element.placeholder = t(element.dataset.tPlaceholder);
  }
  for (const element of root.querySelectorAll("[data-t-label]")) {
    element.setAttribute("aria-label", t(element.dataset.tLabel));
    element.title = t(element.dataset.tLabel);
  }
  document.title = t("title");
}
