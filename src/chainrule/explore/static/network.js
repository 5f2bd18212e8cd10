// The network view: draw a digit (or take a test digit), see the prediction, every layer's
// activations left to right, the computation of a clicked unit, and the saliency map.
// Every number comes from the server (network/* routes); this file only draws.
"use strict";

(() => {
  const PAD = 280; // the drawing pad, CSS and canvas pixels
  const SEND = 112; // the drawing is sent as SEND x SEND opacities (0..255); the server prepares it
  const THROTTLE_MS = 100; // while the pointer draws: at most one request per 100 ms, one in flight
  const S = { canvases: [], pending: null, busy: false, last: 0, chosen: null, unit: null };

  document.head.append(cr.el("link", { rel: "stylesheet", href: "/static/network.css" }));

  // t in [-1, 1] -> colour: white at 0, navy for positive, orange for negative values.
  function colour(t) {
    const a = Math.min(1, Math.abs(t));
    const [r, g, b] = t >= 0 ? [27, 42, 128] : [217, 130, 43];
    return `rgb(${255 + (r - 255) * a | 0},${255 + (g - 255) * a | 0},${255 + (b - 255) * a | 0})`;
  }

  // A canvas showing values (h x w) as a heat map; box/mark overlays drawn on top.
  function paintMap(cv) {
    const { values, h, w, z, scale } = cv.map;
    const ctx = cv.getContext("2d");
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        ctx.fillStyle = colour(scale ? values[y * w + x] / scale : 0);
        ctx.fillRect(x * z, y * z, z, z);
      }
    }
    for (const o of cv.overlays || []) {
      ctx.strokeStyle = o.colour;
      ctx.lineWidth = 2;
      ctx.strokeRect(o.left * z + 1, o.top * z + 1, o.width * z - 2, o.height * z - 2);
    }
  }

  function mapCanvas(h, w, onpick, z = h >= 12 ? 2 : h >= 6 ? 3 : 6) {
    const cv = cr.el("canvas", { width: w * z, height: h * z, class: "pix" });
    cv.map = { values: new Float32Array(h * w), h, w, z, scale: 0 };
    if (onpick) {
      cv.addEventListener("click", (e) => onpick(Math.floor(e.offsetY / z), Math.floor(e.offsetX / z)));
    }
    return cv;
  }

  // One column of the layers row: maps for (C, H, W), a strip of cells for long vectors, bars otherwise.
  function layerColumn(layer, index) {
    const col = cr.el("div", { class: "layer", "data-layer": index });
    const words = layer.label.split(" "); // "7 Linear 3920->50": name and kind, then the details
    const head = words.slice(0, 2).join(" ");
    const details = [words.slice(2).join(" "), layer.shape.join("\u00d7")].filter(Boolean).join(" ");
    col.append(cr.el("h3", { title: layer.label }, head), cr.el("div", { class: "shape" }, details));
    const canvases = [];
    if (layer.shape.length === 3) {
      const [c, h, w] = layer.shape;
      const cols = c <= 4 ? 1 : c <= 16 ? 2 : c <= 48 ? 4 : 8;
      const grid = cr.el("div", { class: "maps", style: `grid-template-columns: repeat(${cols}, auto)` });
      for (let k = 0; k < c; k++) {
        const cv = mapCanvas(h, w, (y, x) => pick(index, [k, y, x]));
        cv.dataset.channel = k;
        cv.title = `channel ${k}`;
        canvases.push(cv);
        grid.append(cv);
      }
      col.append(grid);
    } else {
      const n = layer.shape.reduce((a, b) => a * b, 1);
      const cv = vectorCanvas(n, (k) => pick(index, [k]));
      canvases.push(cv);
      col.append(cr.el("div", { class: "bars" }, cv));
    }
    for (const cv of canvases) cv.dataset.layer = index;
    return { col, canvases };
  }

  // Vectors: up to 128 values as horizontal bars around a zero line, longer ones as a strip of cells.
  function vectorCanvas(n, onpick) {
    if (n > 128) {
      const per = 28, z = 2, rows = Math.ceil(n / per);
      const cv = cr.el("canvas", { width: per * z, height: rows * z, class: "pix" });
      cv.map = { values: new Float32Array(rows * per), h: rows, w: per, z, scale: 0 };
      cv.addEventListener("click", (e) => {
        const k = Math.floor(e.offsetY / z) * per + Math.floor(e.offsetX / z);
        if (k < n) onpick(k);
      });
      return cv;
    }
    const bh = n <= 10 ? 14 : n <= 64 ? 5 : 3;
    const cv = cr.el("canvas", { width: 60, height: n * bh });
    cv.bars = { values: new Float32Array(n), n, bh, scale: 0, mark: -1 };
    cv.addEventListener("click", (e) => onpick(Math.min(n - 1, Math.floor(e.offsetY / bh))));
    return cv;
  }

  function paintBars(cv) {
    const { values, n, bh, scale, mark } = cv.bars;
    const ctx = cv.getContext("2d");
    ctx.clearRect(0, 0, cv.width, cv.height);
    const mid = Math.min(...values) < 0 ? cv.width / 2 : 0;
    const room = cv.width - mid;
    for (let k = 0; k < n; k++) {
      const len = scale ? (values[k] / scale) * room : 0;
      ctx.fillStyle = k === mark ? "#1b7a2a" : values[k] >= 0 ? "#1b2a80" : "#d9822b";
      ctx.fillRect(len >= 0 ? mid : mid + len, k * bh + 0.5, Math.abs(len), Math.max(1, bh - 1));
    }
    ctx.fillStyle = "#bbb";
    ctx.fillRect(mid, 0, 1, cv.height);
    if (mark >= 0) {
      ctx.strokeStyle = "#1b7a2a";
      ctx.strokeRect(0.5, mark * bh + 0.5, cv.width - 1, bh);
    }
  }

  const paint = (cv) => (cv.bars ? paintBars(cv) : paintMap(cv));

  function clearMarks() {
    for (const cv of [S.input, ...S.canvases.flat()]) {
      cv.overlays = [];
      if (cv.bars) cv.bars.mark = -1;
    }
  }

  function setValues(cv, values, scale) {
    const target = cv.bars || cv.map;
    target.values.fill(0);
    target.values.set(values.subarray(0, target.values.length));
    target.scale = scale;
  }

  // --- the drawing pad -------------------------------------------------------------------------
  function makePad() {
    const pad = cr.el("canvas", { id: "net-canvas", class: "pad", width: PAD, height: PAD });
    const ctx = pad.getContext("2d");
    let drawing = false, prev = null;
    const at = (e) => [e.offsetX, e.offsetY];
    pad.addEventListener("pointerdown", (e) => {
      drawing = true;
      pad.setPointerCapture(e.pointerId);
      prev = at(e);
      stroke(prev, prev);
    });
    pad.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      const p = at(e);
      stroke(prev, p);
      prev = p;
      if (performance.now() - S.last >= THROTTLE_MS) sendDrawing();
    });
    const end = () => {
      if (!drawing) return;
      drawing = false;
      sendDrawing();
    };
    pad.addEventListener("pointerup", end);
    pad.addEventListener("pointercancel", end);
    function stroke(a, b) {
      ctx.strokeStyle = "#111";
      ctx.lineWidth = 20;
      ctx.lineCap = ctx.lineJoin = "round";
      ctx.beginPath();
      ctx.moveTo(a[0], a[1]);
      ctx.lineTo(b[0] + 0.01, b[1]);
      ctx.stroke();
      S.drawn = true;
    }
    return pad;
  }

  // The pad's ink opacity, downscaled by the browser to SEND x SEND, as a flat list of 0..255 ints.
  function drawingSpec() {
    const small = cr.el("canvas", { width: SEND, height: SEND });
    const ctx = small.getContext("2d");
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(S.pad, 0, 0, SEND, SEND);
    const rgba = ctx.getImageData(0, 0, SEND, SEND).data;
    const pixels = new Array(SEND * SEND);
    for (let i = 0; i < pixels.length; i++) pixels[i] = rgba[4 * i + 3];
    return { pixels, width: SEND, height: SEND };
  }

  function sendDrawing() {
    if (!S.drawn) return;
    S.last = performance.now();
    S.caption.textContent = "your drawing";
    request(drawingSpec());
  }

  function clearPad() {
    S.pad.getContext("2d").clearRect(0, 0, PAD, PAD);
    S.drawn = false;
  }

  // --- requests: the newest input wins, one in flight ------------------------------------------
  function request(spec) {
    S.pending = spec;
    S.section.dataset.state = "busy";
    if (!S.busy) pump();
  }

  async function pump() {
    S.busy = true;
    while (S.pending) {
      const spec = S.pending;
      S.pending = null;
      try {
        const answer = await cr.api("network/forward", spec);
        S.spec = spec;
        show(answer);
        await refreshDetails(); // returns at once if a newer input is pending
      } catch (err) {
        // cr.api showed the error in the page; the next drawing tries again
      }
    }
    S.busy = false;
    S.section.dataset.state = "idle";
  }

  async function refreshDetails() {
    if (S.pending) return;
    await saliency();
    if (S.unit && !S.pending) await pick(S.unit.layer, S.unit.unit, true);
  }

  // --- showing a forward pass ------------------------------------------------------------------
  function show(answer) {
    const probs = answer.probabilities;
    S.verdict.replaceChildren("prediction: ", cr.el("b", { id: "net-prediction" }, S.info.classes[answer.prediction]));
    for (const [k, row] of S.probRows.entries()) {
      row.classList.toggle("top", k === answer.prediction);
      row.classList.toggle("chosen", k === (S.chosen ?? answer.prediction));
      row.querySelector(".bar span").style.width = (100 * probs[k]).toFixed(1) + "%";
      row.querySelector(".p").textContent = cr.fmt(probs[k], 3);
    }
    clearMarks();
    setValues(S.input, cr.floats(answer.input), 1);
    paint(S.input);
    answer.layers.forEach((layer, i) => {
      const values = cr.floats(layer.data);
      const scale = Math.max(Math.abs(layer.range[0]), Math.abs(layer.range[1]));
      const canvases = S.canvases[i];
      const size = canvases.length > 1 ? values.length / canvases.length : values.length;
      canvases.forEach((cv, k) => {
        setValues(cv, values.subarray(k * size, (k + 1) * size), scale);
        paint(cv);
      });
    });
    const soft = S.canvases[answer.layers.length][0];
    setValues(soft, Float32Array.from(probs), 1);
    paint(soft);
    S.section.dataset.state = "shown";
  }

  function probabilityRows() {
    S.probRows = S.info.classes.map((name, k) =>
      cr.el(
        "div",
        { class: "prob", "data-class": k, title: "click: saliency for this class", onclick: () => chooseClass(k) },
        cr.el("span", { class: "name" }, name),
        cr.el("div", { class: "bar" }, cr.el("span")),
        cr.el("span", { class: "p" }, ""),
      ),
    );
    return S.probRows;
  }

  function chooseClass(k) {
    S.chosen = k;
    if (S.spec) {
      S.probRows.forEach((row, j) => row.classList.toggle("chosen", j === k));
      saliency();
    }
  }

  // Saliency and a unit's panel may be asked for again before an answer comes (the server answers
  // on several threads): only the newest request's answer is drawn.
  async function saliency() {
    if (!S.spec) return;
    const ticket = (S.saliencyTicket = (S.saliencyTicket || 0) + 1);
    const answer = await cr.api("network/saliency", { ...S.spec, class: S.chosen });
    if (ticket !== S.saliencyTicket) return;
    const cv = S.saliency;
    setValues(cv, Float32Array.from(answer.gradient), answer.max_abs);
    paint(cv);
    S.salCaption.textContent = `d score(${S.info.classes[answer.class]}) / d pixel`;
    cv.dataset.cls = answer.class;
  }

  // --- a clicked unit --------------------------------------------------------------------------
  async function pick(layer, unit, quiet = false) {
    if (!S.spec) return;
    S.unit = { layer, unit };
    const ticket = (S.unitTicket = (S.unitTicket || 0) + 1);
    const answer = await cr.api("network/unit", { ...S.spec, layer, unit });
    if (ticket !== S.unitTicket) return;
    highlight(answer);
    S.unitPanel.replaceChildren(...window.crNetworkUnit(answer, S.info));
    S.unitPanel.hidden = false;
    if (!quiet) S.unitPanel.scrollIntoView({ block: "nearest" });
  }

  function highlight(answer) {
    clearMarks();
    const here = S.canvases[answer.layer];
    const prev = answer.layer === 0 ? [S.input] : S.canvases[answer.layer - 1];
    const u = answer.unit;
    if (u.length === 3) here[u[0]].overlays = [{ top: u[1], left: u[2], height: 1, width: 1, colour: "#1b7a2a" }];
    else if (here[0].bars) here[0].bars.mark = u[0];
    else here[0].overlays = [{ top: Math.floor(u[0] / here[0].map.w), left: u[0] % here[0].map.w, height: 1, width: 1, colour: "#1b7a2a" }];
    const f = answer.field;
    if (f) {
      const span = (k, d) => d * (k - 1) + 1;
      for (const c of answer.channels) {
        const cv = prev.length > 1 ? prev[c] : prev[0];
        cv.overlays = [{ top: f.top, left: f.left, height: span(f.height, f.dilation[0]), width: span(f.width, f.dilation[1]), colour: "#c0151b" }];
      }
    } else if (answer.op === "activation" && u.length === 3 && prev.length > 1) {
      prev[u[0]].overlays = [{ top: u[1], left: u[2], height: 1, width: 1, colour: "#c0151b" }];
    } else if (answer.op === "activation" && prev[0].bars) {
      prev[0].bars.mark = u[0];
    }
    [S.input, ...S.canvases.flat()].forEach(paint);
  }

  // --- building the view -----------------------------------------------------------------------
  async function build(section) {
    S.section = section;
    const info = await cr.api("network/model", {});
    S.info = info;
    section.append(cr.el("h2", {}, "Network: draw a digit and watch every layer"));
    if (!info.available) {
      section.append(cr.el("div", { class: "panel message", id: "net-message" }, info.message));
      return;
    }
    S.pad = makePad();
    S.caption = cr.el("span", { class: "muted", id: "net-caption" }, "draw a digit with the mouse or a finger");
    const buttons = cr.el(
      "div",
      { class: "buttons" },
      cr.el("button", { id: "net-clear", onclick: clearPad }, "clear"),
      cr.el("button", { id: "net-random", onclick: () => loadTest(null) }, "random test digit"),
      S.caption,
    );
    S.verdict = cr.el("div", { class: "verdict" }, "prediction: \u2013");
    S.input = Object.assign(mapCanvas(28, 28, null, 5), { id: "net-input" }); // 28x28 at zoom 5
    S.saliency = Object.assign(mapCanvas(28, 28, null, 5), { id: "net-saliency" });
    S.salCaption = cr.el("div", { class: "legend" }, "d score / d pixel");
    const about = `${info.model} on ${info.dataset} \u00b7 ${info.parameters.toLocaleString()} parameters` +
      (info.test_accuracy != null ? ` \u00b7 test accuracy ${cr.fmt(info.test_accuracy, 4)}` : "") + ` \u00b7 run ${info.run}`;
    section.append(
      cr.el("div", { class: "muted", style: "margin-bottom:.5rem" }, about),
      cr.el(
        "div",
        { class: "row" },
        cr.el("div", { class: "panel" }, S.pad, buttons),
        cr.el("div", { class: "panel probs" }, S.verdict, ...probabilityRows()),
        cr.el("div", { class: "panel" }, cr.el("h3", {}, "what the network sees"), S.input,
          cr.el("div", { class: "legend" }, "28\u00d728, prepared as MNIST was: box 20\u00d720, centred by mass")),
        cr.el("div", { class: "panel" }, cr.el("h3", {}, "saliency"), S.saliency, S.salCaption,
          cr.el("div", { class: "legend" }, "navy: more ink raises the score; orange: lowers it. Click a class to change it.")),
      ),
    );
    const row = cr.el("div", { class: "layers", id: "net-layers" });
    S.canvases = info.layers.map((layer, i) => {
      const { col, canvases } = layerColumn(layer, i);
      row.append(col);
      return canvases;
    });
    const soft = layerColumn({ label: "softmax", shape: [info.classes.length] }, info.layers.length);
    row.append(soft.col);
    S.canvases.push(soft.canvases);
    section.append(
      cr.el("div", { class: "panel" }, cr.el("h3", {}, "every layer's output (click a unit to see how it was computed)"), row),
    );
    S.unitPanel = cr.el("div", { class: "panel unit", id: "net-unit", hidden: true });
    section.append(S.unitPanel);
    section.dataset.state = "ready";
  }

  async function loadTest(index) {
    S.section.dataset.state = "busy"; // busy from the click on, not only once the forward pass is asked for
    let digit;
    try {
      digit = await cr.api("network/test_digit", index === null ? {} : { index });
    } catch (err) {
      if (!S.busy) S.section.dataset.state = "idle";
      return;
    }
    clearPad();
    S.caption.textContent = `test digit #${digit.index}, label ${digit.class_name}`;
    request({ test_index: digit.index });
  }

  cr.views.network = {
    init(section) {
      S.ready = build(section).then(() => {
        if (S.open !== undefined && S.info.available) loadTest(S.open);
      });
    },
    // Show test digit `index` (from the training view's misclassified images).
    open(index) {
      S.open = index;
      document.getElementById("view-network").dataset.state = "busy"; // until that digit is shown
      if (S.ready) S.ready.then(() => S.info.available && loadTest(index));
      cr.show("network");
    },
  };
})();
