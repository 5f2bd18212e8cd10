"""The network view's API: a drawn or test digit through the run's model, layer by layer.

An image is either ``{"test_index": i}`` (MNIST's own test digit i) or a drawing,
``{"pixels": [...], "width": W, "height": H}``: W*H ints 0..255 row by row, the ink's opacity
(W, H <= 512), prepared as MNIST was (``data.images.preprocess_array``: the digit's box scaled
into 20x20, centred by its centre of mass in 28x28). Activations travel as base64 of float32
little-endian (compact, exact, quick to encode: the deep net's are ~18,000 numbers).
"""

from __future__ import annotations

import base64
import json
import random

import numpy as np

from ...autograd import grad, no_grad
from ...autograd.engine import enable_grad
from ...autograd.tensor import Tensor
from ...data.images import ImageError, preprocess_array
from ...nn import functional as F
from ..protocol import BadRequest, Context, field_of, number
from ..runs import COMPUTE, HOW_TO_TRAIN, Loaded, class_names, dataset_of, loaded, test_set
from ..units import explain, softmax_unit, unit_index

MAX_SIDE = 512  # a drawing past 512x512 pixels is refused (413): the page sends at most 112x112
SIZE = 28


def b64(array) -> str:
    """float32 little-endian bytes of ``array``, base64: what ``cr.floats`` in the page decodes."""
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


def image_of(payload: dict, ctx: Context) -> tuple[np.ndarray, dict]:
    """(float32 (28, 28) in [0, 1], what it is) from a request's ``test_index`` or ``pixels``."""
    if "test_index" in payload:
        images, labels = test_set(ctx, dataset_of(ctx))
        i = number(payload["test_index"], "test_index", integer=True, lo=0, hi=len(images) - 1)
        return images[i].astype(np.float32) / np.float32(255), {"test_index": i, "label": int(labels[i])}
    if "pixels" not in payload:
        raise BadRequest("the image is missing: send 'test_index' or 'pixels' with 'width' and 'height'")
    width = field_of(payload, "width", int)
    height = field_of(payload, "height", int)
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise BadRequest(f"a drawing of {width}x{height} pixels is past the limit of {MAX_SIDE}x{MAX_SIDE}", 413)
    pixels = payload["pixels"]
    if not isinstance(pixels, list) or len(pixels) != width * height:
        got = len(pixels) if isinstance(pixels, list) else type(pixels).__name__
        raise BadRequest(f"field 'pixels' must be a list of width*height = {width * height} ints 0..255, got {got}")
    arr = np.asarray(pixels) if all(type(p) is int for p in pixels) else None
    if arr is None or arr.dtype.kind != "i" or (arr.size and (arr.min() < 0 or arr.max() > 255)):
        raise BadRequest("field 'pixels' must hold ints 0..255 (the ink's opacity)")
    arr = arr.reshape(height, width).astype(np.uint8)
    if not field_of(payload, "preprocess", bool, True):
        if (height, width) != (SIZE, SIZE):
            raise BadRequest(f"without preprocessing the image must be 28x28, got {width}x{height}")
        return arr.astype(np.float32) / np.float32(255), {}
    try:
        return preprocess_array(arr, name="the drawing"), {}
    except ImageError as err:
        raise BadRequest(str(err), 422) from None


def describe(name: str, layer) -> str:
    """A short label: "0 Conv2d 1->10 5x5 s2 p2", "7 Linear 3920->50", "1 ReLU"."""
    kind = type(layer).__name__
    if kind == "Conv2d":
        k, s, p = "x".join(map(str, layer.kernel_size)), layer.stride, layer.padding  # tuples, or a string padding
        s = s[0] if len(set(s)) == 1 else s
        p = p[0] if isinstance(p, tuple) and len(set(p)) == 1 else p
        return f"{name} {kind} {layer.in_channels}\u2192{layer.out_channels} {k} s{s} p{p}"
    if kind == "Linear":
        return f"{name} {kind} {layer.in_features}\u2192{layer.out_features}"
    if kind in ("MaxPool2d", "AvgPool2d"):
        return f"{name} {kind} {layer.kernel_size}"
    return f"{name} {kind}"


def model_input(model: Loaded, image: np.ndarray) -> np.ndarray:
    """The (28, 28) image in the shape the model takes, without the batch axis: (1, 28, 28) or its ``input_shape``."""
    return image.reshape(getattr(model.model, "input_shape", (1, SIZE, SIZE)))


