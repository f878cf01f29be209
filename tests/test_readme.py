"""The README's "Adding a gradient method" and "Adding a trainer" sections, run as written.

Their code blocks are executed in order, in one namespace, the way a reader would paste
them; then the provider they define is held to the contract, trained, and run in a
one-task suite, and the counts are checked against the work it declares.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gradmethods as gm
from gradmethods.cli import main
from gradmethods.core import registry
from gradmethods.testing import PROVIDER_CHECKS, TRAINER_CHECKS, check_provider, check_trainer

README = Path(__file__).resolve().parents[1] / "README.md"
SECTIONS = ("## Adding a gradient method", "## Adding a trainer")
REGISTERED = ("central_loop", "random_search")


def section(heading: str) -> str:
    """The text of one README section: from its heading to the next one."""
    text = README.read_text(encoding="utf-8")
    assert heading + "\n" in text, f"README.md has no section {heading!r}"
    body = text.split(heading + "\n", 1)[1]
    return body.split("\n## ", 1)[0]


def code_blocks(heading: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", section(heading), flags=re.DOTALL)


@pytest.fixture(scope="module")
def readme():
    """The namespace the README's code leaves behind; its methods are unregistered afterwards."""
    for name in REGISTERED:
        assert name not in gm.methods(), f"{name!r} is registered before the README registers it"
    namespace: dict = {"__name__": "readme"}
    try:
        for heading in SECTIONS:
            for number, block in enumerate(code_blocks(heading)):
                exec(compile(block, f"README.md, {heading[3:]!r}, block {number + 1}", "exec"), namespace)
        yield namespace
    finally:
        for name in REGISTERED:
            if name in registry.METHODS:
                registry.METHODS.unregister(name)


def test_the_sections_show_a_complete_provider_and_trainer():
    provider_code = "\n".join(code_blocks(SECTIONS[0]))
    for needed in ("@gm.register_provider(", "class CentralLoop(ProviderBase)", "family =", "exact =",
                   "tolerance =", "def compute_value_and_grad(", "def compute_input_grad(",
                   "def value_and_grad_work(", "def input_grad_work(", "check_provider(",
                   'gm.train("or_and", method="central_loop"'):  # fmt: skip
        assert needed in provider_code, needed
    trainer_code = "\n".join(code_blocks(SECTIONS[1]))
    for needed in ("@gm.register_trainer(", "def fit(", "check_trainer("):
        assert needed in trainer_code, needed


def test_the_readme_provider_and_trainer_pass_the_checks(readme):
    assert gm.methods()["central_loop"] == "gradient" and gm.methods()["random_search"] == "trainer"
    assert check_provider("central_loop") == [check.__name__ for check in PROVIDER_CHECKS]
    assert check_trainer("random_search") == [check.__name__ for check in TRAINER_CHECKS]
    info = gm.get_method("central_loop")
    assert (info.family, info.exact, info.tolerance) == ("numerical", False, 1e-6)


def test_training_counts_the_declared_work(readme):
    result = readme["result"]  # gm.train("or_and", method="central_loop", ..., iterations=100) in the README
    history = result.history
    P, N = 6, 4  # or_and: a 2-2 network (4 weights, 2 biases) on four patterns
    # Central differences over P parameters plus the cost itself: 2P + 1 forward passes per update.
    work = readme["CentralLoop"]().value_and_grad_work(gm.get_task("or_and").network(), 1, N)
    assert (work.nfev, work.njev, work.forward_passes, work.fpe) == (2 * P + 1, 1, 2 * P + 1, 2 * P + 1)
    calls = np.arange(1, len(history) + 1)  # row i is recorded after the i + 1-th gradient
    assert len(history) == 100 and history["nfev"].iloc[-1] == 1300  # the README's comment
    np.testing.assert_array_equal(history["nfev"], calls * work.nfev)
    np.testing.assert_array_equal(history["njev"], calls)
    np.testing.assert_array_equal(history["forward_passes"], calls * work.forward_passes)
    np.testing.assert_allclose(history["fpe"], calls * work.fpe, rtol=1e-12)
    # It is a gradient: gradient descent takes backprop's steps, up to central differences' error.
    exact = gm.train("or_and", method="backprop", init="random", seed=0, iterations=100)
    np.testing.assert_allclose(result.params, exact.params, rtol=1e-6)


def test_a_one_task_suite_records_the_work(readme, tmp_path):
    suite_file = tmp_path / "readme.toml"
    suite_file.write_text(textwrap.dedent("""
        name = "readme"
        entropy = 7
        seeds = 2
        tasks = ["or_and"]

        [[methods]]
        name = "central_loop"

        [defaults]
        init = "random"
        lr = 2.0
        iterations = 30
        target = "none"
    """))
    assert [run.method for run in gm.load_suite(suite_file).runs] == ["central_loop"] * 2
    assert main(["run", str(suite_file), "--out", str(tmp_path / "out"), "--no-plots"]) == 0
    runs = pd.read_csv(tmp_path / "out" / "runs.csv")
    assert list(runs["method"]) == ["central_loop"] * 2
    assert list(runs["outcome"]) == ["BUDGET_EXHAUSTED"] * 2
    # 30 updates of 2P + 1 = 13 forward passes each.
    assert list(runs["iterations"]) == [30, 30]
    assert list(runs["nfev"]) == [30 * 13] * 2 and list(runs["njev"]) == [30] * 2
    np.testing.assert_allclose(runs["fpe"], 30 * 13.0, rtol=1e-12)



def test_the_readme_trainer_trains(readme):
    result = gm.train("not", method="random_search", seed=0, target=0.1)  # as in the README
    assert result.outcome is gm.Outcome.CONVERGED and result.final_error <= 0.1
    history = result.history
    assert (history["error"].iloc[:-1] > 0.1).all()
    # One cost evaluation for the start, then one per random neighbour: nfev = iteration + 1.
    np.testing.assert_array_equal(history["nfev"], history["iteration"] + 1)
    assert (history["cost"].diff().dropna() <= 0).all()  # it keeps the better point
