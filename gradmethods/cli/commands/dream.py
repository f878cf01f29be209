"""Dream a digit: change random noise until the trained digits network reads it as DIGIT.

Starts from seeded uniform noise in [0, 1] and runs gradient descent on the *input*
(the weights stay fixed) towards the one-hot target of DIGIT, clipping the pixels to
[0, 1] after every step, until the network classifies the image as DIGIT with an
output of at least --confidence (or --steps run out).  Saves a PNG (noise / dream /
difference / outputs) under --out and prints the network's outputs before and after.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ._digits_model import (
    a_digit,
    add_model_arguments,
    describe,
    format_outputs,
    n_steps,
    save_figure,
    trained_digits_model,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("digit", type=int, metavar="DIGIT", help="the digit to dream, 0 to 9")
    parser.add_argument("--count", type=int, default=1, help="number of dreams, each from its own noise (default: 1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the starting noise (default: 0)")
    parser.add_argument("--steps", type=int, default=500, help="largest number of input steps (default: 500)")
    parser.add_argument("--lr", type=float, default=0.1, help="input step size (default: 0.1)")
    parser.add_argument(
        "--confidence", type=float, default=0.99, help="stop once DIGIT's output reaches this (default: 0.99)"
    )
    parser.add_argument("--provider", default="backprop", help="gradient provider for dCost/dInput (default: backprop)")
    add_model_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from ...core.datasets import one_hot
    from ...core.registry import get_provider
    from ...report.input_figures import input_change_figure
    from ...training.input_optimization import optimize_input

    if not 0 <= args.digit <= 9:
        raise ValueError(f"DIGIT must be an int from 0 to 9. Got {args.digit!r} instead.")
    if not 0 < args.confidence < 1:
        raise ValueError(f"--confidence must be in (0, 1). Got {args.confidence!r} instead.")
    if args.count < 1:
        raise ValueError(f"--count must be an int >= 1. Got {args.count!r} instead.")
    provider = get_provider(args.provider)  # an unknown name fails before any training
    model = trained_digits_model(args)
    print(describe(model))

    noise = np.random.default_rng(args.seed).uniform(0.0, 1.0, size=(args.count, model.net.n_inputs))
    target = one_hot(np.array([args.digit]), 10)[0]

    def recognized(outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
        return (outputs.argmax(axis=-1) == args.digit) & (outputs[..., args.digit] >= args.confidence)

    result = optimize_input(
        model.net, model.params, noise, target, steps=args.steps, lr=args.lr,
        provider=provider, clip=(0.0, 1.0), stop_when=recognized,
    )  # fmt: skip

    for k in range(args.count):
        before, after = result.outputs_before[k], result.outputs_after[k]
        start = f"the noise reads as {before.argmax()} (output {before.max():.3f})"
        if result.done[k]:
            status = (
                f"classified as {args.digit} (output {after[args.digit]:.3f}) after {n_steps(result.steps_taken[k])}"
            )
        else:
            status = (
                f"not reached in {n_steps(result.steps_taken[k])}: classified as {after.argmax()} "
                f"(output for {args.digit}: {after[args.digit]:.3f})"
            )
        print(f"\ndream {k + 1} of {args.count}: {start}; {status}")
        print(format_outputs({"noise": before, "dream": after}))

    stem = f"dream_{args.digit}" if args.count == 1 else f"dream_{args.digit}_x{args.count}"
    fig = input_change_figure(
        result.x0, result.x, result.outputs_before, result.outputs_after,
        image_shape=model.task.metadata["image_shape"],
        row_titles=[f"dream {k + 1}" for k in range(args.count)], labels=("noise", "dream"),
        title=f"Dreaming {a_digit(args.digit)}: noise changed by gradient descent on the input ({args.provider})",
    )  # fmt: skip
    png = save_figure(fig, Path(args.out) / f"{stem}.png")
    np.savez(
        Path(args.out) / f"{stem}.npz", before=result.x0, after=result.x,
        outputs_before=result.outputs_before, outputs_after=result.outputs_after, steps_taken=result.steps_taken,
    )  # fmt: skip
    print(f"\n{provider.name}: {result.njev} input-gradient evaluations (noise seed {args.seed})")
    print(f"saved {png} (and the inputs in {png.with_suffix('.npz')})")
    return 0
