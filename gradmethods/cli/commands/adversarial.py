"""Fool the digits network: change test image INDEX until it is no longer recognized.

Takes image INDEX of the digits test set (it must be classified correctly) and runs
gradient *ascent* on its cost - the input moves so that the network's output moves
away from the true digit, as the post describes ("add the derivatives, don't
subtract them") - clipping the pixels to [0, 1] after every step, and stops at the
first step where the network's answer is another digit (or when --steps run out).
Saves a PNG (original / changed / difference / outputs) under --out and prints the
network's outputs before and after.
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
    parser.add_argument("index", type=int, metavar="INDEX", help="index of a correctly classified test image")
    parser.add_argument("--steps", type=int, default=1000, help="largest number of input steps (default: 1000)")
    parser.add_argument("--lr", type=float, default=0.05, help="input step size (default: 0.05)")
    parser.add_argument("--provider", default="backprop", help="gradient provider for dCost/dInput (default: backprop)")
    add_model_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from ...core.classification import predict_classes
    from ...core.registry import get_provider
    from ...report.input_figures import input_change_figure
    from ...training.input_optimization import optimize_input

    provider = get_provider(args.provider)  # an unknown name fails before any training
    model = trained_digits_model(args)
    print(describe(model))
    n_test = len(model.X_test)
    if not 0 <= args.index < n_test:
        raise ValueError(f"INDEX must be an int from 0 to {n_test - 1} (the test set's images). Got {args.index}.")
    labels = model.Y_test.argmax(axis=1)
    label = int(labels[args.index])
    predicted = predict_classes(model.net, model.params, model.X_test)
    if predicted[args.index] != label:
        correct = np.flatnonzero(predicted == labels)
        raise ValueError(
            f"test image {args.index} ({a_digit(label)}) is already misclassified as {predicted[args.index]}; "
            f"choose a correctly classified one, e.g. {', '.join(map(str, correct[:5]))}."
        )

    def misclassified(outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
        return outputs.argmax(axis=-1) != targets.argmax(axis=-1)

    result = optimize_input(
        model.net, model.params, model.X_test[args.index], model.Y_test[args.index], steps=args.steps, lr=args.lr,
        ascent=True, provider=provider, clip=(0.0, 1.0), stop_when=misclassified,
    )  # fmt: skip
    change = result.x - result.x0
    after_class = int(result.outputs_after.argmax())
    print(
        f"\ntest image {args.index}: {a_digit(label)}, "
        f"classified as {label} (output {result.outputs_before[label]:.3f})"
    )
    if result.done:
        print(
            f"after {n_steps(result.steps_taken)} of gradient ascent: classified as {after_class} "
            f"(output {result.outputs_after[after_class]:.3f}; for {label}: {result.outputs_after[label]:.3f})"
        )
    else:
        print(f"still classified as {label} after {n_steps(result.steps_taken)}; try a larger --lr or --steps")
    print(
        f"change: largest pixel {np.abs(change).max():.3f}, mean |change| {np.abs(change).mean():.3f}, "
        f"Euclidean {np.linalg.norm(change):.3f} (pixels in [0, 1]); "
        f"{provider.name}: {result.njev} input-gradient evaluations"
    )
    print(format_outputs({"original": result.outputs_before, "changed": result.outputs_after}))

    verdict = f"now read as {after_class}" if result.done else f"still read as {label}"
    fig = input_change_figure(
        result.x0, result.x, result.outputs_before, result.outputs_after,
        image_shape=model.task.metadata["image_shape"], labels=("original", "changed"),
        title=f"Test image {args.index}, {a_digit(label)}: {n_steps(result.steps_taken)} of gradient ascent, {verdict}",
    )  # fmt: skip
    stem = f"adversarial_{args.index}"
    png = save_figure(fig, Path(args.out) / f"{stem}.png")
    np.savez(
        Path(args.out) / f"{stem}.npz", before=result.x0, after=result.x, label=label,
        outputs_before=result.outputs_before, outputs_after=result.outputs_after, steps_taken=result.steps_taken,
    )  # fmt: skip
    print(f"\nsaved {png} (and the inputs in {png.with_suffix('.npz')})")
    return 0
