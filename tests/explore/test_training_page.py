"""The training view in a real browser: curves that follow metrics.jsonl, the confusion matrix, and
a misclassified digit that opens in the network view."""

from __future__ import annotations

import json
import shutil

import numpy as np

import chainrule as cr
from chainrule.explore import runs
from chainrule.explore.protocol import Context
from chainrule.nn import functional as F


def test_curves_follow_the_run_and_a_mistake_opens_in_the_network_view(tiny_run, served, page, tmp_path, snapshot):
    run = shutil.copytree(tiny_run, tmp_path / "run")
    page.goto(served(run) + "#training")
    page.wait_for_selector("#view-training[data-state=ready]")
    assert page.get_attribute("#chart-loss", "data-points") == "3"  # train loss at epochs 1..3
    assert page.get_attribute("#chart-lr", "data-points") == "3"
    cells = page.locator("#confusion td").all_text_contents()
    assert len(cells) == 100 and sum(map(int, cells)) == 10_000
    snapshot(page, "explore-training")
    with open(run / "metrics.jsonl", "a") as f:  # the run trains on: the page follows the file
        f.write(json.dumps({"epoch": 4, "train_loss": 0.123, "train_acc": 0.9, "lr": 1e-4}) + "\n")
    page.wait_for_selector("#view-training[data-epochs='4']", timeout=5_000)
    assert page.get_attribute("#chart-loss", "data-points") == "4"
    assert page.get_attribute("#view-training", "data-last-loss") == "0.123"
    first = page.locator("#misclassified .thumb").first
    index = int(first.get_attribute("data-index"))
    first.click()
    page.wait_for_selector("#view-network[data-state=idle]")
    assert page.is_visible("#view-network") and f"#{index}," in page.text_content("#net-caption")
    images, _ = runs.test_set(Context(run_dir=run))
    model = runs.loaded(Context(run_dir=run)).model
    with cr.no_grad():
        probs = F.softmax(model(cr.tensor(images[index].reshape(1, 1, 28, 28) / np.float32(255))), dim=1).numpy()[0]
    assert page.text_content("#net-prediction") == str(int(np.argmax(probs)))
    assert page.console_errors == []
