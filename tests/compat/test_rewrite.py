"""The import rewrite changes torch/torchvision imports and nothing else."""

from __future__ import annotations

import pytest

from tests.compat.rewrite import to_chainrule

CASES = [
    ("import torch\n", "import chainrule as torch\n"),
    ("import torch.nn as nn\n", "import chainrule.nn as nn\n"),
    ("import torch.nn.functional as F\n", "import chainrule.nn.functional as F\n"),
    ("import torch.optim as optim\n", "import chainrule.optim as optim\n"),
    ("from torch import nn, optim\n", "from chainrule import nn, optim\n"),
    ("from torch.nn import functional as F\n", "from chainrule.nn import functional as F\n"),
    (
        "from torch.utils.data import DataLoader, TensorDataset\n",
        "from chainrule.utils.data import DataLoader, TensorDataset\n",
    ),
    ("from torch.optim.lr_scheduler import StepLR\n", "from chainrule.optim.lr_scheduler import StepLR\n"),
    ("from torch.autograd import Variable\n", "from chainrule.autograd import Variable\n"),
    ("import torch.utils.data\n", "import chainrule.utils.data; import chainrule as torch\n"),
    ("from torchvision import datasets, transforms\n", "from chainrule.vision import datasets, transforms\n"),
    ("from torchvision.transforms import ToTensor\n", "from chainrule.vision.transforms import ToTensor\n"),
    ("from torchvision.utils import save_image\n", "from chainrule.vision.utils import save_image\n"),
    ("import torchvision\n", "import chainrule.vision as torchvision\n"),
    ("import torch, math\n", "import chainrule as torch; import math\n"),
]


@pytest.mark.parametrize(("before", "after"), CASES)
def test_torch_imports_point_at_chainrule(before, after):
    assert to_chainrule(before) == after


def test_everything_but_the_imports_is_left_as_written():
    source = (
        "import math\nimport numpy as np\nfrom itertools import count\nimport torch  # the library\n"
        "x = torch.ones(3)  # import torch in a comment\ns = 'import torch'\n"
    )
    expected = source.replace("import torch  # the library", "import chainrule as torch  # the library")
    assert to_chainrule(source) == expected


def test_a_multiline_import_keeps_the_line_count_and_indented_imports_are_rewritten():
    source = (
        "from torch.utils.data import (\n    DataLoader,\n    Dataset,\n)\ndef f():\n    import torch\n    return 1\n"
    )
    out = to_chainrule(source)
    assert out.splitlines()[0] == "from chainrule.utils.data import DataLoader, Dataset"
    assert len(out.splitlines()) == len(source.splitlines())
    assert "    import chainrule as torch\n" in out


def test_names_that_only_start_with_torch_are_not_touched():
    source = "import torchaudio_like\nfrom torchmetrics import Accuracy\n"
    assert to_chainrule(source) == source
