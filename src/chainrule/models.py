"""The lecture's two MNIST networks, exactly, and an MLP baseline.

shallow (98,820 parameters): conv 1->10 5x5 s2 p2 (10x14x14) -> ReLU -> fc 1960->50 -> ReLU -> fc 50->10
deep (229,340): conv 1->10 5x5 s2 p2 (10x14x14) -> conv 10->40 3x3 s2 p1 (40x7x7)
                -> conv 40->80 3x3 s1 p1 (80x7x7) -> fc 3920->50 -> fc 50->10, ReLU between.

The networks end in logits: softmax is part of the loss (``F.cross_entropy`` fuses log-softmax
and the negative log-likelihood, which is stable where a separate softmax is not); use
``F.softmax(model(x), dim=1)`` for probabilities. Layer names are PyTorch's Sequential indices,
so a state dict loads into the same ``torch.nn.Sequential`` unchanged.
"""

from __future__ import annotations

from . import nn

INPUT_SHAPE = (1, 28, 28)


class Classifier(nn.Sequential):
    """A Sequential image classifier that knows its input shape: ``model.summary()`` is Keras's
    table (a forward pass on a dummy batch); ``print(model)`` is PyTorch's module tree."""

    def __init__(self, name: str, *layers: nn.Module, input_shape: tuple = INPUT_SHAPE) -> None:
        super().__init__(*layers)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "input_shape", tuple(input_shape))

    def summary(self, input_shape=None, batch_size: int = 2, dtype=None):
        table = super().summary(input_shape or self.input_shape, batch_size=batch_size, dtype=dtype)
        table.model_name = self.name
        return table


def shallow_cnn() -> Classifier:
    """The lecture's shallow CNN: one conv layer and two fully connected layers, 98,820 parameters."""
    return Classifier(
        "shallow_cnn",
        nn.Conv2d(1, 10, 5, stride=2, padding=2),  # 10 x 14 x 14
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(1960, 50),
        nn.ReLU(),
        nn.Linear(50, 10),
    )


def deep_cnn() -> Classifier:
    """The lecture's deep CNN: three conv layers and two fully connected layers, 229,340 parameters."""
    return Classifier(
        "deep_cnn",
        nn.Conv2d(1, 10, 5, stride=2, padding=2),  # 10 x 14 x 14
        nn.ReLU(),
        nn.Conv2d(10, 40, 3, stride=2, padding=1),  # 40 x 7 x 7
        nn.ReLU(),
        nn.Conv2d(40, 80, 3, stride=1, padding=1),  # 80 x 7 x 7
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(3920, 50),
        nn.ReLU(),
        nn.Linear(50, 10),
    )


def mlp(hidden: tuple = (256, 128)) -> Classifier:
    """A fully connected baseline: 784 -> hidden... -> 10 with ReLU (784-256-128-10: 235,146 parameters)."""
    layers: list = [nn.Flatten()]
    width = 28 * 28
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, 10))
    return Classifier("mlp", *layers)


MODELS = {"shallow": shallow_cnn, "deep": deep_cnn, "mlp": mlp}
LECTURE_ACCURACY = {"shallow": 0.9449, "deep": 0.9687}
LECTURE_PARAMETERS = {"shallow": 98_820, "deep": 229_340}


def get_model(name: str) -> Classifier:
    """A fresh model by name: "shallow", "deep" or "mlp"."""
    if name not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, got {name!r}")
    return MODELS[name]()
