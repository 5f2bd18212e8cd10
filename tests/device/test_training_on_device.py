"""Placement (tensors, modules, optimizers) and the trainer on the GPU (or its stand-in)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr
import chainrule.backend.devices as D
import chainrule.nn.functional as F
from chainrule.train.run import TrainConfig, train


def test_tensor_placement_and_the_gradient_coming_back(gpu):
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert x.device == "cpu" and repr(x.device) == "device(type='cpu')"
    y = x.to(gpu)
    assert y.device == cr.device("cuda:0") and D.is_cuda_array(y._data) and y is not x
    assert y.to(gpu) is y and x.to("cpu") is x
    assert "device='cuda:0'" in repr(y)
    z = (y * y).sum()
    assert z.device == gpu
    z.backward()
    assert x.grad.device == "cpu" and isinstance(x.grad._data, np.ndarray)  # it travelled back through .to()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])
    host = y.detach().numpy()
    assert isinstance(host, np.ndarray) and host.tolist() == [1.0, 2.0, 3.0]
    back = y.cpu()
    assert back.device == "cpu" and isinstance(back._data, np.ndarray) and back.tolist() == [1.0, 2.0, 3.0]
    assert cr.tensor(5.0, device=gpu).item() == 5.0
    copy = cr.tensor(y)  # torch.tensor(t): a copy on t's device unless device= says otherwise
    assert copy.device == gpu and D.is_cuda_array(copy._data) and copy._data is not y._data
    assert cr.tensor(y, device="cpu").device == "cpu"
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    v = w.to(gpu, cr.float64)  # device and dtype at once, as PyTorch
    assert v.device == gpu and v.dtype == np.float64 and w.to(cr.float32) is w
    (v * 3).sum().backward()
    assert w.grad.dtype == np.float32 and w.grad.tolist() == [3.0, 3.0]
    assert (y > 1.5).device == gpu and (y > 1.5).numpy().tolist() == [False, True, True]


def test_factories_take_a_device_and_draw_the_same_numbers(gpu):
    for make in (cr.randn, cr.rand):
        cr.manual_seed(3)
        on_cpu = make(2, 3)
        cr.manual_seed(3)
        on_gpu = make(2, 3, device=gpu)
        assert on_gpu.device == gpu
        np.testing.assert_array_equal(on_gpu.numpy(), on_cpu.numpy())
    assert cr.zeros(2, device=gpu).device == gpu and cr.ones(2, 2, device=gpu).numpy().sum() == 4
    assert cr.arange(4, device=gpu).numpy().tolist() == [0, 1, 2, 3]
    assert cr.zeros_like(cr.ones(3, device=gpu)).device == gpu


def test_module_to_moves_parameters_in_place_and_the_optimizer_follows(gpu):
    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(4, 3), cr.nn.ReLU(), cr.nn.Linear(3, 2))
    params = list(model.parameters())
    opt = cr.optim.Adam(model.parameters(), lr=0.1)  # made on the CPU, before the move
    x, y = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32), np.array([0, 1, 1, 0, 1])
    F.cross_entropy(model(cr.tensor(x)), cr.tensor(y)).backward()
    opt.step()  # state created on the CPU
    assert model.to(gpu) is model and list(model.parameters()) == params
    assert all(p.device == gpu and p.grad.device == gpu and D.is_cuda_array(p.grad._data) for p in params)
    opt.zero_grad()
    F.cross_entropy(model(cr.tensor(x, device=gpu)), cr.tensor(y, device=gpu)).backward()
    opt.step()  # the state follows its parameters to the GPU
    assert all(D.is_cuda_array(v) for s in opt.state.values() for v in s.values() if hasattr(v, "shape") and v.ndim)
    model.cpu()
    assert all(p.device == "cpu" for p in model.parameters())


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: cr.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2),
        lambda ps: cr.optim.Adam(ps, lr=0.01, amsgrad=True),
        lambda ps: cr.optim.AdamW(ps, lr=0.01),
        lambda ps: cr.optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    ],
    ids=["sgd", "adam", "adamw", "rmsprop"],
)
def test_optimizers_take_the_same_steps_on_every_device(gpu, make):
    x = np.random.default_rng(1).standard_normal((8, 1, 28, 28)).astype(np.float64)
    y = np.arange(8) % 10
    weights = {}
    for device in ("cpu", gpu):
        cr.manual_seed(2)
        model = cr.models.shallow_cnn().double().to(device)
        opt = make(model.parameters())
        for _ in range(5):
            opt.zero_grad()
            F.cross_entropy(model(cr.tensor(x, device=device)), cr.tensor(y, device=device)).backward()
            cr.optim.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        weights[device] = [p.detach().cpu().numpy() for p in model.parameters()]
        state = opt.state_dict()  # copies, on the parameters' device
        opt.load_state_dict(state)
    for w, r in zip(weights[gpu], weights["cpu"]):
        np.testing.assert_allclose(w, r, rtol=1e-9, atol=1e-12)


def test_train_on_the_device_checkpoints_and_resumes(gpu, mnist_home, tmp_path):
    config = TrainConfig(
        model="shallow",
        epochs=1,
        limit=600,
        batch_size=100,
        device=gpu,
        out=str(tmp_path / "run"),
        plots=False,
        progress=False,
        val_fraction=0.1,
        schedule="none",
    )
    summary = train(config, log=lambda s: None)
    assert summary["config"]["device"] == str(cr.device(gpu))  # as asked: torch's str(device("cuda")) is "cuda"
    assert summary["test_accuracy"] > 0.15  # above chance
    on_cpu = TrainConfig(**{**config.__dict__, "device": "cpu", "out": str(tmp_path / "cpu")})
    reference = train(on_cpu, log=lambda s: None)
    assert abs(summary["test_accuracy"] - reference["test_accuracy"]) < 0.02  # float32, other summation orders
    more = TrainConfig(**{**config.__dict__, "epochs": 2})
    resumed = train(more, resume=str(tmp_path / "run"), log=lambda s: None)  # the GPU run goes on
    assert resumed["epochs_done"] == 2
    moved = TrainConfig(**{**on_cpu.__dict__, "epochs": 2, "device": gpu})
    resumed = train(moved, resume=str(tmp_path / "cpu"), log=lambda s: None)  # a CPU run goes on on the GPU
    assert resumed["epochs_done"] == 2 and cr.device(resumed["config"]["device"]) == "cuda:0"


def test_import_never_needs_cupy_and_cuda_without_it_is_one_clear_error(tmp_path):
    code = (
        "import sys, chainrule as cr; assert 'cupy' not in sys.modules\n"
        "sys.modules['cupy'] = None  # as if it were not installed\n"
        "try:\n    cr.tensor([1.0], device='cuda')\n"
        "except cr.devices.DeviceError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "device 'cuda' needs CuPy" in out.stdout and "pip install 'chainrule[gpu]'" in out.stdout
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        cr.device("tpu")


def test_a_model_on_the_device_prints_its_summary(gpu):
    model = cr.models.shallow_cnn().to(gpu)
    assert "98,820" in str(model.summary()) and repr(model).startswith("Classifier(")
    assert all(p.device == gpu for p in model.parameters())


def test_the_gpu_benchmark_runs_chainrule_on_the_device(gpu):
    """benchmarks/train_vs_torch.py --device cuda: chainrule's side (PyTorch's needs CUDA itself)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "train_vs_torch.py"
    spec = importlib.util.spec_from_file_location("train_vs_torch", path)
    bench = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(bench)
    finally:
        sys.path.remove(str(path.parent))
    place, step, infer, sync = bench.train_step_fn("chainrule", "deep", gpu)
    x = place(np.random.default_rng(0).random((8, 1, 28, 28), dtype=np.float32))
    y = place(np.arange(8) % 10)
    assert x.device == gpu and D.is_cuda_array(x._data) and y.device == gpu and D.is_cuda_array(y._data)
    step(x[:4], y[:4])
    out = infer(x)
    sync()
    assert out.device == gpu and out.shape == (8, 10)
    assert bench.overhead_worker("chainrule", gpu, n_ops=20) > 0
