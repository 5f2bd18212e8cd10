"""The origin of convolution, slide by slide: LTI systems, unit samples and flip-and-slide.

1. A signal is a sequence x[n]; the unit sample delta[n - N] is 1 at n = N and 0 elsewhere.
2. Any x is a sum of shifted, scaled unit samples: x[n] = sum_k x[k] delta[n - k].
3. A system S is linear if it answers a x1 + b x2 with a y1 + b y2, time invariant if it answers
   x[n - N] with y[n - N]. We test both on any Python function.
4. If S is both (LTI), its answer to delta[n], the unit sample response h[n], tells everything:
   S answers x with sum_k x[k] h[n - k], the convolution y = x * h.
5. The lecture works x = [3 1 2], h = [3 2 1] by hand: y = [9 9 11 5 2].
6. A conv layer computes correlation; with its kernel flipped it computes this convolution.

Run: python examples/lti_walkthrough.py
"""

import numpy as np

import chainrule as cr
import chainrule.signal as signal
from chainrule.ops.conv import conv1d


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * (70 - len(title)))


def main() -> None:
    section("1. unit samples")
    print("delta[n]     for n = 0..5:", signal.unit_sample(6))
    print("delta[n - 2] for n = 0..5:", signal.unit_sample(6, shift=2))

    section("2. unit sample decomposition")
    x = np.array([1.0, 3.0, 2.0, -1.0, 4.0])  # x[-2] .. x[2], as in the lecture's figure
    terms = signal.decompose(x, origin=2)
    print("x[n] = " + " + ".join(t.label for t in terms))
    print("adding the terms back gives x:", sum(t.sequence for t in terms))

    section("3. linear? time invariant?")
    h = np.array([3.0, 2.0, 1.0])
    systems = {
        "y[n] = (x * h)[n]": signal.LTISystem(h),
        "y[n] = x[n]^2": lambda x: x**2,
        "y[n] = n x[n]": lambda x: np.arange(len(x)) * x,
    }
    for name, system in systems.items():
        lin, ti = signal.is_linear(system), signal.is_time_invariant(system)
        print(f"{name:20s} linear: {bool(lin)!s:5}  time invariant: {bool(ti)}")
    print("\na counter-example, for y[n] = n x[n]:")
    print(signal.is_time_invariant(systems["y[n] = n x[n]"]))

    section("4. the unit sample response characterises an LTI system")
    system = signal.LTISystem(h)
    print("h = S(delta) =", system.impulse_response())
    x = np.array([3.0, 1.0, 2.0])
    # superposition: the answer to x[k] delta[n - k] is x[k] h[n - k]; add them up
    y = sum(t.value * system.response(signal.unit_sample(len(x), t.k))[1] for t in signal.decompose(x))
    print("sum_k x[k] h[n - k] =", y, "  convolve(x, h) =", signal.convolve(x, h))

    section("5. flip and slide: the lecture's table")
    print(signal.convolution_table([3, 1, 2], [3, 2, 1]))

    section("6. from convolution to the conv layer")
    xt = cr.tensor(x, requires_grad=True)
    ht = cr.tensor(h, requires_grad=True)
    layer = conv1d(xt.reshape(1, 1, 3), ht[::-1].reshape(1, 1, 3), padding=2).reshape(-1)
    print("conv1d(x, flip(h), padding=2) =", layer.detach().numpy(), " (a conv layer correlates: flip to convolve)")
    y = signal.convolve(xt, ht)
    y.sum().backward()
    print("d sum(y) / dx =", xt.grad.numpy(), " = sum(h) for each x[k]: the gradient of a convolution is a correlation")


if __name__ == "__main__":
    main()
