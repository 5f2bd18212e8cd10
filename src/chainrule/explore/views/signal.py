"""The signal view's API: flip-and-slide 1-D convolution, and an LTI system's superposition.

``signal/table`` is ``chainrule convolve --table`` as data: for each shift n the flipped h under
x, the products x[k] h[n - k] and y[n] (``signal.table``). ``signal/superposition`` writes x as a
sum of scaled, shifted unit samples and answers each term's response, a scaled, shifted h, whose
sum is y (``signal.LTISystem``, ``signal.decompose``). Sequences start at n = 0, as in
``chainrule convolve``; they come as the CLI's text ("3,1,2") or as JSON lists.
"""

from __future__ import annotations

import argparse
import re

from ... import backend as B
from ...signal import LTISystem, convolution_table, decompose
from ...signal.cli import sequence
from ...signal.table import check_table_size
from ..protocol import BadRequest, Context, field_of, number

MAX_SAMPLES = 64  # per sequence; x and h together at most MAX_TABLE_SAMPLES (the table's cap)
MAX_TEXT = 2000  # characters of a sequence given as text
MAX_MAGNITUDE = 1e15  # per sample: products and sums stay exact in float64 and finite in JSON


def table(payload: dict, ctx: Context) -> dict:
    """The flip-and-slide table of y = x * h: one slide per n, each with its products and y[n]."""
    x, h = _pair(payload)
    t = convolution_table(x, h)
    y = t.y.tolist()
    rows = t.rows()
    slides = []
    for n, terms, (label, cells), equation in zip(t.n, t.products, rows[2:], t.equations()):
        slides.append(
            {
                "n": n,
                "label": label,
                "cells": cells,  # h[n - k] under each k, "" where h has no sample
                "products": [{"k": k, "x": a, "h": b, "product": a * b} for k, a, b in terms],
                "y": y[n] if n < len(y) else 0,  # the last slide is past the overlap
                "equation": equation,
            }
        )
    return {"x": x, "h": h, "k": t.k, "x_cells": rows[1][1], "slides": slides, "y": y, "text": t.text()}


def superposition(payload: dict, ctx: Context) -> dict:
    """x = sum_k x[k] delta[n - k]; the system answers each term with x[k] h[n - k]; they sum to y = x * h."""
    x, h = _pair(payload)
    system = LTISystem(B.numpy.asarray(h, dtype=B.numpy.float64))
    n, y = system.response(B.numpy.asarray(x, dtype=B.numpy.float64))
    terms = []
    for term in decompose(x):
        _, response = system.response(term.sequence)
        terms.append(
            {
                "k": term.k,
                "scale": term.value,
                "label": term.label,
                "input": term.sequence.tolist(),
                "response": response.tolist(),
            }
        )
    total = B.numpy.sum([t["response"] for t in terms], axis=0)
    return {
        "x": x,
        "h": h,
        "n": n.tolist(),
        "impulse_response": system.impulse_response().tolist(),
        "terms": terms,
        "sum_of_responses": total.tolist(),
        "y": y.tolist(),
    }


def _pair(payload: dict) -> tuple[list, list]:
    x, h = _sequence(payload, "x"), _sequence(payload, "h")
    try:
        check_table_size(len(x), len(h), "fields 'x' and 'h'")
    except ValueError as err:
        raise BadRequest(str(err)) from None
    return x, h


def _sequence(payload: dict, name: str) -> list:
    """Field ``name``: the CLI's text ("3, 1, 2"; blanks also separate) or a JSON list of numbers."""
    raw = field_of(payload, name, (str, list))
    if isinstance(raw, str):
        if len(raw) > MAX_TEXT:
            raise BadRequest(f"field {name!r} is {len(raw)} characters long; the limit is {MAX_TEXT}")
        try:
            values = sequence(",".join(re.split(r"[\s,]+", raw.strip()))).tolist()
        except argparse.ArgumentTypeError as err:
            raise BadRequest(f"field {name!r}: {err}") from None
    else:
        if not 1 <= len(raw) <= MAX_SAMPLES:  # checked before the samples: a huge list costs nothing
            raise BadRequest(f"field {name!r} has {len(raw)} samples; give 1 to {MAX_SAMPLES}")
        values = [_sample(v, f"{name}[{i}]") for i, v in enumerate(raw)]
    if len(values) > MAX_SAMPLES:
        raise BadRequest(f"field {name!r} has {len(values)} samples; give 1 to {MAX_SAMPLES}")
    for i, v in enumerate(values):
        _check_size(v, f"{name}[{i}]")
    return values


def _sample(v, name: str):
    """A JSON number: ints stay ints (exact, as the CLI), floats must be finite."""
    if isinstance(v, int) and not isinstance(v, bool):
        return _check_size(v, name)
    return number(v, name)


def _check_size(v, name: str):
    if abs(v) > MAX_MAGNITUDE:  # exact for Python ints of any size
        raise BadRequest(f"field {name!r} is out of range: the page takes samples up to {MAX_MAGNITUDE:.0e} in size")
    return v


ROUTES = {"signal/table": table, "signal/superposition": superposition}
