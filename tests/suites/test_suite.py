"""Suite files: validation (every problem at once, with its path), expansion, run ids and seeds."""

from __future__ import annotations

import hashlib
import json
import textwrap
import tomllib
from pathlib import Path

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.cli import main
from gradmethods.core import registry
from gradmethods.core.params import Interval, Options
from gradmethods.suites.suite import SuiteError, load_suite, parse_suite
from gradmethods.training.api import TRAIN_PARAMETERS

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"

VALID = """
name = "tiny"
entropy = 7
seeds = 2
tasks = ["not", "or_and"]
methods = "all"

[defaults]
init = "random"
lr = 2.0
iterations = 50
target = 0.05
"""


def one_method(table: str) -> str:
    """VALID with one [[methods]] table instead of every method."""
    return VALID.replace('methods = "all"\n', "") + "\n[[methods]]\n" + table + "\n"


def write(tmp_path, text: str, name: str = "suite.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


# Each malformed file: its text, and fragments the message must contain (path, bad value, choices).
MALFORMED = {
    "not toml": ("tasks = [\n", ["not valid TOML"]),
    "unknown top-level key": ('seed = 3\n' + VALID, ["seed: unknown key 'seed'", "'entropy'"]),
    "unknown task": (VALID.replace('["not", "or_and"]', '["not", "nott"]'), ["tasks[1]: unknown task 'nott'", "'xor'"]),
    "tasks not a list": (VALID.replace('["not", "or_and"]', '"not"'), ["tasks: must be a non-empty list", "'not'"]),
    "tasks missing": (VALID.replace('tasks = ["not", "or_and"]\n', ""), ["tasks: is missing"]),
    "methods word": (VALID.replace('methods = "all"', 'methods = "every"'), ['methods: must be "all"', "'every'",
                                                                            "backprop"]),
    "unknown method": (VALID.replace('methods = "all"\n', "") + '\n[[methods]]\nname = "backprp"\n',
                       ["methods[0].name: unknown method 'backprp'", "['backprop'"]),
    "negative lr in a method": (VALID.replace('methods = "all"\n', "")
                                + '\n[[methods]]\nname = "backprop"\n\n[[methods]]\nname = "backprop"\nlr = -1.0\n',
                                ["methods[1].lr: must be a float in the range (0, inf). Got -1.0 instead."]),
    "zero iterations": (VALID.replace("iterations = 50", "iterations = 0"),
                        ["defaults.iterations: must be an int in the range [1, inf). Got 0 instead."]),
    "fractional iterations": (VALID.replace("iterations = 50", "iterations = 1.5"),
                              ["defaults.iterations: must be an int in the range [1, inf). Got 1.5 (float) instead."]),
    "bad init": (VALID.replace('init = "random"', 'init = "zeros"'),
                 ["defaults.init", "'zeros'", "['post', 'random']"]),
    "bad dtype": (VALID + 'dtype = "float16"\n', ["defaults.dtype", "'float16'", "['float32', 'float64']"]),
    "negative target": (VALID.replace("target = 0.05", "target = -1"), ["defaults.target", "'none'", "-1"]),
    "zero seeds": (VALID.replace("seeds = 2", "seeds = 0"), ["seeds: must be an int in the range [1, inf). Got 0 "]),
    "negative entropy": (VALID.replace("entropy = 7", "entropy = -7"),
                         ["entropy: must be an int in the range [0, inf). Got -7 instead."]),
    "string seeds": (VALID.replace("seeds = 2", 'seeds = "20"'), ["seeds: must be an int", "Got '20' (str) instead"]),
    "long list as seeds": (VALID.replace("seeds = 2", f"seeds = {list(range(5000))}"),
                           ["seeds: must be an int in the range [1, inf). Got [0, 1, 2, 3, 4, 5, ...] (5000 items) "
                            "(list) instead."]),
    "misspelt setting": (VALID.replace("lr = 2.0", "learning_rate = 2.0"),
                         ["defaults.learning_rate: unknown setting", "'lr'"]),
    "grid not a list": (VALID + "\n[grid]\nlr = 0.5\n", ["grid.lr: a grid entry must be a non-empty list"]),
    "bad grid value": (VALID + "\n[grid]\nlr = [0.5, -2.0]\n",
                       ["grid.lr[1]: must be a float in the range (0, inf). Got -2.0 instead."]),
    "option the method rejects": (VALID.replace('methods = "all"\n', "")
                                  + '\n[[methods]]\nname = "backprop"\nstep = 1e-3\n',
                                  ["methods[0].step: method 'backprop' has no setting 'step'; it takes no settings."]),
    "misspelt method option": (one_method('name = "genetic"\npopsize = 8'),
                               ["methods[0].popsize: method 'genetic' has no setting 'popsize'; its settings are [",
                                "'population_size'", "'selection'"]),
    "method option out of its range": (one_method('name = "genetic"\nmutation_rate = 1.5'),
                                       ["methods[0].mutation_rate: must be a float in the range [0, 1]. Got 1.5 "]),
    "method option of the wrong type in a grid": (one_method('name = "dual"\ngrid = { chunk_size = [4, "8"] }'),
                                                  ["methods[0].grid.chunk_size[1]: must be an int in the range "
                                                   "[1, inf) or None. Got '8' (str) instead."]),
    "method options that do not go together": (one_method('name = "genetic"\npopulation_size = 8\nelitism = 8'),
                                               ["methods[0].elitism: must be an int in the range [0, 7] (smaller than "
                                                "population_size=8, so each generation has children). Got 8 instead."]),
    "complex step on a relu network": (VALID.replace('methods = "all"', 'methods = ["backprop", "complex_step"]')
                                       .replace('"or_and"', '{ name = "xor", activation = ["relu", "sigmoid"] }'),
                                       ["methods[1]: method 'complex_step' cannot train tasks[1] "
                                        "(xor(activation=relu-sigmoid)): complex-step differentiation needs "
                                        "complex-analytic activations; 'relu'", "Use method='fd_central'."]),
    "network that does not fit the inputs": (VALID.replace('"or_and"', '{ name = "xor", layer_sizes = [3, 2, 1] }'),
                                             ["tasks[1]: the network [3, 2, 1] does not fit the data of task 'xor' "
                                              "(2 inputs, 1 outputs): X must have shape (N, 3); got shape (4, 2)."]),
    "network that does not fit the outputs": (VALID.replace('"or_and"', '{ name = "xor", layer_sizes = [2, 2, 2] }'),
                                              ["tasks[1]: the network [2, 2, 2] does not fit the data of task 'xor'",
                                               "Y must have shape (4, 2); got shape (4, 1)."]),
    "post weights the task lacks": (VALID.replace('init = "random"', 'init = "post"').replace('"or_and"', '"xor"'),
                                    ["init = 'post' needs the post's initial weights", "'xor'", "init = 'random'"]),
    "bad task override": (VALID.replace('"or_and"', '{ name = "xor", layer_sizes = [2, 0, 1] }'),
                          ["tasks[1]: invalid task overrides"]),
    "unknown task key": (VALID.replace('"or_and"', '{ name = "xor", lr = 3 }'),
                         ["tasks[1].lr: unknown key 'lr'", "'layer_sizes'"]),
    "task listed twice": (VALID.replace('"or_and"', '"not"'), ["tasks[1]: task 'not' with these overrides is listed"]),
    "fractional batch size": (VALID + "batch_size = 2.5\n",
                              ["defaults.batch_size: must be an int in the range [1, inf). Got 2.5 (float) instead."]),
    "momentum of one": (VALID + "momentum = 1.0\n",
                        ["defaults.momentum: must be a float in the range [0, 1). Got 1.0 instead."]),
    "grad norms as a string": (VALID + 'record_grad_norms = "yes"\n',
                               ["defaults.record_grad_norms: must be a bool. Got 'yes' (str) instead."]),
    "bad batch size in a grid": (VALID + "\n[grid]\nbatch_size = [2, 0]\n",
                                 ["grid.batch_size[1]: must be an int in the range [1, inf). Got 0 instead."]),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_suite_gives_a_clear_error_and_no_traceback(case, tmp_path, capsys):
    text, fragments = MALFORMED[case]
    path = write(tmp_path, text)
    status = main(["run", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2
    assert "Traceback" not in err
    assert str(path) in err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in:\n{err}"
    assert not (tmp_path / "out").exists()  # nothing ran, nothing was written


def test_missing_suite_file_is_a_clear_error(tmp_path, capsys):
    status = main(["run", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2 and "cannot read the suite file" in err and "Traceback" not in err


def test_every_problem_is_reported_at_once(tmp_path):
    text = VALID.replace("seeds = 2", "seeds = 0").replace('"or_and"', '"nott"').replace("lr = 2.0", "lr = -2.0")
    with pytest.raises(SuiteError) as info:
        load_suite(write(tmp_path, text + "\n[grid]\ndtype = ['float16']\n"))
    paths = [path for path, _ in info.value.problems]
    assert paths == ["seeds", "tasks[1]", "defaults.lr", "grid.dtype[0]"]
    assert str(info.value).startswith(f"{tmp_path / 'suite.toml'}: 4 problems:")


def test_all_expands_to_every_registered_method_with_defaults_from_the_task(tmp_path):
    suite = load_suite(write(tmp_path, VALID.replace("lr = 2.0\n", "")))
    assert len(suite.runs) == 2 * len(gm.methods()) * 2
    assert {run.method for run in suite.runs} == set(gm.methods())
    not_run = next(run for run in suite.runs if run.task == "not" and run.method == "backprop")
    assert not_run.settings == {"lr": 0.5, "iterations": 50, "init": "random", "dtype": "float64", "target": 0.05}
    assert not_run.options == {}


def test_grid_expands_to_the_cartesian_product(tmp_path):
    text = VALID + "\n[grid]\nlr = [0.5, 1.0, 4.0]\ndtype = ['float32', 'float64']\n"
    suite = load_suite(write(tmp_path, text))
    gradient, trainers = len(gm.providers()), len(gm.methods()) - len(gm.providers())
    # an lr grid multiplies the runs of gradient methods only: trainers have no learning rate
    assert len(suite.runs) == 2 * 2 * (gradient * 3 * 2 + trainers * 2)
    assert suite.grid_keys == ("lr", "dtype")
    assert {(r.settings["lr"], r.settings["dtype"]) for r in suite.runs if r.method == "backprop"} == {
        (lr, dt) for lr in (0.5, 1.0, 4.0) for dt in ("float32", "float64")
    }
    units = suite.units()
    assert len(units) == 2 * (gradient * 3 * 2 + trainers * 2)
    assert all(len(unit) == 2 and len({run.seed for run in unit}) == 2 for unit in units)


def test_run_id_is_the_sha256_of_the_canonical_config(tmp_path):
    suite = load_suite(write(tmp_path, VALID))
    run = next(run for run in suite.runs if run.method == "backprop")
    config = {
        "method": run.method, "options": {}, "seed": run.seed, "task": "not", "task_overrides": {},
        "settings": {"dtype": "float64", "init": "random", "iterations": 50, "lr": 2.0, "target": 0.05},
    }  # fmt: skip
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    assert run.run_id == hashlib.sha256(text.encode()).hexdigest()[:16]


def test_seeds_do_not_depend_on_order_and_are_shared_by_methods(tmp_path):
    first = load_suite(write(tmp_path, VALID, "a.toml"))
    reordered = load_suite(write(tmp_path, VALID.replace('["not", "or_and"]', '["or_and", "not"]'), "b.toml"))
    assert {r.run_id: r.seed for r in first.runs} == {r.run_id: r.seed for r in reordered.runs}
    only_or_and = load_suite(write(tmp_path, VALID.replace('["not", "or_and"]', '["or_and"]'), "c.toml"))
    assert {r.run_id for r in only_or_and.runs} <= {r.run_id for r in first.runs}
    # replicate k of a task has one seed, whatever the method or learning rate (paired comparison)
    grid = load_suite(write(tmp_path, VALID + "\n[grid]\nlr = [0.5, 1.0]\n", "d.toml"))
    seeds = {}
    for run in grid.runs:
        seeds.setdefault((run.task, run.replicate), set()).add(run.seed)
    assert all(len(s) == 1 for s in seeds.values())
    assert len({s.pop() for s in seeds.values()}) == len(seeds)  # distinct across tasks and replicates


def test_seed_comes_from_a_seed_sequence_of_the_entropy(tmp_path):
    one = parse_suite(tomllib.loads(VALID))
    other = parse_suite(tomllib.loads(VALID.replace("entropy = 7", "entropy = 8")))
    assert not {r.seed for r in one.runs} & {r.seed for r in other.runs}
    assert all(0 <= r.seed < 2**63 for r in one.runs)
    # the seed feeds gm.train: the run's initial weights are those of default_rng(seed)
    run = one.runs[0]
    expected = gm.get_task("not").random_params(np.random.default_rng(run.seed))
    assert np.array_equal(gm.initial_params(gm.get_task("not"), "random", seed=run.seed), expected)


def test_explicit_methods_with_options_and_grid(tmp_path):
    text = VALID.replace('methods = "all"\n', "") + textwrap.dedent("""
        [[methods]]
        name = "backprop"
        lr = 1.0
        grid = { iterations = [10, 20] }
        """)
    suite = load_suite(write(tmp_path, text))
    assert len(suite.runs) == 2 * 2 * 2
    assert {(r.settings["lr"], r.settings["iterations"]) for r in suite.runs} == {(1.0, 10), (1.0, 20)}
    assert suite.grid_keys == ("iterations",)


def test_shipped_suites_are_valid():
    for name in ("not_or_and", "seed_examples", "xor"):
        suite = load_suite(EXPERIMENTS / f"{name}.toml")
        assert {run.method for run in suite.runs} == set(gm.methods())
    main_suite = load_suite(EXPERIMENTS / "not_or_and.toml")
    assert {run.task for run in main_suite.runs} == {"not", "or_and"}
    assert len(main_suite.runs) == 2 * 20 * len(gm.methods())


def test_list_command_shows_tasks_methods_and_suites(capsys):
    assert main(["list", "--suites-dir", str(EXPERIMENTS)]) == 0
    out = capsys.readouterr().out
    for name in gm.tasks():
        assert name in out
    for name in gm.methods():
        assert name in out
    assert "not_or_and.toml" in out and "gives a gradient" in out


def test_a_task_with_overrides_gets_its_own_label(tmp_path):
    text = VALID.replace('"or_and"', '"xor", { name = "xor", layer_sizes = [2, 3, 1] }, '
                         '{ name = "xor", activation = "tanh", label = "xor_tanh" }')
    suite = load_suite(write(tmp_path, text))
    assert [run.label for run in suite.runs if run.replicate == 0 and run.method == "backprop"] == [
        "not", "xor", "xor(layer_sizes=2-3-1)", "xor_tanh"
    ]
    clash = VALID.replace('"or_and"', '{ name = "xor", layer_sizes = [2, 3, 1], label = "not" }')
    with pytest.raises(SuiteError, match=r"tasks\[1\]: label 'not' is used by another task entry"):
        load_suite(write(tmp_path, clash, "clash.toml"))


@pytest.fixture
def trainer_method():
    """A gradient-free trainer registered for one test only (the registry is global)."""

    class NoGradient:
        family = "gradient_free"

        def __init__(self, population_size: int = 10):
            self.population_size = population_size

        def fit(self, task, net, params, X, Y, *, iterations, target, seed, settings):  # pragma: no cover
            raise AssertionError("not trained in these tests")

    registry.register_trainer("_nograd")(NoGradient)
    yield "_nograd"
    registry.METHODS.unregister("_nograd")


def test_trainers_get_no_learning_rate_and_their_own_budget(tmp_path, trainer_method):
    suite = load_suite(write(tmp_path, VALID + "\n[grid]\nlr = [0.5, 1.0]\n"))
    trainer_runs = [run for run in suite.runs if run.method == trainer_method]
    assert len(trainer_runs) == 2 * 2  # tasks x seeds: the lr grid does not multiply a method without lr
    assert all(run.settings["lr"] is None and run.settings["iterations"] is None for run in trainer_runs)
    assert "lr" not in trainer_runs[0].train_kwargs() and "iterations" not in trainer_runs[0].train_kwargs()
    gradient_runs = [run for run in suite.runs if run.method == "backprop"]
    assert len(gradient_runs) == 2 * 2 * 2 and {run.settings["iterations"] for run in gradient_runs} == {50}
    # its own table may set iterations and options, but not a learning rate
    text = VALID.replace('methods = "all"\n', "") + textwrap.dedent(f"""
        [[methods]]
        name = "{trainer_method}"
        iterations = 7
        population_size = 20
        """)
    [run, *_] = load_suite(write(tmp_path, text, "own.toml")).runs
    assert run.settings["iterations"] == 7 and run.options == {"population_size": 20}
    with pytest.raises(SuiteError, match=r"methods\[0\]\.lr: method '_nograd' is a trainer without a gradient"):
        load_suite(write(tmp_path, text + "lr = 1.0\n", "lr.toml"))
    with pytest.raises(SuiteError, match=r"methods\[0\]\.popsize: method '_nograd' has no setting 'popsize'; its "
                                         r"settings are \['population_size'\]"):
        load_suite(write(tmp_path, text.replace("population_size", "popsize"), "bad.toml"))


def test_gradient_descent_options_reach_gm_train_for_gradient_methods_only(tmp_path, trainer_method):
    text = VALID + "batch_size = 2\nrecord_grad_norms = true\n\n[grid]\nmomentum = [0.0, 0.5]\n"
    suite = load_suite(write(tmp_path, text))
    backprop = [run for run in suite.runs if run.method == "backprop"]
    assert len(backprop) == 2 * 2 * 2  # tasks x momentum grid x seeds
    assert {json.dumps(run.options, sort_keys=True) for run in backprop} == {
        '{"batch_size": 2, "momentum": 0.0, "record_grad_norms": true}',
        '{"batch_size": 2, "momentum": 0.5, "record_grad_norms": true}',
    }
    kwargs = backprop[0].train_kwargs()
    assert (kwargs["batch_size"], kwargs["record_grad_norms"], kwargs["momentum"]) == (2, True, 0.0)
    trainer_runs = [run for run in suite.runs if run.method == trainer_method]
    assert len(trainer_runs) == 2 * 2 and all(run.options == {} for run in trainer_runs)  # no momentum grid either
    # a suite without these options keeps its run ids: they are stored only when given
    plain = load_suite(write(tmp_path, VALID, "plain.toml"))
    assert all(run.options == {} for run in plain.runs)
    # in a method's own table: per-method budgets and batch sizes; a trainer's table refuses them
    own = VALID.replace('methods = "all"\n', "") + textwrap.dedent(f"""
        [[methods]]
        name = "backprop"
        iterations = 30
        batch_size = 1

        [[methods]]
        name = "{trainer_method}"
        record_grad_norms = true
        """)
    with pytest.raises(SuiteError, match=r"methods\[1\]\.record_grad_norms: 'record_grad_norms' is an option of "
                                         r"gradient descent; method '_nograd' is a trainer"):
        load_suite(write(tmp_path, own, "own.toml"))
    suite = load_suite(write(tmp_path, own.split("[[methods]]\nname = \"_nograd\"")[0], "own2.toml"))
    assert {(run.settings["iterations"], run.options["batch_size"]) for run in suite.runs} == {(30, 1)}


def test_a_seed_group_gives_task_variants_the_same_initial_weights(tmp_path):
    tasks = ('tasks = [{ name = "xor", seed_group = "x" }, { name = "xor", cost = "cross_entropy", seed_group = "x" }, '
             '{ name = "xor", activation = ["tanh", "sigmoid"], seed_group = "x" }, '
             '{ name = "xor", activation = "relu" }]')
    text = VALID.replace('methods = "all"', 'methods = ["backprop"]').replace('tasks = ["not", "or_and"]', tasks)
    suite = load_suite(write(tmp_path, text))
    seeds = {}
    for run in suite.runs:
        seeds.setdefault(run.label, []).append(run.seed)
    grouped = [seeds["xor"], seeds["xor(cost=cross_entropy)"], seeds["xor(activation=tanh-sigmoid)"]]
    assert grouped[0] == grouped[1] == grouped[2] and len(set(grouped[0])) == 2
    assert not set(seeds["xor(activation=relu)"]) & set(grouped[0])
    first = [run for run in suite.runs if run.replicate == 0]
    weights = [gm.initial_params(run.make_task(), "random", seed=run.seed) for run in first]
    np.testing.assert_array_equal(weights[0], weights[1])
    np.testing.assert_array_equal(weights[0], weights[2])
    assert not np.array_equal(weights[0], weights[3])  # outside the group: its own draw
    assert len({run.run_id for run in suite.runs}) == len(suite.runs)
    bad = text.replace('{ name = "xor", activation = "relu" }]',
                       '{ name = "xor", layer_sizes = [2, 3, 1], seed_group = "x" }]')
    message = (r"tasks\[3\]\.seed_group: seed group 'x' shares initial weights, so its tasks need the same layer "
               r"sizes: \[2, 3, 1\] here, \[2, 2, 1\] at tasks\[0\]")
    with pytest.raises(SuiteError, match=message):
        load_suite(write(tmp_path, bad, "bad.toml"))


def test_shipped_beyond_the_gates_suites_are_valid():
    pytest.importorskip("sklearn")
    digits = load_suite(EXPERIMENTS / "digits.toml")
    # every gradient provider but the stochastic estimators, which are not part of this suite, and the genetic
    # trainer (the scipy and CMA-ES trainers are compared on digits by the optimizers suite)
    expected = {name for name in gm.providers() if not gm.get_method(name).stochastic} | {"genetic"}
    assert {run.method for run in digits.runs} == expected
    assert {run.options.get("batch_size") for run in digits.runs if run.method != "genetic"} == {16}
    costs = load_suite(EXPERIMENTS / "costs.toml")
    by_label = {}
    for run in costs.runs:
        by_label.setdefault(run.label, []).append(run.seed)
    assert by_label["xor · sigmoid · half_sse"] == by_label["xor · relu · cross_entropy"]  # paired weights
    depth = load_suite(EXPERIMENTS / "depth.toml")
    assert all(run.options["record_grad_norms"] is True for run in depth.runs)
    assert sorted({len(run.task_overrides["layer_sizes"]) - 2 for run in depth.runs}) == [2, 3, 4, 5, 6]


# ---------------------------------------------------------------------------- declared settings and pre-flight


def test_preflight_problems_come_in_one_list_with_the_others(tmp_path):
    """A method that cannot train a task's network and a network that does not fit its task's data are
    reported with every other problem, before any run starts."""
    text = (VALID.replace("seeds = 2", "seeds = 0")
            .replace('methods = "all"', 'methods = ["backprop", "complex_step", "fd_central"]')
            .replace('"or_and"', '{ name = "xor", activation = ["relu", "sigmoid"] }, '
                                 '{ name = "xor", layer_sizes = [3, 2, 1], label = "wide" }'))  # fmt: skip
    with pytest.raises(SuiteError) as info:
        load_suite(write(tmp_path, text))
    problems = dict(info.value.problems)
    assert list(problems) == ["seeds", "tasks[2]", "methods[1]"]
    assert problems["tasks[2]"].startswith("the network [3, 2, 1] does not fit the data of task 'xor'")
    assert "X must have shape (N, 3)" in problems["tasks[2]"]
    assert problems["methods[1]"] == (
        "method 'complex_step' cannot train tasks[1] (xor(activation=relu-sigmoid)): "
        + gm.get_method("complex_step").unsupported_reason(gm.get_task("xor", activation=("relu", "sigmoid")).network())
    )
    # backprop and fd_central handle relu: once the other problems are fixed, the suite is valid
    fixed = text.replace("seeds = 0", "seeds = 1").replace('"complex_step", ', "")
    fixed = fixed.replace('{ name = "xor", layer_sizes = [3, 2, 1], label = "wide" }', '"or_and"')
    suite = load_suite(write(tmp_path, fixed, "fixed.toml"))
    assert {run.method for run in suite.runs} == {"backprop", "fd_central"}


@pytest.mark.parametrize(
    ("setting", "good", "value"),
    [("lr", 0.5, -1.0), ("iterations", 3, 2.5), ("momentum", 0.5, 1.0), ("batch_size", 2, 0),
     ("record_grad_norms", True, "yes"), ("dtype", "float32", "float16"), ("init", "random", "zeros"),
     ("target", 0.1, float("nan"))],
)
def test_a_suite_and_gm_train_refuse_a_setting_alike(tmp_path, setting, good, value):
    """A suite file checks gm.train's settings with gm.train's own declarations and validator."""
    toml_value = "nan" if setting == "target" else json.dumps(value)
    with pytest.raises(SuiteError) as suite_error:
        load_suite(write(tmp_path, VALID + f"\n[grid]\n{setting} = [{json.dumps(good)}, {toml_value}]\n"))
    with pytest.raises(ValueError) as train_error:
        gm.train("not", **{"init": "random", "seed": 0, "iterations": 1, setting: value})
    [(path, suite_reason)] = suite_error.value.problems
    train_reason = train_error.value.reason
    assert path == f"grid.{setting}[1]" and str(train_error.value) == f"The {setting!r} parameter {train_reason}"
    # the same range in the same words, and the same value; a file offers no None and no per-seed lists
    scalar = TRAIN_PARAMETERS[setting][0].describe()
    assert suite_reason.startswith(f"must be {scalar}") and train_reason.startswith(f"must be {scalar}")
    assert suite_reason.rsplit(". Got ", 1)[1] == train_reason.rsplit(". Got ", 1)[1]


@pytest.fixture
def declared_trainer():
    """A trainer that declares its settings and checks none itself; registered for one test only."""

    class Declared:
        family = "gradient_free"
        parameters = {"population_size": [Interval(int, 2, None)], "mode": [Options("fast", "slow")]}

        def __init__(self, population_size: int = 10, mode: str = "fast"):
            self.population_size, self.mode = population_size, mode

        def unsupported_reason(self, net):
            return "needs one hidden layer at most" if net.n_layers > 2 else None

        def fit(self, task, net, params, X, Y, *, iterations, target, seed, settings):  # pragma: no cover
            raise AssertionError("not trained in these tests")

    registry.register_trainer("_declared")(Declared)
    yield "_declared"
    registry.METHODS.unregister("_declared")


def test_a_new_trainer_gets_suite_validation_from_its_declarations(tmp_path, declared_trainer):
    good = one_method(f'name = "{declared_trainer}"\npopulation_size = 4\ngrid = {{ mode = ["fast", "slow"] }}')
    suite = load_suite(write(tmp_path, good))
    assert {(run.options["population_size"], run.options["mode"]) for run in suite.runs} == {(4, "fast"), (4, "slow")}
    bad = one_method(f'name = "{declared_trainer}"\npopulation_size = 1\nsize = 3\n'
                     'grid = { mode = ["fast", "quick"] }')
    bad = bad.replace('"or_and"', '{ name = "xor", layer_sizes = [2, 2, 2, 1] }')  # not asked: its options are bad
    with pytest.raises(SuiteError) as info:
        load_suite(write(tmp_path, bad, "bad.toml"))
    assert info.value.problems == [
        ("methods[0].population_size", "must be an int in the range [2, inf). Got 1 instead."),
        ("methods[0].size", "method '_declared' has no setting 'size'; its settings are ['mode', 'population_size']."),
        ("methods[0].grid.mode[1]", "must be a str among ['fast', 'slow']. Got 'quick' instead."),
    ]
    # with its options valid, the pre-flight asks it about every task's network
    deep = good.replace('"or_and"', '{ name = "xor", layer_sizes = [2, 2, 2, 1] }')
    with pytest.raises(SuiteError, match=r"methods\[0\]\.grid: method '_declared' cannot train tasks\[1\] "
                                         r"\(xor\(layer_sizes=2-2-2-1\)\): needs one hidden layer at most"):
        load_suite(write(tmp_path, deep, "deep.toml"))
    # gm.train reads the same declarations (it refuses before the trainer is built)
    with pytest.raises(ValueError, match=r"^The 'population_size' parameter must be an int in the range \[2, inf\)\. "
                                         r"Got 1 instead\.$"):
        gm.train("not", method=declared_trainer, seed=0, population_size=1)
    with pytest.raises(TypeError, match="has no setting 'size'"):
        gm.train("not", method=declared_trainer, seed=0, size=3)
