// The convolution view: a kernel sliding over a padded input. Every number (the padded grid, where
// each padded cell comes from, the output size, F.conv2d's output, each window's products and sum)
// comes from the server's convolution/compute and convolution/window; this file lays them out.
"use strict";

(function () {
  const BIG = 17; // a grid this wide or wider is drawn as shaded pixels, values in tooltips
  const el = (...args) => cr.el(...args);

  // Integers as integers, everything else with two decimals (as the slides).
  function num(x) {
    return Math.abs(x - Math.round(x)) < 1e-9 ? cr.fmt(x, 0) : cr.fmt(x, 2);
  }

  // A factor in a product: negatives in parentheses.
  function signed(x) {
    const s = num(x);
    return s.startsWith("-") ? `(${s})` : s;
  }

  // A distinct hue per input cell (the golden angle), so every copy of a cell shares its colour.
  function hue(src, width) {
    return Math.round(((src[0] * width + src[1]) * 137.508) % 360);
  }

  // "2" -> 2, "2,1" -> [2, 1], "1,0,2,1" -> [[1, 0], [2, 1]] (top, bottom, left, right); words stay
  // strings; the server says what is wrong with anything else.
  function parseSetting(text) {
    const t = text.trim();
    if (/^[a-z]+$/i.test(t)) return t.toLowerCase();
    const parts = t.split(/[\s,]+/).filter((p) => p !== "").map(Number);
    if (parts.length === 1) return parts[0];
    if (parts.length === 4) return [[parts[0], parts[1]], [parts[2], parts[3]]];
    return parts;
  }

  // Typed grids: one row a line, numbers separated by spaces or commas.
  function parseGrid(text) {
    return text.trim().split(/\n+/).map((line) => line.trim().split(/[\s,]+/).map(Number));
  }

  function injectStyle() {
    if (document.getElementById("convolution-css")) return;
    document.head.append(el("link", {id: "convolution-css", rel: "stylesheet", href: "/static/convolution.css"}));
  }

  function field(label, input, hint) {
    return el("label", {class: "cv-field", title: hint || null}, el("span", {}, label), input);
  }

  function buildControls(state) {
    const c = state.controls;
    const select = (id, options, value) =>
      el("select", {id}, options.map(([v, text]) => el("option", {value: v, selected: v === value}, text)));
    const number = (id, value, min, max) => el("input", {id, type: "number", value, min, max});
    const text = (id, value, size) => el("input", {id, type: "text", value, size});
    c.input = select("cv-input", [["ramp", "1, 2, 3, …"], ["random", "random 0-9"],
      ["digit", "MNIST digit"], ["typed", "typed grid"]], "ramp");
    c.h = number("cv-h", 6, 1, 16);
    c.w = number("cv-w", 6, 1, 16);
    c.digit = number("cv-digit", 0, 0, 9999);
    c.inputText = el("textarea", {id: "cv-input-text", rows: 4, cols: 22}, "1 2 3 4\n5 6 7 8\n9 10 11 12\n13 14 15 16");
    c.kernel = select("cv-kernel", [["box", "box blur"], ["sobel_x", "Sobel x"],
      ["sobel_y", "Sobel y"], ["identity", "identity"], ["random", "random"], ["typed", "typed"]], "box");
    c.kh = number("cv-kh", 3, 1, 7);
    c.kw = number("cv-kw", 3, 1, 7);
    c.kernelText = el("textarea", {id: "cv-kernel-text", rows: 3, cols: 14}, "0 1 0\n1 -4 1\n0 1 0");
    c.seed = number("cv-seed", 0, 0, 999999);
    c.stride = text("cv-stride", "1", 4);
    c.dilation = text("cv-dilation", "1", 4);
    c.padding = text("cv-padding", "1", 8);
    c.mode = select("cv-mode", ["zeros", "constant", "reflect", "replicate", "circular"].map((m) => [m, m]), "zeros");
    c.value = number("cv-value", 0, -1000, 1000);
    c.value.step = "any";
    return el("div", {class: "panel cv-controls"},
      el("div", {class: "cv-group"}, el("b", {}, "Input"), field("", c.input), field("H", c.h), field("W", c.w),
        field("digit #", c.digit, "index into the MNIST test set"), field("", c.inputText)),
      el("div", {class: "cv-group"}, el("b", {}, "Kernel"), field("", c.kernel), field("kh", c.kh), field("kw", c.kw),
        field("seed", c.seed, "seed of the random input and kernel"), field("", c.kernelText)),
      el("div", {class: "cv-group"}, el("b", {}, "Conv"),
        field("stride", c.stride, "an int, or H,W"),
        field("dilation", c.dilation, "an int, or H,W"),
        field("padding", c.padding, "an int; H,W; top,bottom,left,right; valid; same; full"),
        field("mode", c.mode), field("value", c.value, "the constant of padding mode 'constant'")),
    );
  }

  // The request for the current controls (the server checks every field).
  function payload(state) {
    const c = state.controls;
    const p = {
      stride: parseSetting(c.stride.value), dilation: parseSetting(c.dilation.value),
      padding: parseSetting(c.padding.value), padding_mode: c.mode.value, value: Number(c.value.value),
      seed: Number(c.seed.value), kh: Number(c.kh.value), kw: Number(c.kw.value),
    };
    if (c.input.value === "typed") p.input = parseGrid(c.inputText.value);
    else Object.assign(p, {input: c.input.value, h: Number(c.h.value), w: Number(c.w.value), digit: Number(c.digit.value)});
    p.kernel = c.kernel.value === "typed" ? parseGrid(c.kernelText.value) : c.kernel.value;
    return p;
  }

  function showFieldsFor(state) {
    const c = state.controls;
    const hide = (node, hidden) => { node.closest("label").hidden = hidden; };
    hide(c.h, c.input.value === "digit" || c.input.value === "typed");
    hide(c.w, c.input.value === "digit" || c.input.value === "typed");
    hide(c.digit, c.input.value !== "digit");
    hide(c.inputText, c.input.value !== "typed");
    hide(c.kh, c.kernel.value === "typed");
    hide(c.kw, c.kernel.value === "typed");
    hide(c.seed, c.input.value !== "random" && c.kernel.value !== "random");
    hide(c.kernelText, c.kernel.value !== "typed");
    hide(c.value, c.mode.value !== "constant");
  }

  // --- drawing -------------------------------------------------------------------------------

  function shade(x, lo, hi) {
    const t = hi > lo ? (x - lo) / (hi - lo) : 0.5;
    const g = Math.round(255 - 235 * t);
    return `rgb(${g},${g},${g})`;
  }

  function extent(rows) {
    const flat = rows.flat();
    return [Math.min(...flat), Math.max(...flat)];
  }

  function drawPadded(state) {
    const a = state.answer;
    const big = a.padded[0].length >= BIG || a.padded.length >= BIG;
    const [lo, hi] = extent(a.input);
    const inside = a.inside;
    const copied = new Set();
    const cells = a.padded.map((row, r) => row.map((v, c) => {
      const src = a.source[r][c];
      const isInside = r >= inside.top && r < inside.top + inside.h && c >= inside.left && c < inside.left + inside.w;
      const td = el("td", {"data-r": r, "data-c": c});
      td.title = `padded (${r}, ${c}) = ${num(v)}` + (src ? ` <- input (${src[0]}, ${src[1]})` : " (the constant)");
      if (big) td.style.background = shade(v, lo, hi);
      if (!isInside) {
        td.classList.add(src ? "cv-copy" : "cv-const");
        if (src) {
          copied.add(src.join(","));
          td.style.setProperty("--hue", hue(src, inside.w));
        }
      }
      if (!big) {
        td.append(el("span", {class: "cv-v"}, num(v)));
        if (!isInside) td.append(el("span", {class: "cv-src"}, src ? `${src[0]},${src[1]}` : "c"));
      }
      return td;
    }));
    for (let r = 0; r < inside.h; r++) {
      for (let c = 0; c < inside.w; c++) {
        const td = cells[r + inside.top][c + inside.left];
        td.classList.add("cv-in");
        if (copied.has(`${r},${c}`)) {
          td.classList.add("cv-origin");
          td.style.setProperty("--hue", hue([r, c], inside.w));
        }
      }
    }
    state.paddedCells = cells;
    const table = el("table", {id: "cv-padded", class: "numbers cv-grid" + (big ? " cv-big" : "")},
      cells.map((row) => el("tr", {}, row)));
    table.addEventListener("mouseover", (e) => hoverSource(state, e.target.closest("td")));
    table.addEventListener("mouseleave", () => hoverSource(state, null));
    return table;
  }

  // Hovering a cell outlines every cell holding the same input value (the original and its copies).
  function hoverSource(state, td) {
    for (const row of state.paddedCells) for (const cell of row) cell.classList.remove("cv-same");
    if (!td) return;
    const src = state.answer.source[td.dataset.r][td.dataset.c];
    if (!src) return;
    state.answer.source.forEach((row, r) => row.forEach((s, c) => {
      if (s && s[0] === src[0] && s[1] === src[1]) state.paddedCells[r][c].classList.add("cv-same");
    }));
  }

  function drawKernel(a) {
    return el("table", {id: "cv-kernel-grid", class: "numbers cv-grid cv-kernel"},
      a.kernel.map((row) => el("tr", {}, row.map((v) => el("td", {}, num(v))))));
  }

  function drawOutput(state) {
    const a = state.answer;
    const big = a.output[0].length >= BIG || a.output.length >= BIG;
    const [lo, hi] = extent(a.output);
    state.outputCells = a.output.map((row, i) => row.map((v, j) => {
      const td = el("td", {"data-i": i, "data-j": j, title: `output (${i}, ${j}) = ${v}`,
        onclick: () => selectCell(state, [i, j])}, big ? "" : num(v));
      if (big) td.style.background = shade(v, lo, hi);
      return td;
    }));
    return el("table", {id: "cv-output", class: "numbers cv-grid cv-output" + (big ? " cv-big" : "")},
      state.outputCells.map((row) => el("tr", {}, row)));
  }

  function sizeLines(a) {
    return a.sizes.map((s) => {
      const D = s.dim, p = D === "H" ? ["top", "bottom"] : ["left", "right"];
      const lines = [
        el("div", {}, `${D}_out = ⌊(${D} + ${p[0]} + ${p[1]} − d·(k−1) − 1) / s⌋ + 1`),
        el("div", {class: "cv-fill"}, `= ⌊(${s.in} + ${s.before} + ${s.after} − ${s.dilation}·(${s.kernel}−1) − 1) / ${s.stride}⌋ + 1`
          + ` = ⌊${s.numerator} / ${s.stride}⌋ + 1 = `, el("b", {class: "cv-out-size"}, String(s.out))),
      ];
      if (s.same) {
        lines.push(el("div", {class: "muted"}, `same: ${D}_out = ⌈${s.in} / ${s.stride}⌉ = ${s.same.out}; ` +
          `total pad = max((${s.same.out}−1)·${s.stride} + ${s.dilation}·(${s.kernel}−1) + 1 − ${s.in}, 0) = ${s.same.total}` +
          ` → ${p[0]} ${s.before}, ${p[1]} ${s.after} (the odd one after)`));
      } else if (a.padding === "full") {
        lines.push(el("div", {class: "muted"}, `full: d·(k−1) = ${s.dilation}·(${s.kernel}−1) = ${s.before} on each side`));
      }
      return el("div", {class: "cv-size"}, lines);
    });
  }

  function render(state) {
    const a = state.answer;
    const [ho, wo] = a.out_shape;
    const hp = a.padded.length, wp = a.padded[0].length;
    const what = a.label === null ? "" : ` (an MNIST ${a.label})`;
    const how = a.padding_mode === "constant" ? `constant ${num(a.value)}` : a.padding_mode;
    const pads = `pads ${a.pads[0][0]},${a.pads[0][1]} / ${a.pads[1][0]},${a.pads[1][1]}`;
    state.grids.replaceChildren(
      el("div", {class: "panel"}, el("h3", {}, `Padded input ${hp}×${wp}`),
        el("div", {class: "muted cv-legend"}, `${a.inside.h}×${a.inside.w} input${what}, ${pads}, ${how}; ` +
          "a padded cell shows its value and the input cell (row,col) it copies; c = the constant"),
        drawPadded(state)),
      el("div", {class: "cv-col"},
        el("div", {class: "panel"}, el("h3", {}, `Kernel ${a.kernel.length}×${a.kernel[0].length}`), drawKernel(a),
          el("div", {class: "muted cv-legend"}, `stride ${a.stride.join(",")} · dilation ${a.dilation.join(",")}`)),
        el("div", {class: "panel"}, el("h3", {}, "Output = F.conv2d ", el("span", {id: "cv-out-shape"}, `${ho}×${wo}`)),
          drawOutput(state), el("div", {class: "muted cv-legend"}, "click a cell to see its window"))),
      state.rightColumn,
    );
    state.sizes.replaceChildren(el("h3", {}, "Output size"), ...sizeLines(a));
  }

  function drawWindow(state, win) {
    const a = state.answer;
    for (const row of state.paddedCells) for (const td of row) td.classList.remove("cv-tap", "cv-span");
    for (const row of state.outputCells) for (const td of row) td.classList.remove("cv-sel");
    const [r0, r1] = [win.rows[0], win.rows[win.rows.length - 1]];
    const [c0, c1] = [win.cols[0], win.cols[win.cols.length - 1]];
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) state.paddedCells[r][c].classList.add("cv-span");
    for (const r of win.rows) for (const c of win.cols) state.paddedCells[r][c].classList.add("cv-tap");
    state.outputCells[win.cell[0]][win.cell[1]].classList.add("cv-sel");
    const body = win.products.map((row, a2) => el("tr", {}, row.map((p, b) => el("td", {},
      el("span", {class: "muted"}, `${signed(win.inputs[a2][b])} × ${signed(win.weights[a2][b])}`), el("br"), num(p)))));
    state.windowBox.replaceChildren(
      el("h3", {}, `Window of output (${win.cell[0]}, ${win.cell[1]})`),
      el("div", {class: "muted"}, `rows ${win.rows.join(", ")} · cols ${win.cols.join(", ")} of the padded input` +
        (a.dilation.some((d) => d > 1) ? " (dilation spaces the taps)" : "")),
      el("table", {class: "numbers cv-products"}, body),
      el("div", {class: "cv-sum"}, "sum of the products = ", el("b", {id: "cv-sum"}, num(win.sum)),
        " ; F.conv2d output = ", el("b", {id: "cv-cell-value", class: "value"}, num(win.output))),
    );
    state.cellLabel.textContent = `(${win.cell[0]}, ${win.cell[1]}) of ${a.out_shape[0]}×${a.out_shape[1]}`;
  }

  // --- requests ------------------------------------------------------------------------------

  // Busy while a change waits for its debounce, a compute runs or a window is on its way (the
  // tests wait for data-busy="0").
  function updateBusy(state) {
    const on = state.scheduled || state.running || state.windows > 0;
    state.section.dataset.busy = on ? "1" : "0";
  }

  // One compute at a time, so answers come back in order: a change made meanwhile runs it again.
  async function compute(state) {
    state.scheduled = false;
    if (state.running) {
      state.again = true;
      return;
    }
    state.running = true;
    updateBusy(state);
    do {
      state.again = false;
      const request = payload(state);
      let answer = null;
      try {
        answer = await cr.api("convolution/compute", request);
      } catch (err) {
        state.grids.classList.add("cv-stale");
      }
      if (answer && !state.again) {
        state.answer = answer;
        state.payload = request;
        state.grids.classList.remove("cv-stale");
        render(state);
        const [ho, wo] = answer.out_shape;
        if (state.cell[0] >= ho || state.cell[1] >= wo) state.cell = [0, 0];
        await selectCell(state, state.cell);
      }
    } while (state.again);
    state.running = false;
    updateBusy(state);
  }

  async function selectCell(state, cell) {
    if (!state.answer) return;
    const answer = state.answer;
    state.cell = cell;
    state.windows += 1;
    updateBusy(state);
    try {
      const win = await cr.api("convolution/window", {...state.payload, cell});
      if (answer === state.answer && cell === state.cell) drawWindow(state, win); // only the newest cell's window
    } catch (err) {
      stop(state);
    } finally {
      state.windows -= 1;
      updateBusy(state);
    }
  }

  function step(state, by) {
    if (!state.answer) return Promise.resolve();
    const [ho, wo] = state.answer.out_shape;
    const k = (state.cell[0] * wo + state.cell[1] + by + ho * wo) % (ho * wo);
    return selectCell(state, [Math.floor(k / wo), k % wo]);
  }

  function stop(state) {
    clearInterval(state.timer);
    state.timer = null;
    state.playButton.textContent = "▶ play";
  }

  function togglePlay(state) {
    if (state.timer) return stop(state);
    state.playButton.textContent = "⏸ pause";
    state.timer = setInterval(() => step(state, 1), 700);
  }

  function schedule(state, delay) {
    state.scheduled = true;
    updateBusy(state);
    clearTimeout(state.debounce);
    state.debounce = setTimeout(() => compute(state), delay);
  }

  cr.views.convolution = {
    init(section) {
      injectStyle();
      const state = {section, controls: {}, cell: [0, 0], answer: null, timer: null, windows: 0};
      state.grids = el("div", {class: "row cv-grids"});
      state.sizes = el("div", {class: "panel cv-sizes"});
      state.windowBox = el("div", {class: "panel cv-window"});
      state.cellLabel = el("span", {id: "cv-cell", class: "muted"});
      state.playButton = el("button", {id: "cv-play", onclick: () => togglePlay(state)}, "▶ play");
      const slide = el("div", {class: "cv-slide"},
        el("button", {id: "cv-first", onclick: () => selectCell(state, [0, 0])}, "first"),
        el("button", {id: "cv-prev", onclick: () => step(state, -1)}, "◀ step"),
        el("button", {id: "cv-next", onclick: () => step(state, 1)}, "step ▶"),
        state.playButton, state.cellLabel);
      section.append(
        el("h2", {}, "Convolution arithmetic"),
        el("p", {class: "muted cv-intro"}, "A kernel slides over the padded input; each output cell is the sum " +
          "of the window's products (cross-correlation: the kernel is not flipped). All numbers are chainrule's: " +
          "its padding, its F.conv2d."),
        buildControls(state), state.grids,
      );
      state.rightColumn = el("div", {class: "cv-col cv-right"}, slide, state.windowBox, state.sizes);
      showFieldsFor(state);
      for (const node of Object.values(state.controls)) {
        const isSelect = node.tagName === "SELECT";
        node.addEventListener(isSelect ? "change" : "input", () => {
          showFieldsFor(state);
          schedule(state, isSelect ? 0 : 250);
        });
      }
      state.section.convolution = state; // for the tests and the console
      compute(state);
    },
  };
})();
