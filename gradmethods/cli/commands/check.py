"""Compare every gradient provider on a task's network: pairwise errors, Taylor test, FD step study.

With ``--estimators``: the stochastic estimators against backprop on networks of growing
size instead (``gm.estimator_quality``); with ``--out DIR`` the table is also written to
DIR/estimator_quality.csv (rows of other tasks already there are kept), and
``gradmethods report DIR`` or ``gradmethods plot DIR`` then draws the cosine similarity
against the number of parameters, one line per estimator and one panel per task.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", default="or_and", help="task whose network and data are used (default: or_and)")
    parser.add_argument("--providers", help="comma-separated provider names (default: all registered)")
    parser.add_argument("--init", default="post", choices=("post", "random"),
                        help="parameters: the post's (default) or random ones drawn with --seed")
    parser.add_argument("--seed", type=int, default=0, help="seed for --init random and the Taylor direction")
    parser.add_argument("--step-study", action="store_true",
                        help="also run the finite-difference step study and print each method's best step")
    parser.add_argument("--estimators", action="store_true",
                        help="instead, the quality of one estimate of each stochastic estimator against backprop "
                             "(cosine similarity, relative error, variance, cost) on networks of growing size")
    parser.add_argument("--samples", type=int, default=32, help="with --estimators: estimates per estimator and size")
    parser.add_argument("--n-params", default="10,100,1000,10000",
                        help="with --estimators: approximate parameter counts, comma-separated "
                             "(default: 10,100,1000,10000)")
    parser.add_argument("--out", metavar="DIR",
                        help="with --estimators: also write the table to DIR/estimator_quality.csv, replacing the "
                             "rows of this task (a results folder: its report then draws the figure)")


def run_estimators(args: argparse.Namespace) -> int:
    if args.out is not None and Path(args.out).exists() and not Path(args.out).is_dir():
        raise SystemExit(f"gradmethods check: error: --out {args.out!r} is a file, not a folder.")
    import pandas as pd

    from ...analysis.estimator_quality import estimator_quality, save_estimator_quality
    from ...core.tasks import get_task

    task = get_task(args.task)
    sizes = [int(value) for value in args.n_params.split(",") if value.strip()]
    table = estimator_quality(task, n_params=sizes, samples=args.samples, seed=args.seed)
    X = task.X
    print(f"{task.name}: networks {task.layer_sizes[0]}-h-{task.layer_sizes[-1]}, N={X.shape[0]}, "
          f"{args.samples} estimates per estimator and size, seed {args.seed}")
    print("one estimate against backprop's gradient g: cosine similarity (mean, std), |ĝ - g|/|g| (mean), "
          "variance (trace of the covariance / |g|²), declared cost (forward-pass equivalents, cost evaluations), "
          "measured time (median, stacked calls):")
    shown = pd.DataFrame({
        "estimator": table["estimator"], "P": table["P"],
        "cos_mean": table["cos_mean"], "cos_std": table["cos_std"],
        "rel_error": table["rel_error_mean"], "variance": table["variance"],
        "fpe": table["fpe_per_estimate"], "nfev": table["nfev_per_estimate"],
        "us": table["seconds_per_estimate"] * 1e6,
    })  # fmt: skip
    formats = {"cos_mean": "{:.3f}", "cos_std": "{:.3f}", "rel_error": "{:.3g}", "variance": "{:.3g}",
               "fpe": "{:.1f}", "nfev": "{:.0f}", "us": "{:.0f}"}  # fmt: skip
    for P, part in shown.groupby("P", sort=False):
        print()
        print(part.drop(columns="P").assign(P=P)[["P"] + [c for c in shown.columns if c != "P"]].to_string(
            index=False, formatters={column: f.format for column, f in formats.items()}))
    if args.out is not None:
        path = save_estimator_quality(table, args.out)
        print(f"\nwrote {path} ('gradmethods report {args.out}' or 'gradmethods plot {args.out}' draws it)")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.out is not None and not args.estimators:
        raise SystemExit("gradmethods check: error: --out writes the table of --estimators; give --estimators too.")
    if args.estimators:
        return run_estimators(args)
    import numpy as np
    import pandas as pd

    from ...analysis.gradient_check import check_gradients, fd_step_study, step_study_minima, taylor_test
    from ...core.tasks import get_task
    from ...training.api import initial_params

    task = get_task(args.task)
    init = args.init if task.has_post_init or args.init == "random" else "random"
    params = initial_params(task, init, seed=args.seed)
    net, (X, Y) = task.network(), task.data("float64")
    names = None if args.providers is None else [n.strip() for n in args.providers.split(",") if n.strip()]
    table = check_gradients(net, params, X, Y, providers=names)
    print(f"{task.name}: {net!r}, P={net.n_params}, N={X.shape[0]}, init={init}")
    print("max relative difference, row provider against column reference (see gradmethods.analysis.gradient_check):")
    with pd.option_context("display.width", 200, "display.float_format", "{:.1e}".format):
        for quantity, title in (("params", "dC/dw"), ("inputs", "dC/dX")):
            part = table[table["quantity"] == quantity]
            order = list(dict.fromkeys(part["provider"]))
            matrix = part.pivot(index="provider", columns="reference", values="max_rel_error").loc[order, order]
            matrix.index.name, matrix.columns.name = title, None
            print(f"\n{matrix.to_string()}")
        beyond = table[~table["agrees"]]
        if beyond.empty:
            print("\nevery pair agrees within the sum of the two methods' declared tolerances")
        else:
            print("\npairs that differ by more than the sum of their declared tolerances:")
            for row in beyond.itertuples():
                what = "dC/dw" if row.quantity == "params" else "dC/dX"
                print(f"  {what} {row.provider} against {row.reference}: {row.max_rel_error:.1e} "
                      f"(tolerance {row.tolerance:.1e})")  # fmt: skip
        taylor = []
        for name in dict.fromkeys(table["provider"]):
            _, order = taylor_test(net, params, X, Y, name, rng=np.random.default_rng(args.seed))
            taylor.append((name, order))
        print("\nTaylor remainder |C(w+hd) - C(w) - h g.d| for h = 0.5 .. 2.4e-4; observed order (2 = correct):")
        print(pd.DataFrame(taylor, columns=["provider", "observed_order"]).to_string(
            index=False, float_format="{:.3f}".format))
        for name, reason in table.attrs.get("skipped", {}).items():
            print(f"skipped {name}: {reason}")
        if args.step_study:
            minima = step_study_minima(fd_step_study(net, params, X, Y))
            print("\nFD step study (relative steps 1e-16 .. 1e-1, 4 per decade; error against dual), best step:")
            print(minima.to_string(index=False, float_format="{:.2e}".format))
    return 0
