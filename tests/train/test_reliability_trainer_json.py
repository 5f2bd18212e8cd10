"""trainer.json is checked against one schema on read; any mismatch is a
CheckpointError naming the file (and, for the schema, the field), never a traceback.

Hypothesis mutates a real checkpoint's trainer.json (a subtree replaced by a string, a list, an
object, a bool, null, 10**400, NaN or infinity written as bare JSON constants, a negative number,
or deleted) and the whole JSON replaced; reading the info, loading the weights and resuming a
trainer must then either succeed, into a position that fits the run, or raise CheckpointError.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrule.train import Checkpoints, TrainConfig, load_weights
from chainrule.train.checkpoint import CheckpointError, read_info

from .tiny_run import STEPS, make_trainer


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("run")
    trainer = make_trainer(run)
    trainer.fit(1)
    trainer.train_step(trainer.train_x[:32], trainer.train_y[:32])  # the Adam state moves on, the position not:
    trainer.batch_in_epoch, trainer.step = 1, STEPS + 1  # as after one more step of epoch 2
    return Checkpoints(run, asdict(TrainConfig(model="mlp", epochs=6, batch_size=32))).save(trainer, "last")


def paths(value, prefix=()):
    """Every path (tuple of keys and indices) into a JSON value, the value's own () first."""
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield from paths(child, (*prefix, key))


BAD = st.one_of(
    st.text(max_size=4),
    st.integers(-3, 3),
    st.just(10**400),
    st.just(-(10**400)),
    st.sampled_from([float("nan"), float("inf"), -1.5, 1e300]),
    st.booleans(),
    st.none(),
    st.lists(st.integers(-1, 2), max_size=3),
    st.dictionaries(st.text(max_size=2), st.integers(0, 2), max_size=2),
)


def mutate(info, path, action, value):
    if not path:
        return value
    parent = info
    for key in path[:-1]:
        parent = parent[key]
    if action == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return info


def try_everything(folder: Path) -> None:
    """Each reader either works or raises CheckpointError naming the file; resume lands on a real position."""
    for read in (read_info, lambda f: load_weights(make_trainer().model, f), resume):
        try:
            read(folder)
        except CheckpointError as err:
            assert str(folder) in str(err), err


def resume(folder: Path) -> None:
    trainer = make_trainer()
    trainer.resume(folder)
    assert trainer.step == trainer.epoch * STEPS + trainer.batch_in_epoch
    assert trainer.scheduler.last_epoch == trainer.step <= trainer.scheduler.total_steps
    info = read_info(folder)
    TrainConfig.from_saved(info.get("config", {}), folder / "trainer.json")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_trainer_json_never_gives_a_traceback(checkpoint, tmp_path_factory, data):
    info = json.loads((checkpoint / "trainer.json").read_text())
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        path = data.draw(st.sampled_from(list(paths(info))), label="path")
        action = data.draw(st.sampled_from(["replace", "delete"]), label="action")
        info = mutate(info, path, action, data.draw(BAD, label="value"))
    folder = tmp_path_factory.mktemp("mutant") / "last"
    shutil.copytree(checkpoint, folder)
    (folder / "trainer.json").write_text(json.dumps(info))  # NaN and infinity as bare constants
    try_everything(folder)


CASES = {
    "a list": ([], "trainer.json: expected an object, got a list"),
    "a string": ("last", "trainer.json: expected an object, got 'last'"),
    "config not an object": ({"config": [1]}, "field 'config': expected an object, got a list"),
    "missing epoch": ({"epoch": None}, "field 'epoch': expected an integer >= 0, got None"),
    "a string for a number": ({"step": "9"}, "field 'step': expected an integer >= 0, got '9'"),
    "10**400": ({"best_val_loss": 10**400}, "field 'best_val_loss': expected a number or null, got 1000"),
    "bare NaN": ({"best_val_loss": float("nan")}, "trainer.json: unreadable checkpoint file (ValueError: NaN is not"),
    "scheduler of the wrong shape": (
        {"scheduler": {"base_lrs": [0.1, 0.2]}},
        "field 'scheduler.base_lrs': expected a list of 1, got a list of 2",
    ),
    "scheduler past its end": (
        {"scheduler": {"last_epoch": 1000}},
        "field 'scheduler.last_epoch': the scheduler "
        "stands at 1000 but the position at step 31: the checkpoint holds half an update",
    ),
    "rng of the wrong shape": (
        {"rng": {"state": {"state": "x"}}},
        "field 'rng.state.state': expected a number (as this run's state has), got 'x'",
    ),
    "rng out of range": ({"rng": {"state": {"state": -1}}}, "field 'rng': not a PCG64 state"),
    "unknown device": ({"config": {"device": "gpu7"}}, "field 'config.device': device: unknown device 'gpu7'"),
    "unknown config value": (
        {"config": {"schedule": "warp"}},
        "field 'config.schedule': must be one of onecycle, cosine, step, none, got 'warp'",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_issues_malformed_variants(checkpoint, tmp_path, case):
    change, message = CASES[case]
    info = json.loads((checkpoint / "trainer.json").read_text())
    if isinstance(change, dict):
        for key, value in change.items():
            if key == "epoch" and value is None:
                del info["epoch"]
                message = "field 'epoch': missing"
            elif isinstance(value, dict) and isinstance(info.get(key), dict):
                for k, v in value.items():
                    info[key][k] = {**info[key][k], **v} if isinstance(v, dict) else v
            else:
                info[key] = value
    else:
        info = change
    folder = tmp_path / "last"
    shutil.copytree(checkpoint, folder)
    (folder / "trainer.json").write_text(json.dumps(info))
    with pytest.raises(CheckpointError) as err:
        resume(folder)
    assert str(folder / "trainer.json") in str(err.value) and message in str(err.value), err.value
