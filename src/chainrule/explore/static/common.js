// The page's shared helpers: the API call, the error banner, element building, and the tabs.
// Each view script registers cr.views.<name> = {init(section), show?(section)}; init runs once,
// the first time its tab opens. The page draws; every number comes from the server's API.
"use strict";

const cr = {
  views: {},

  // POST a JSON object to /api/<route>; resolves to the answer, or shows the error and rejects.
  async api(route, payload = {}) {
    let response;
    try {
      response = await fetch("/api/" + route, {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify(payload),
      });
    } catch (err) {
      cr.showError("the server does not answer: " + err.message);
      throw err;
    }
    let answer;
    try {
      answer = await response.json();
    } catch (err) {
      answer = {error: "the server's answer is not JSON (status " + response.status + ")"};
    }
    if (!response.ok) {
      const message = answer.error || "request failed with status " + response.status;
      cr.showError(message, response.status);
      const err = new Error(message);
      err.status = response.status;
      throw err;
    }
    cr.clearError();
    return answer;
  },

  showError(message, status) {
    const box = document.getElementById("error");
    box.textContent = (status ? status + ": " : "") + message;
    box.hidden = false;
  },

  clearError() {
    const box = document.getElementById("error");
    box.hidden = true;
    box.textContent = "";
  },

  // el("div", {class: "x", onclick: f}, child, "text", ...) -> a new element.
  el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  },

  // The API's base64 float32 arrays (little-endian) -> Float32Array.
  floats(b64) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return new Float32Array(bytes.buffer);
  },

  // Number formatting as the slides: fixed decimals, "-0.00" printed as "0.00".
  fmt(x, digits = 2) {
    if (x === null || x === undefined) return "";
    if (typeof x !== "number") return String(x);
    const s = x.toFixed(digits);
    return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
  },

  show(name) {
    for (const tab of document.querySelectorAll("#tabs button")) {
      tab.setAttribute("aria-selected", tab.dataset.view === name ? "true" : "false");
    }
    for (const section of document.querySelectorAll("section.view")) {
      section.hidden = section.id !== "view-" + name;
    }
    const view = cr.views[name];
    const section = document.getElementById("view-" + name);
    if (view && !section.dataset.ready) {
      section.dataset.ready = "1";
      view.init(section);
    } else if (view && view.show) {
      view.show(section);
    }
    if (location.hash !== "#" + name) history.replaceState(null, "", "#" + name);
  },

  start() {
    for (const tab of document.querySelectorAll("#tabs button")) {
      tab.addEventListener("click", () => cr.show(tab.dataset.view));
    }
    const first = location.hash.slice(1);
    cr.show(document.getElementById("view-" + first) ? first : "network");
  },
};
window.cr = cr;
