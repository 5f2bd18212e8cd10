// The signal view: flip-and-slide 1-D convolution, one shift n at a time, and an LTI system's
// superposition. Every number comes from signal/table and signal/superposition (chainrule's
// signal.table, LTISystem); this file only lays them out. Registers cr.views.signal.
"use strict";

(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const GUTTER = 110; // px left of column k's first cell, in the stems and the table alike
  const PRESETS = [
    ["the lecture's example", "3, 1, 2", "3, 2, 1"],
    ["moving average", "1, 4, 2, 8, 5, 7", "0.5, 0.5"],
    ["first difference", "0, 1, 3, 6, 10, 15", "1, -1"],
    ["echo", "2, 1, 0, -1", "1, 0, 0, 0.5"],
  ];

  // svg("circle", {cx: 1}, ...children): an SVG element (cr.el makes HTML ones).
  function svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  // A sample as text: integers as they are, others with up to 6 significant digits.
  function num(v) {
    if (v === null || v === undefined) return "";
    if (Number.isInteger(v)) return String(v);
    const s = Number(v.toPrecision(6)).toString();
    return s === "-0" ? "0" : s;
  }

  // One row of stems: values[i] at column i (null: no sample), scaled so |v| <= scale fills half
  // the height; opts.cls colours it, opts.mark[i] (a class) marks single stems, opts.labels writes values
// (but zeros with opts.quietZeros).
  function stemRow(g, values, y0, half, colW, scale, opts = {}) {
    g.append(svg("line", {x1: 0, x2: values.length * colW, y1: y0, y2: y0, class: "axis"}));
    values.forEach((v, i) => {
      if (v === null || v === undefined) return;
      const x = (i + 0.5) * colW;
      const y = y0 - (scale ? (v / scale) * half : 0);
      const cls = ["stem", opts.cls || "", (opts.mark && opts.mark[i]) || ""].join(" ");
      const stem = svg("g", {class: cls});
      stem.append(svg("line", {x1: x, x2: x, y1: y0, y2: y}), svg("circle", {cx: x, cy: y, r: 3.2}));
      if (opts.labels && !(opts.quietZeros && v === 0)) {
        const ty = v >= 0 ? y - 6 : y + 13;
        stem.append(svg("text", {x, y: ty, "text-anchor": "middle"}, num(v)));
      }
      g.append(stem);
    });
  }

  function maxAbs(...lists) {
    let m = 0;
    for (const list of lists) for (const v of list) if (v !== null && v !== undefined) m = Math.max(m, Math.abs(v));
    return m || 1;
  }

  cr.views.signal = {
    init(section) {
      document.head.append(cr.el("link", {rel: "stylesheet", href: "/static/signal.css"}));
      const x = cr.el("input", {type: "text", id: "signal-x", value: PRESETS[0][1], size: 28, "aria-label": "x"});
      const h = cr.el("input", {type: "text", id: "signal-h", value: PRESETS[0][2], size: 20, "aria-label": "h"});
      const run = cr.el("button", {id: "signal-run", class: "primary"}, "Convolve");
      const presets = cr.el("select", {id: "signal-preset", "aria-label": "examples"},
        cr.el("option", {value: ""}, "examples…"),
        PRESETS.map(([name], i) => cr.el("option", {value: i}, name)));
      presets.addEventListener("change", () => {
        const p = PRESETS[presets.value];
        if (!p) return;
        x.value = p[1];
        h.value = p[2];
        presets.value = "";
        this.load(section);
      });
      run.addEventListener("click", () => this.load(section));
      for (const input of [x, h]) input.addEventListener("keydown", (e) => e.key === "Enter" && this.load(section));
      section.append(
        cr.el("h2", {}, "Signal: convolution by flip and slide"),
        cr.el("div", {class: "panel sig-inputs"},
          cr.el("label", {}, "x[n] = ", x), cr.el("label", {}, "h[n] = ", h), run, presets,
          cr.el("p", {class: "muted"},
            "Sequences start at n = 0. y[n] = Σ", cr.el("sub", {}, "k"), " x[k] h[n − k]: flip h, slide it to shift n, ",
            "multiply where it overlaps x, add. The same numbers as ",
            cr.el("code", {}, "chainrule convolve X H --table"), ".")),
        cr.el("div", {class: "panel", id: "signal-slide"}),
        cr.el("div", {class: "panel", id: "signal-lti"}));
      document.addEventListener("keydown", (e) => {
        if (section.hidden || !this.table || e.target.matches("input, select, textarea")) return;
        if (e.key === "ArrowRight") this.step(section, this.n + 1);
        else if (e.key === "ArrowLeft") this.step(section, this.n - 1);
      });
      this.load(section);
    },

    // The newest request wins: an older answer that arrives late (the page's first load, say) is
    // dropped instead of redrawing over it. data-busy is "1" until the newest answer is drawn.
    async load(section) {
      const ticket = (this.loads = (this.loads || 0) + 1);
      section.dataset.busy = "1";
      const payload = {x: section.querySelector("#signal-x").value, h: section.querySelector("#signal-h").value};
      let table, lti;
      try {
        [table, lti] = await Promise.all([cr.api("signal/table", payload), cr.api("signal/superposition", payload)]);
      } catch (err) {
        if (ticket === this.loads) section.dataset.busy = "0";
        return; // cr.api shows the message; the last good picture stays
      }
      if (ticket !== this.loads) return;
      this.stop();
      this.table = table;
      this.drawSlide(section.querySelector("#signal-slide"));
      this.drawLTI(section.querySelector("#signal-lti"), lti);
      this.step(section, 0);
      section.dataset.busy = "0";
    },

    // The panel for the flip and slide: controls, the stems of x, h[n-k] and y, the numbers, the CLI text.
    drawSlide(panel) {
      const t = this.table;
      const last = t.slides.length - 1;
      const slider = cr.el("input", {type: "range", id: "signal-range", min: 0, max: last, value: 0, "aria-label": "n"});
      slider.addEventListener("input", () => this.step(panel.parentNode, Number(slider.value)));
      const play = cr.el("button", {id: "signal-play"}, "▶ play");
      play.addEventListener("click", () => (this.timer ? this.stop() : this.play(panel.parentNode)));
      const button = (id, text, to) => {
        const b = cr.el("button", {id}, text);
        b.addEventListener("click", () => this.step(panel.parentNode, to()));
        return b;
      };
      const colW = Math.max(18, Math.min(44, Math.floor(1180 / t.k.length)));
      const picture = svg("svg", {id: "signal-stems", width: t.k.length * colW + GUTTER, height: 250});
      const table = cr.el("table", {class: "numbers sig-table", id: "signal-table",
        style: `width: ${t.k.length * colW + GUTTER}px`});
      panel.replaceChildren(
        cr.el("div", {class: "sig-controls"},
          button("signal-prev", "◀ n − 1", () => this.n - 1), cr.el("b", {id: "signal-n"}),
          button("signal-next", "n + 1 ▶", () => this.n + 1), slider, play,
          button("signal-reset", "reset", () => 0),
          cr.el("span", {class: "muted"}, "(or the ← → keys)")),
        cr.el("div", {class: "sig-scroll"}, picture, table),
        cr.el("p", {class: "sig-equation", id: "signal-equation"}),
        cr.el("p", {}, "y = x * h = ", cr.el("span", {id: "signal-y"})),
        cr.el("details", {},
          cr.el("summary", {}, "the whole table, as chainrule convolve --table prints it"),
          cr.el("pre", {id: "signal-text"}, t.text)));
      this.colW = colW;
    },

    step(section, n) {
      const t = this.table;
      if (!t) return;
      this.n = Math.max(0, Math.min(t.slides.length - 1, n));
      const s = t.slides[this.n];
      section.querySelector("#signal-n").textContent = "n = " + this.n;
      section.querySelector("#signal-range").value = this.n;
      this.drawStems(section.querySelector("#signal-stems"), s);
      this.drawTable(section.querySelector("#signal-table"), s);
      const eq = section.querySelector("#signal-equation");
      eq.textContent = s.equation;
      const ys = section.querySelector("#signal-y");
      ys.replaceChildren("[",
        ...t.y.flatMap((v, i) => [i ? ", " : "",
          cr.el("span", {class: "y-cell" + (i < this.n ? " done" : i === this.n ? " now" : ""), "data-n": i},
            i <= this.n ? num(v) : "·")]),
        "]");
    },

    // Three stem rows over the k axis: x[k], the flipped and shifted h[n-k], and y[n] so far. A row
    // takes room below its axis only when its sequence has a negative sample.
    drawStems(picture, s) {
      const t = this.table;
      const colW = this.colW;
      const h = s.cells.map((c, i) => (c === "" ? null : t.h[s.n - t.k[i]]));
      const xs = t.k.map((k) => (k >= 0 && k < t.x.length ? t.x[k] : null));
      const ys = t.k.map((k) => (k >= 0 && k <= s.n && k < t.slides.length ? t.slides[k].y : null));
      const overlap = xs.map((v, i) => (v !== null && h[i] !== null ? "overlap" : ""));
      const rows = [
        ["x[k]", xs, t.x, {cls: "x", mark: overlap}],
        ["h[" + s.n + "−k]", h, t.h, {cls: "h", mark: overlap}],
        ["y[n]", ys, t.y, {cls: "y", mark: t.k.map((k) => (k === s.n ? "now" : ""))}],
      ];
      const half = 34;
      const g = svg("g", {transform: `translate(${GUTTER}, 0)`});
      const names = [];
      const spans = [];
      let top = 6;
      for (const [name, values, all, opts] of rows) {
        const y0 = top + 18 + (all.some((v) => v > 0) ? half : 0);
        stemRow(g, values, y0, half, colW, maxAbs(all), {...opts, labels: true});
        names.push(svg("text", {x: 4, y: y0 + 4, class: "row-name"}, name));
        spans.push([top, y0 + (all.some((v) => v < 0) ? half + 18 : 6)]);
        top = spans[spans.length - 1][1] + 4;
      }
      picture.setAttribute("height", top);
      const shade = s.products.length
        ? svg("rect", {class: "window", x: (s.products[0].k - t.k[0]) * colW + GUTTER, y: spans[0][0],
          height: spans[1][1] - spans[0][0], width: s.products.length * colW})
        : null;
      picture.replaceChildren(...(shade ? [shade] : []), g, ...names);
    },

    // The numbers: k, x[k], h[n-k], the products where both overlap, and y[n] under column k = n.
    drawTable(table, s) {
      const t = this.table;
      const product = new Map(s.products.map((p) => [p.k, p.product]));
      const row = (label, cells, cls) =>
        cr.el("tr", {class: cls || ""}, cr.el("th", {style: `width: ${GUTTER}px`}, label), cells);
      const td = (text, cls) => cr.el("td", {class: cls || "", style: `width: ${this.colW}px`}, text);
      table.replaceChildren(
        row("k", t.k.map((k) => td(k, k === s.n ? "col-n" : "")), "k"),
        row("x[k]", t.x_cells.map((c, i) => td(c, product.has(t.k[i]) ? "overlap" : "")), "x"),
        row(s.label.replace(":", ""), s.cells.map((c, i) => td(c, product.has(t.k[i]) ? "overlap" : "")), "h"),
        row("x[k]·h[n−k]", t.k.map((k) => td(product.has(k) ? num(product.get(k)) : "", product.has(k) ? "product" : "")), "products"),
        row("y[n]", t.k.map((k) => td(k >= 0 && k <= s.n && k < t.slides.length ? num(t.slides[k].y) : "",
          k === s.n ? "now" : "")), "y"));
    },

    play(section) {
      const button = section.querySelector("#signal-play");
      if (this.n >= this.table.slides.length - 1) this.step(section, 0);
      button.textContent = "❚❚ pause";
      this.timer = setInterval(() => {
        if (this.n >= this.table.slides.length - 1) return this.stop();
        this.step(section, this.n + 1);
      }, 900);
    },

    stop() {
      clearInterval(this.timer);
      this.timer = null;
      const button = document.getElementById("signal-play");
      if (button) button.textContent = "▶ play";
    },

    // Superposition: each x[k] δ[n−k] answered by x[k] h[n−k]; the rows sum to x and to y.
    drawLTI(panel, lti) {
      const width = lti.n.length;
      const colW = Math.max(12, Math.min(30, Math.floor(520 / width)));
      const inScale = maxAbs(lti.x);
      const outScale = maxAbs(lti.y, ...lti.terms.map((term) => term.response));
      const plot = (values, scale, cls, id) => {
        const up = values.some((v) => v > 0) ? 24 : 0;
        const down = values.some((v) => v < 0) ? 24 : 0;
        const picture = svg("svg", {width: width * colW + 4, height: up + down + 34, class: "lti-plot"});
        if (id) picture.id = id;
        const g = svg("g", {transform: "translate(2, 0)"});
        stemRow(g, values, up + 16, 24, colW, scale, {cls, labels: width <= 24, quietZeros: true});
        picture.append(g);
        return picture;
      };
      const rows = lti.terms.map((term) =>
        cr.el("tr", {class: "lti-term"},
          cr.el("td", {class: "lti-label"}, term.label.replace("delta", "δ")),
          cr.el("td", {}, plot(term.input, inScale, "x")),
          cr.el("td", {class: "arrow"}, "→ S →"),
          cr.el("td", {}, plot(term.response, outScale, "y")),
          cr.el("td", {class: "lti-label"}, term.label.replace("delta", "h"))));
      panel.replaceChildren(
        cr.el("h3", {}, "An LTI system is its unit sample response: superposition"),
        cr.el("p", {class: "muted"},
          "x is a sum of scaled, shifted unit samples x[k] δ[n − k]. A linear, time-invariant system S answers ",
          "each with the same scaled, shifted h: x[k] h[n − k]. Adding the answers gives y = x * h. h = [",
          lti.impulse_response.map(num).join(", "), "] is S's answer to δ[n]."),
        cr.el("table", {class: "lti", id: "signal-lti-table"},
          cr.el("tr", {}, cr.el("th", {}), cr.el("th", {}, "input term"), cr.el("th", {}),
            cr.el("th", {}, "its response"), cr.el("th", {})),
          rows,
          cr.el("tr", {class: "lti-sum"},
            cr.el("td", {class: "lti-label"}, "sum"),
            cr.el("td", {}, plot(lti.x, inScale, "x", "signal-lti-x")),
            cr.el("td", {class: "arrow"}, "→ S →"),
            cr.el("td", {}, plot(lti.sum_of_responses, outScale, "y", "signal-lti-y")),
            cr.el("td", {class: "lti-label", id: "signal-lti-sum"},
              "y = [" + lti.sum_of_responses.map(num).join(", ") + "]"))));
    },
  };
})();
