"""The training view's API: the run's metrics as they grow, the confusion matrix, the misclassified digits.

``training/metrics`` follows ``RUN_DIR/metrics.jsonl`` (one record per epoch, appended by
``train.metrics.MetricsLog``): the server keeps the byte offset it has read to and parses only
the complete lines past it; the page asks with the number of records it has (``since``). A file
that shrank (a resumed run rewrites it) starts a new ``generation`` and the page redraws.
"""

from __future__ import annotations

import base64
import json

import numpy as np

from ...data.transforms import to_float
from ...train.metrics import COLUMNS
from ...train.trainer import evaluate
from ...viz.plots import confusion_matrix
from ..protocol import BadRequest, Context, number
from ..runs import COMPUTE, HOW_TO_TRAIN, class_names, loaded, test_set

MAX_READ = 8 << 20  # bytes of new metrics read per request (a run writes ~200 bytes an epoch)
MAX_ITEMS = 200  # misclassified digits per answer


def _run(ctx: Context):
    if ctx.run_dir is None:
        raise BadRequest(HOW_TO_TRAIN, 404)
    return ctx.run_dir


def _clean(line: bytes) -> dict | None:
    """One metrics record with only the known columns, numbers or null; None for a line that is not one."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    out = {}
    for key in COLUMNS:
        value = record.get(key)
        ok = isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)
        out[key] = value if ok else None
    return out


def _follow(ctx: Context) -> dict:
    """The records read so far, after reading the lines appended since the last call."""
    path = _run(ctx) / "metrics.jsonl"
    with ctx.lock:
        log = ctx.cache.setdefault("metrics", {"offset": 0, "records": [], "generation": 0})
        size = path.stat().st_size if path.is_file() else 0
        if size < log["offset"]:  # rewritten, not appended: read it again from the start
            log.update(offset=0, records=[], generation=log["generation"] + 1)
        if size > log["offset"]:
            with open(path, "rb") as f:
                f.seek(log["offset"])
                chunk = f.read(min(size - log["offset"], MAX_READ))
            complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits for the next call
            log["records"] += [r for r in map(_clean, complete.splitlines()) if r is not None]
            log["offset"] += len(complete)
        return {"records": list(log["records"]), "generation": log["generation"]}


def metrics(payload: dict, ctx: Context) -> dict:
    """Records past the first ``since`` (all of them when ``generation`` is not the server's)."""
    since = number(payload.get("since", 0), "since", integer=True, lo=0, hi=1e9)
    log = _follow(ctx)
    reset = payload.get("generation", log["generation"]) != log["generation"] or since > len(log["records"])
    start = 0 if reset else since
    run = _run(ctx)
    config = loaded(ctx).config
    return {
        "run": run.name,
        "model": config.get("model"),
        "epochs": config.get("epochs"),
        "generation": log["generation"],
        "reset": reset,
        "since": start,
        "records": log["records"][start:],
        "total": len(log["records"]),
        "done": (run / "summary.json").is_file(),
    }


def _predictions(ctx: Context) -> dict:
    """Test-set predictions of the current model, computed once per checkpoint."""
    model = loaded(ctx)
    images, labels = test_set(ctx, model.dataset)

    def run() -> dict:
        with COMPUTE:
            result = evaluate(model.model, to_float(images), labels)
        return {"predicted": result.predictions, "confidence": result.probabilities.max(axis=1)}

    key = f"predictions:{model.stamp}"
    return ctx.cached(key, run)


def _class(payload: dict, name: str, k: int):
    value = payload.get(name)
    return None if value is None else number(value, name, integer=True, lo=0, hi=k - 1)


def confusion(payload: dict, ctx: Context) -> dict:
    """The confusion matrix on the test set and misclassified digits (``label``/``predicted`` filter them)."""
    model = loaded(ctx)
    classes = class_names(model.dataset)
    k = len(classes)
    offset = number(payload.get("offset", 0), "offset", integer=True, lo=0, hi=1e9)
    limit = number(payload.get("limit", 60), "limit", integer=True, lo=1, hi=MAX_ITEMS)
    label, predicted = _class(payload, "label", k), _class(payload, "predicted", k)
    images, labels = test_set(ctx, model.dataset)
    found = _predictions(ctx)
    pred = found["predicted"]
    matrix = confusion_matrix(labels, pred, k)
    wrong = pred != labels
    if label is not None:
        wrong &= labels == label
    if predicted is not None:
        wrong &= pred == predicted
    where = np.flatnonzero(wrong)
    items = [
        {
            "index": int(i),
            "label": int(labels[i]),
            "predicted": int(pred[i]),
            "confidence": float(found["confidence"][i]),
            "pixels": base64.b64encode(np.ascontiguousarray(images[i], np.uint8).tobytes()).decode("ascii"),
        }
        for i in where[offset : offset + limit]
    ]
    return {
        "classes": classes,
        "matrix": matrix.tolist(),
        "images": int(len(labels)),
        "accuracy": float(np.mean(pred == labels)),
        "misclassified": int(where.size),
        "offset": offset,
        "items": items,
    }


ROUTES = {"training/metrics": metrics, "training/confusion": confusion}
