// The network view's unit panel: how one value was computed (the network/unit answer, drawn).
// Conv: per input channel the receptive field (padded cells grey), the kernel, the products and
// their sum; then sum + bias and the activation after. Dense: the largest products of the dot product.
"use strict";

(() => {
  const D = 4; // decimals in the panel
  const SHOWN_CHANNELS = 3; // conv units: full tables for the first few input channels
  const SHOWN_PRODUCTS = 12; // dense units: the largest products by magnitude

  const num = (x) => (x === null ? "pad" : cr.fmt(x, D));

  function grid(rows, inside, cls) {
    return cr.el(
      "table",
      { class: "numbers " + (cls || "") },
      rows.map((row, u) =>
        cr.el("tr", {}, row.map((x, v) => cr.el("td", { class: inside && !inside[u][v] ? "pad" : "" }, num(x)))),
      ),
    );
  }

  function equation(a) {
    const parts = [
      "sum of products ",
      cr.el("span", { class: "value unit-sum" }, cr.fmt(a.sum, D)),
      " + bias ",
      cr.el("span", { class: "value unit-bias" }, cr.fmt(a.bias, D)),
      " = ",
      cr.el("b", { class: "value unit-pre" }, cr.fmt(a.pre, D)),
    ];
    if (a.next) parts.push(" \u2192 " + a.next.label + " \u2192 ", cr.el("b", { class: "value unit-next" }, cr.fmt(a.next.value, D)));
    return cr.el("div", { class: "eq" }, ...parts);
  }

  function stored(a) {
    return cr.el("div", { class: "muted" }, "the layer's output holds ", cr.el("span", { class: "value unit-value" }, cr.fmt(a.value, D)));
  }

  function conv(a) {
    const [f, i, j] = a.unit;
    const out = [
      cr.el("p", {}, `out[${f}, ${i}, ${j}] = \u03a3 over channels c and kernel cells (u, v) of ` +
        `x_pad[c, ${i}\u00b7${a.stride[0]} + u, ${j}\u00b7${a.stride[1]} + v] \u00b7 w[${f}, c, u, v] + b[${f}]` +
        `  (receptive field outlined in red on the previous layer; padding ${a.padding_mode}, grey cells)`),
    ];
    a.channels.slice(0, SHOWN_CHANNELS).forEach((c, k) => {
      out.push(
        cr.el(
          "div",
          { class: "chan" },
          cr.el("div", {}, cr.el("h4", {}, `input channel ${c}`), grid(a.inputs[k], a.inside)),
          cr.el("div", {}, cr.el("h4", {}, "\u00d7 kernel"), grid(a.weights[k])),
          cr.el("div", {}, cr.el("h4", {}, "= products"), grid(a.products[k], a.inside)),
          cr.el("div", {}, cr.el("h4", {}, "\u03a3"), cr.el("span", { class: "value" }, cr.fmt(a.channel_sums[k], D))),
        ),
      );
    });
    if (a.channels.length > SHOWN_CHANNELS) {
      out.push(
        cr.el("div", {}, `\u03a3 of each of the ${a.channels.length} input channels:`),
        cr.el("div", { class: "sums" }, a.channels.map((c, k) => cr.el("span", {}, `c${c}: ${cr.fmt(a.channel_sums[k], D)}`))),
      );
    }
    return out;
  }

  function dense(a) {
    const n = a.products.length;
    const order = [...Array(n).keys()].sort((p, q) => Math.abs(a.products[q]) - Math.abs(a.products[p]));
    const rows = order.slice(0, SHOWN_PRODUCTS).map((k) =>
      cr.el("tr", {}, cr.el("td", {}, k), cr.el("td", {}, num(a.inputs[k])), cr.el("td", {}, num(a.weights[k])),
        cr.el("td", {}, num(a.products[k]))),
    );
    return [
      cr.el("p", {}, `out[${a.unit[0]}] = \u03a3_k x[k] \u00b7 W[${a.unit[0]}, k] + b[${a.unit[0]}] over ${n} inputs; the largest products:`),
      cr.el("table", { class: "numbers" },
        cr.el("tr", {}, ["k", "x[k]", "W", "product"].map((h) => cr.el("th", {}, h))), rows),
      n > SHOWN_PRODUCTS ? cr.el("div", { class: "muted" }, `\u2026 and ${n - SHOWN_PRODUCTS} more products in the sum`) : null,
    ];
  }

  function pool(a) {
    const [c, i, j] = a.unit;
    return [
      cr.el("p", {}, `out[${c}, ${i}, ${j}] = ${a.reduce} of the window (outlined on the previous layer)`),
      grid(a.inputs[0]),
      cr.el("div", { class: "eq" }, `${a.reduce} = `, cr.el("b", { class: "value unit-pre" }, cr.fmt(a.value, D))),
    ];
  }

  function softmax(a, info) {
    const k = a.unit[0];
    return [
      cr.el("p", {}, `p[${info.classes[k]}] = exp(z[${k}] - max z) / \u03a3_j exp(z[j] - max z)`),
      cr.el("table", { class: "numbers" },
        cr.el("tr", {}, cr.el("th", {}, "class"), info.classes.map((c) => cr.el("th", {}, c))),
        cr.el("tr", {}, cr.el("th", {}, "logit z"), a.logits.map((z) => cr.el("td", {}, num(z)))),
        cr.el("tr", {}, cr.el("th", {}, "exp(z - max)"), a.exps.map((e) => cr.el("td", {}, num(e))))),
      cr.el("div", { class: "eq" }, `${num(a.exps[k])} / ${num(a.sum)} = `, cr.el("b", { class: "value unit-pre" }, cr.fmt(a.value, D))),
    ];
  }

  window.crNetworkUnit = function (a, info) {
    const where = a.unit.length === 3 ? `(${a.unit.join(", ")})` : `${a.unit[0]}`;
    const head = cr.el("h3", {}, `unit ${where} of ${a.label}`);
    if (a.op === "conv") return [head, ...conv(a), equation(a), stored(a)];
    if (a.op === "dense") return [head, ...dense(a), equation(a), stored(a)];
    if (a.op === "pool") return [head, ...pool(a), stored(a)];
    if (a.op === "softmax") return [head, ...softmax(a, info), stored(a)];
    if (a.op === "activation") {
      return [head, cr.el("div", { class: "eq" }, `${a.formula} with x = ${cr.fmt(a.input, D)} gives `,
        cr.el("b", { class: "value unit-pre" }, cr.fmt(a.value, D))), stored(a)];
    }
    if (a.op === "flatten") {
      return [head, cr.el("p", {}, `a copy of unit (${a.source.join(", ")}) of the previous layer`), stored(a)];
    }
    return [head, stored(a)];
  };
})();
