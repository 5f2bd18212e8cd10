"""Grad mode is per thread, as PyTorch's: a no_grad block in one thread leaves the others recording."""

from __future__ import annotations

import threading

import chainrule as cr


def test_no_grad_in_one_thread_does_not_reach_another():
    inside, go_on = threading.Event(), threading.Event()
    seen = {}

    def holder():
        with cr.no_grad():
            seen["holder"] = cr.is_grad_enabled()
            inside.set()
            go_on.wait(5)

    t = threading.Thread(target=holder)
    t.start()
    inside.wait(5)
    x = cr.tensor(2.0, requires_grad=True)
    y = x * x  # recorded here although the other thread sits in no_grad
    go_on.set()
    t.join()
    assert seen["holder"] is False and cr.is_grad_enabled()
    assert y.requires_grad and y.grad_fn is not None


def test_a_new_thread_starts_with_recording_on():
    seen = []
    with cr.no_grad():
        t = threading.Thread(target=lambda: seen.append(cr.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_one_decorated_function_in_two_threads_restores_each_own_mode():
    barrier = threading.Barrier(2)
    after = []

    @cr.no_grad()
    def f():
        barrier.wait(5)  # both threads inside the same decorator instance at once
        return cr.is_grad_enabled()

    def run(mode):
        cr.set_grad_enabled(mode)
        inside = f()
        after.append((mode, inside, cr.is_grad_enabled()))

    threads = [threading.Thread(target=run, args=(m,)) for m in (True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(after) == [(False, False, False), (True, False, True)]
