// The training view: the run's loss, accuracy and learning-rate curves (live while it trains, from
// metrics.jsonl), the confusion matrix on the test set and the misclassified digits, each a link
// into the network view. Every number comes from the training/* routes.
"use strict";

(() => {
  const POLL_MS = 1000;
  const NS = "http://www.w3.org/2000/svg";
  const T = { records: [], generation: 0, filter: {} };

  const style = `
#view-training .charts { display: flex; gap: 1rem; flex-wrap: wrap; }
#view-training svg.chart { background: #fff; }
#view-training svg.chart text { font: 11px system-ui, sans-serif; fill: #444; }
#view-training table.confusion td { width: 2.6rem; text-align: center; cursor: pointer; font-variant-numeric: tabular-nums; }
#view-training table.confusion td.diag { font-weight: 600; }
#view-training table.confusion td.picked { outline: 2px solid var(--grad); }
#view-training .thumbs { display: flex; flex-wrap: wrap; gap: .5rem; max-width: 540px; }
#view-training .thumb { text-align: center; font-size: .75rem; cursor: pointer; }
#view-training .thumb canvas { image-rendering: pixelated; border: 1px solid var(--line); display: block; }
#view-training .thumb .wrong { color: var(--grad); }
#view-training .status.live { color: var(--value); font-weight: 600; }`;
  document.head.append(cr.el("style", {}, style));

  function svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    node.append(...children);
    return node;
  }

  // A line chart of series [{name, colour, points: [[epoch, value]]}] with its axes' end values.
  function chart(title, series, id) {
    const W = 340, H = 210, L = 48, R = 10, Tp = 24, B = 30;
    const all = series.flatMap((s) => s.points);
    const root = svg("svg", { class: "chart", width: W, height: H, id, "data-points": all.length });
    root.append(svg("text", { x: L, y: 14, "font-weight": "600" }, title));
    if (!all.length) {
      root.append(svg("text", { x: L, y: H / 2 }, "no records yet"));
      return root;
    }
    const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
    const x0 = Math.min(...xs, 0), x1 = Math.max(...xs, T.epochs || 1);
    let y0 = Math.min(...ys), y1 = Math.max(...ys);
    if (y1 - y0 < 1e-12) [y0, y1] = [y0 - 0.5 * Math.abs(y0 || 1), y1 + 0.5 * Math.abs(y1 || 1)];
    const X = (x) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
    const Y = (y) => H - B - ((y - y0) / (y1 - y0)) * (H - B - Tp);
    root.append(
      svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#999" }),
      svg("line", { x1: L, y1: Tp, x2: L, y2: H - B, stroke: "#999" }),
      svg("text", { x: L - 4, y: Y(y1) + 4, "text-anchor": "end" }, fmtAxis(y1)),
      svg("text", { x: L - 4, y: Y(y0) + 4, "text-anchor": "end" }, fmtAxis(y0)),
      svg("text", { x: X(x0), y: H - B + 14, "text-anchor": "middle" }, String(x0)),
      svg("text", { x: X(x1), y: H - B + 14, "text-anchor": "middle" }, String(x1)),
      svg("text", { x: (L + W) / 2, y: H - 4, "text-anchor": "middle" }, "epoch"),
    );
    series.forEach((s, k) => {
      if (!s.points.length) return;
      const d = s.points.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(" ");
      root.append(svg("polyline", { points: d, fill: "none", stroke: s.colour, "stroke-width": 2 }));
      for (const p of s.points) root.append(svg("circle", { cx: X(p[0]), cy: Y(p[1]), r: 3, fill: s.colour }));
      root.append(
        svg("rect", { x: W - R - 110, y: 8 + 14 * k, width: 10, height: 3, fill: s.colour }),
        svg("text", { x: W - R - 96, y: 13 + 14 * k }, s.name),
      );
    });
    return root;
  }

  function fmtAxis(y) {
    return Math.abs(y) >= 0.01 || y === 0 ? cr.fmt(y, 3) : y.toExponential(1);
  }

  function series(name, key, colour) {
    const points = T.records.filter((r) => r[key] !== null && r.epoch !== null).map((r) => [r.epoch, r[key]]);
    return { name, colour, points };
  }

  function drawCharts() {
    T.charts.replaceChildren(
      chart("loss", [series("train", "train_loss", "#2b5797"), series("validation", "val_loss", "#c0151b")], "chart-loss"),
      chart("accuracy", [series("train", "train_acc", "#2b5797"), series("validation", "val_acc", "#c0151b")], "chart-acc"),
      chart("learning rate (end of epoch)", [series("lr", "lr", "#1b7a2a")], "chart-lr"),
    );
    const last = T.records[T.records.length - 1];
    T.status.textContent = T.done ? `finished: ${T.records.length} epochs` :
      `training\u2026 ${T.records.length} of ${T.epochs ?? "?"} epochs (following metrics.jsonl)`;
    T.status.className = "status" + (T.done ? "" : " live");
    T.section.dataset.epochs = T.records.length;
    if (last) T.section.dataset.lastLoss = last.train_loss;
  }

  async function poll() {
    const answer = await cr.api("training/metrics", { since: T.records.length, generation: T.generation });
    if (answer.reset) T.records = [];
    T.records.push(...answer.records);
    T.generation = answer.generation;
    T.epochs = answer.epochs;
    T.done = answer.done;
    if (answer.reset || answer.records.length || !T.drawn) drawCharts();
    T.drawn = true;
  }

  function schedule() {
    T.timer = setTimeout(async () => {
      try {
        if (!T.section.hidden) await poll();
      } catch (err) {
        // the error is in the banner; keep following the file
      }
      schedule();
    }, POLL_MS);
  }

  // --- confusion matrix and misclassified digits -----------------------------------------------
  // A click may ask again before the answer comes (the server answers on several threads): only the
  // newest request's answer is drawn.
  async function loadConfusion() {
    const ticket = (T.confusionTicket = (T.confusionTicket || 0) + 1);
    const answer = await cr.api("training/confusion", { ...T.filter, limit: 60 });
    if (ticket !== T.confusionTicket) return;
    const max = Math.max(...answer.matrix.flat());
    const head = cr.el("tr", {}, cr.el("th", {}, "true \\ predicted"), answer.classes.map((c) => cr.el("th", {}, c)));
    const rows = answer.matrix.map((row, i) =>
      cr.el("tr", {}, cr.el("th", {}, answer.classes[i]), row.map((n, j) => {
        const shade = max ? Math.round(235 - 150 * Math.sqrt(n / max)) : 235;
        const picked = T.filter.label === i && T.filter.predicted === j;
        return cr.el("td", {
          class: (i === j ? "diag " : "") + (picked ? "picked" : ""),
          style: `background: ${i === j ? `rgb(${shade},245,${shade})` : n ? `rgb(250,${shade},${shade})` : "#fff"}`,
          title: `${n} test images of class ${answer.classes[i]} predicted as ${answer.classes[j]}`,
          onclick: () => pickCell(i, j),
        }, n);
      })),
    );
    T.matrix.replaceChildren(
      cr.el("h3", {}, `confusion matrix on ${answer.images.toLocaleString()} test images \u00b7 accuracy ${cr.fmt(answer.accuracy, 4)}`),
      cr.el("table", { class: "numbers confusion", id: "confusion" }, head, rows),
      cr.el("div", { class: "muted" }, "click a cell to see those digits; click again for all"),
    );
    const what = T.filter.label === undefined ? "misclassified test digits" :
      `class ${answer.classes[T.filter.label]} predicted as ${answer.classes[T.filter.predicted]}`;
    T.wrong.replaceChildren(
      cr.el("h3", {}, `${what}: ${answer.misclassified} (showing ${answer.items.length}; click one to open it in the network view)`),
      cr.el("div", { class: "thumbs", id: "misclassified" }, answer.items.map((item) => thumb(item, answer.classes))),
    );
  }

  function pickCell(i, j) {
    const same = T.filter.label === i && T.filter.predicted === j;
    T.filter = same || i === j ? {} : { label: i, predicted: j };
    loadConfusion().catch(() => null);
  }

  function thumb(item, classes) {
    const cv = cr.el("canvas", { width: 28, height: 28, style: "width:56px;height:56px" });
    const ctx = cv.getContext("2d");
    const image = ctx.createImageData(28, 28);
    const bytes = Uint8Array.from(atob(item.pixels), (c) => c.charCodeAt(0));
    bytes.forEach((v, k) => {
      image.data.set([255 - v, 255 - v, 255 - v, 255], 4 * k);
    });
    ctx.putImageData(image, 0, 0);
    return cr.el(
      "div",
      { class: "thumb", "data-index": item.index, title: `test digit #${item.index} (confidence ${cr.fmt(item.confidence, 3)})`,
        onclick: () => cr.views.network.open(item.index) },
      cv,
      cr.el("span", {}, classes[item.label], " \u2192 ", cr.el("span", { class: "wrong" }, classes[item.predicted])),
    );
  }

  cr.views.training = {
    async init(section) {
      T.section = section;
      const info = await cr.api("network/model", {});
      section.append(cr.el("h2", {}, "Training: the run's curves, its confusion matrix and its mistakes"));
      if (!info.available) {
        section.append(cr.el("div", { class: "panel", id: "training-message" }, info.message));
        return;
      }
      T.status = cr.el("span", { class: "status" });
      T.charts = cr.el("div", { class: "charts" });
      T.matrix = cr.el("div", { class: "panel" }, "computing the test-set predictions\u2026");
      T.wrong = cr.el("div", { class: "panel", style: "flex: 1 1 300px; min-width: 0" });
      section.append(
        cr.el("div", { class: "muted", style: "margin-bottom:.5rem" }, `run ${info.run} \u00b7 ${info.model} on ${info.dataset} \u00b7 `, T.status),
        cr.el("div", { class: "panel" }, T.charts),
        cr.el("div", { class: "row" }, T.matrix, T.wrong),
      );
      await poll();
      schedule();
      await loadConfusion();
      section.dataset.state = "ready";
    },
  };
})();
