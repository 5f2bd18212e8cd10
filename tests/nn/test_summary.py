"""Model summaries: layer rows, output shapes, parameter counts and totals; the model is left as it was."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

import chainrule as cr
import chainrule.nn as nn


def test_mlp_784_50_10_has_39760_parameters():
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10), nn.Softmax(dim=1))
    s = model.summary((1, 28, 28))
    assert s.total_params == s.trainable_params == 39_760 and s.non_trainable_params == 0
    assert [(r.name, r.kind, r.output_shape, r.params) for r in s.rows] == [
        ("0", "Flatten", (None, 784), 0),
        ("1", "Linear", (None, 50), 39_250),
        ("2", "ReLU", (None, 50), 0),
        ("3", "Linear", (None, 10), 510),
        ("4", "Softmax", (None, 10), 0),
    ]
    text = str(s)
    assert "1 (Linear)" in text and "(None, 50)" in text and "39,250" in text
    assert "Total params: 39,760" in text and "Trainable params: 39,760" in text
    assert repr(s) == text and nn.summary(model, (784,)).total_params == 39_760


def test_lecture_networks_have_the_lectures_parameter_counts():
    shallow = nn.Sequential(
        nn.Conv2d(1, 10, 5, stride=2, padding=2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(1960, 50),
        nn.ReLU(),
        nn.Linear(50, 10),
        nn.Softmax(dim=1),
    )
    s = shallow.summary((1, 28, 28))
    assert s.total_params == 98_820
    assert s.rows[0].output_shape == (None, 10, 14, 14) and s.rows[0].params == 260
    deep = nn.Sequential(
        nn.Conv2d(1, 10, 5, stride=2, padding=2),
        nn.ReLU(),
        nn.Conv2d(10, 40, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(40, 80, 3, stride=1, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(3920, 50),
        nn.ReLU(),
        nn.Linear(50, 10),
        nn.Softmax(dim=1),
    )
    d = deep.summary((1, 28, 28))
    assert d.total_params == 229_340
    assert [r.output_shape for r in d.rows if r.kind == "Conv2d"] == [
        (None, 10, 14, 14),
        (None, 40, 7, 7),
        (None, 80, 7, 7),
    ]


def test_summary_leaves_batchnorm_dropout_and_modes_alone():
    model = nn.Sequential(
        OrderedDict(
            [
                ("fc", nn.Linear(4, 3)),
                ("bn", nn.BatchNorm1d(3)),
                ("drop", nn.Dropout()),
                ("head", nn.Sequential(nn.ReLU(), nn.Linear(3, 2))),
            ]
        )
    )
    model.head.eval()
    before = model.state_dict()
    s = model.summary((4,))
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)
    assert model.training and model.bn.training and not model.head.training
    assert [r.name for r in s.rows] == ["fc", "bn", "drop", "head.0", "head.1"]
    assert s.rows[1].params == 6 and s.total_params == 15 + 6 + 8
    assert all(not m._forward_hooks for m in model.modules())  # hooks removed
    model.fc.requires_grad_(False)
    s = model.summary((4,))
    assert s.trainable_params == 14 and s.non_trainable_params == 15


def test_custom_module_and_shared_layers_count_each_parameter_once():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)
            self.scale = nn.Parameter(cr.ones(3))

        def forward(self, x):
            return self.fc(self.fc(x)) * self.scale

    s = Net().summary((3,))
    assert s.total_params == 15
    assert [(r.name, r.params) for r in s.rows] == [("fc", 12), ("fc", 0), ("Net", 3)]