def forward_all(model: Loaded, image: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Every layer's output for one image (batch axis dropped), and the ten softmax probabilities."""
    x = Tensor(model_input(model, image)[None])
    outs = []
    with COMPUTE, no_grad():
        for _, layer in model.layers:
            x = layer(x)
            outs.append(x.numpy()[0])
        probs = F.softmax(x, dim=1).numpy()[0]
    return outs, probs


def layer_table(model: Loaded, outs: list) -> list[dict]:
    return [
        {"index": i, "name": name, "kind": type(layer).__name__, "label": describe(name, layer), "shape": list(o.shape)}
        for i, ((name, layer), o) in enumerate(zip(model.layers, outs))
    ]


def model_info(payload: dict, ctx: Context) -> dict:
    """What the page needs to lay out the view: the layers and their output shapes, the classes."""
    if ctx.run_dir is None:
        return {"available": False, "message": HOW_TO_TRAIN, "classes": class_names("mnist")}
    model = loaded(ctx)
    outs, _ = forward_all(model, np.zeros((SIZE, SIZE), np.float32))
    summary = ctx.run_dir / "summary.json"
    accuracy = None
    if summary.is_file():
        try:
            accuracy = json.loads(summary.read_text()).get("test_accuracy")
        except (OSError, ValueError):
            pass  # an unreadable summary: the page shows no accuracy
    return {
        "available": True,
        "run": ctx.run_dir.name,
        "model": model.config.get("model") or getattr(model.model, "name", type(model.model).__name__),
        "dataset": model.dataset,
        "classes": class_names(model.dataset),
        "parameters": int(sum(p.numel() for p in model.model.parameters())),
        "test_accuracy": accuracy if isinstance(accuracy, float) else None,
        "layers": layer_table(model, outs),
    }


def forward(payload: dict, ctx: Context) -> dict:
    """The prediction, the ten probabilities and every layer's activations for one image."""
    image, about = image_of(payload, ctx)
    model = loaded(ctx)
    outs, probs = forward_all(model, image)
    layers = layer_table(model, outs)
    for entry, out in zip(layers, outs):
        entry["data"] = b64(out)
        entry["range"] = [float(out.min()), float(out.max())]
    return {
        **about,
        "input": b64(image),
        "layers": layers,
        "probabilities": [float(p) for p in probs],
        "prediction": int(np.argmax(probs)),
    }


def unit(payload: dict, ctx: Context) -> dict:
    """How one output value of one layer was computed: ``layer`` (index, or the count for the softmax)
    and ``unit`` (a list of indices into that layer's output)."""
    image, _ = image_of(payload, ctx)
    model = loaded(ctx)  # once: each call stats the checkpoint
    outs, probs = forward_all(model, image)
    n = len(outs)
    index = field_of(payload, "layer", int)
    if not 0 <= index <= n:
        raise BadRequest(f"field 'layer' must be in [0, {n}] ({n} is the softmax), got {index}")
    if index == n:
        k = unit_index(field_of(payload, "unit", list), probs.shape)[0]
        return {"layer": n, "unit": [k], "label": "softmax", **softmax_unit(outs[-1], probs, k)}
    name, layer = model.layers[index]
    where = unit_index(field_of(payload, "unit", list), outs[index].shape)
    x = outs[index - 1] if index else model_input(model, image)
    with COMPUTE, no_grad():
        answer = explain(layer, x, outs[index], where)
    if index + 1 < n and outs[index + 1].shape == outs[index].shape:
        answer["next"] = {"label": describe(*model.layers[index + 1]), "value": float(outs[index + 1][where])}
    return {"layer": index, "unit": list(where), "label": describe(name, layer), **answer}


def saliency(payload: dict, ctx: Context) -> dict:
    """d(score of ``class``)/d(input pixels) by chainrule's backward pass; ``class`` defaults to the prediction."""
    image, _ = image_of(payload, ctx)
    model = loaded(ctx)
    with COMPUTE, enable_grad():
        x = Tensor(model_input(model, image)[None], requires_grad=True)
        logits = model.model(x)
        scores = logits.detach().numpy()[0]
        predicted = int(np.argmax(scores))
        k = (
            predicted
            if payload.get("class") is None
            else number(payload["class"], "class", True, 0, logits.shape[1] - 1)
        )
        (gradient,) = grad(logits[0, k], [x])
    g = gradient.numpy().reshape(image.shape)
    return {
        "class": k,
        "predicted": predicted,
        "score": float(scores[k]),
        "gradient": [round(float(v), 7) for v in g.reshape(-1)],
        "max_abs": float(np.abs(g).max()),
        "shape": list(g.shape),
    }


def test_digit(payload: dict, ctx: Context) -> dict:
    """A test digit (``index``, or a random one): its pixels (784 ints) and label."""
    dataset = dataset_of(ctx)
    images, labels = test_set(ctx, dataset)
    if payload.get("index") is None:
        i = random.randrange(len(images))
    else:
        i = number(payload["index"], "index", integer=True, lo=0, hi=len(images) - 1)
    label = int(labels[i])
    return {
        "index": i,
        "label": label,
        "class_name": class_names(dataset)[label],
        "pixels": images[i].reshape(-1).tolist(),
    }


ROUTES = {
    "network/model": model_info,
    "network/forward": forward,
    "network/unit": unit,
    "network/saliency": saliency,
    "network/test_digit": test_digit,
}
