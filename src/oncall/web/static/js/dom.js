// Building DOM nodes from data, always as text: strings become text nodes, never markup.
// Attributes are set one by one; `href` is allow-listed so data can never yield a javascript: link.

const SAFE_HREF = /^(https?:\/\/|\/(?!\/)|#|\?)/i;

/** Is `href` safe to put in a link (http(s), same-site path, anchor)? */
export function safeHref(href) {
  return typeof href === "string" && SAFE_HREF.test(href.trim());
}

/**
 * Create an element: h("div", {class: "x", dataset: {id: 1}}, "text", child, [more]).
 * Children that are strings or numbers are appended as text nodes.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "text") el.textContent = String(value);
    else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "href") {
      if (safeHref(String(value))) el.setAttribute("href", String(value));
    } else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/** Append children (nodes, strings, arrays, null) to `parent`. */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replace all children of `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** Find the element with this id under `root`, or create it with `make()` and add it with `add(el)`. */
export function upsert(root, id, make, add = (el) => root.append(el)) {
  let el = root.querySelector(`[data-key="${CSS.escape(id)}"]`);
  if (!el) {
    el = make();
    el.dataset.key = id;
    add(el);
  }
  return el;
}

export function fmtNumber(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "–";
  return Number(value).toLocaleString("en-US", { maximumFractionDigits: digits });
}

export function fmtDuration(ms) {
  if (ms === null || ms === undefined) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} m ${Math.round((ms % 60000) / 1000)} s`;
}

export function fmtTime(unixSeconds) {
  if (!unixSeconds) return "";
  const d = new Date(unixSeconds * 1000);
  return d.toLocaleString("en-GB", { dateStyle: "short", timeStyle: "medium" });
}
