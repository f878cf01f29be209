"""The genetic trainer's random streams: the numbers of a seed never move.

Three kinds of checks, none computed by the trainer's own code:

* numbers pinned from the trainer as it was before its draws were batched (commit 78f3583), for a few seeds and
  configurations, alone and batched;
* an independent replay of the documented draw order, written here with plain ``numpy.random.Generator`` calls, that
  must give the trainer's history and result bit for bit;
* the facts about numpy's generator that the trainer's batched draws rely on (a bounded ``integers`` draw is Lemire's
  method on the 32-bit halves of the 64-bit words, buffered in the bit generator across calls; ``random`` is the top
  53 bits of one word; ``advance`` with a negative step rewinds).
"""

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.training.trainers.genetic import GeneticTrainer

# task, settings, generations, dtype, seed, final cost, last median cost, last population_std, final params
PINNED = [
    ("or_and", {}, 200, "float64", 0, 2.109697263778029e-14, 1.4664574814134486e-13, 2.4661123555492543,
     [38.33255466726439, 30.56883979558001, 34.58946592330396, 30.381018537901614, -17.2446406434576,
      -45.84079374077161]),
    ("or_and", {}, 200, "float64", 1, 1.7869986686509016e-13, 4.838697329658782e-13, 1.4626056995574184,
     [33.84491793512443, 28.698897272168878, 30.822895782990365, 28.473397649320187, -14.830912851260019,
      -42.77422126489634]),
    ("or_and", {}, 200, "float64", 7, 1.2817405152524782e-11, 6.921414133926029e-11, 1.9020401601628718,
     [30.625803644892553, 24.38429661002953, 29.892328497737505, 24.27475525470888, -13.984629098409885,
      -36.27807740559586]),
    ("or_and", {}, 60, "float32", 0, 1.1169068784511182e-05, 7.705975440330803e-05, 1.401015281677246,
     [15.939889907836914, 10.923898696899414, 11.45317554473877, 10.55318546295166, -6.055272579193115,
      -16.221923828125]),
    ("or_and", {}, 60, "float32", 5, 4.192999767838046e-05, 0.0004509601858444512, 1.9185519218444824,
     [19.7235164642334, 8.912100791931152, 23.30128288269043, 9.214085578918457, -5.996611595153809,
      -13.830432891845703]),
    ("xor", {"selection": "rank", "crossover": "uniform", "mutation_decay": 0.97}, 40, "float64", 3,
     0.059930857037693366, 0.1005305023791742, 1.2179698288563703,
     [-3.873799981179628, -0.6210925255168768, -10.271940002629272, -2.4656113226876073, 1.396263907276511,
      2.1827966377345107, -5.35657927176355, 2.811013049031291, -0.6610819934463653]),
    ("xor", {"selection": "rank", "crossover": "uniform", "mutation_decay": 0.97}, 40, "float64", 4,
     0.07457659002309093, 0.10899567354211347, 1.1180570235782912,
     [-4.527794261501492, -4.920862762334027, 2.9399838613464824, -2.462484137285231, -1.7526805904449179,
      0.4603447185973636, 2.272106355045194, -3.389502995080216, -0.08427785267981823]),
    ("xor", {"selection": "truncation", "crossover": "arithmetic", "elitism": 0, "population_size": 7}, 50,
     "float64", 2, 0.07650338047479019, 0.09441721698485592, 0.6642497861296509,
     [5.8591957803114365, -0.1913123609361207, 7.659331035212231, 6.164576487490835, -1.2984148376739983,
      -0.26425813536721504, 3.4348591056004816, -2.5556894490900697, -0.5653384000419529]),
    ("not", {"population_size": 9, "elitism": 8, "tournament_size": 2}, 30, "float64", 8, 0.04528664362202782,
     0.06369192186302167, 0.3551456907234412, [-2.2052113535686964, 0.3990390320034535]),
]  # fmt: skip


def _check_pinned(result, dtype, cost, median, spread, params):
    history = result.history
    assert result.params.dtype == np.dtype(dtype)
    assert result.params.tolist() == params
    assert float(result.final_cost) == cost
    assert float(history["median_cost"].iloc[-1]) == median
    assert float(history["population_std"].iloc[-1]) == spread


@pytest.mark.parametrize("case", PINNED, ids=[f"{c[0]}-{c[3]}-{c[4]}-{i}" for i, c in enumerate(PINNED)])
def test_numbers_of_a_seed_are_the_ones_pinned_alone_and_batched(case):
    task, settings, generations, dtype, seed, cost, median, spread, params = case
    alone = gm.train(task, "genetic", seed=seed, iterations=generations, dtype=dtype, **settings)
    _check_pinned(alone, dtype, cost, median, spread, params)
    # batched among other seeds, first and last in the stack
    for seeds in ([seed, seed + 1, seed + 2], [seed + 3, seed]):
        batch = gm.train(task, "genetic", seeds=seeds, iterations=generations, dtype=dtype, **settings)
        _check_pinned(batch[seeds.index(seed)], dtype, cost, median, spread, params)


# ---------------------------------------------------------------------- an independent replay of the draw order
def _replay(task, seed, generations, *, selection="tournament", size=96, elitism=2, tournament_size=3,
            truncation_share=0.5, crossover="blend", alpha=0.5, crossover_rate=0.9, mutation_rate=0.2,
            mutation_scale=1.5, loser_share=0.1):  # fmt: skip
    """One run, as docs and docstrings describe it, with one generator making its calls in the documented order:
    selection draws, loser coins, loser picks, the crossover's draws, crossover coins, mutation coins, noise."""
    net = task.network()
    X, Y = task.X, task.Y
    rng = np.random.default_rng(seed)
    population = net.init_params(rng, size=size)
    cost, error = net.cost(population, X, Y), net.error(population, X, Y)  # sigmoid outputs: always finite
    n, picks = size - elitism, 2 * (size - elitism)
    best_costs, best_errors = [], []
    for _ in range(generations):
        order = np.argsort(cost, kind="stable")
        best_costs.append(cost[order[0]])
        best_errors.append(error[order[0]])
        if len(best_costs) == generations:
            break
        if selection == "tournament":
            entrants = rng.integers(0, size, size=(picks, tournament_size))
            chosen = entrants[np.arange(picks), np.argmin(cost[entrants], axis=1)]
        else:  # truncation
            breeding = max(1, int(round(truncation_share * size)))
            chosen = order[:breeding][rng.integers(0, breeding, size=picks)]
        is_loser = rng.random(picks) < loser_share
        loser = order[elitism:][rng.integers(0, size - elitism, size=picks)]
        parents = np.where(is_loser, loser, chosen)
        first, second = population[parents[:n]], population[parents[n:]]
        if crossover == "blend":
            crossed = first + rng.uniform(-alpha, 1 + alpha, size=first.shape) * (second - first)
        else:  # uniform
            crossed = np.where(rng.random(first.shape) < 0.5, first, second)
        children = np.where(rng.random((n, 1)) < crossover_rate, crossed, first)
        mutated = rng.random(children.shape) < mutation_rate
        children = children + np.where(mutated, rng.standard_normal(children.shape) * mutation_scale, 0.0)
        elite = order[:elitism]
        population = np.concatenate([population[elite], children])
        cost = np.concatenate([cost[elite], net.cost(children, X, Y)])
        error = np.concatenate([error[elite], net.error(children, X, Y)])
    return np.array(best_costs), np.array(best_errors), population[np.argsort(cost, kind="stable")[0]]


REPLAYS = [
    ("or_and", {}, {}),
    ("xor", {"selection": "truncation", "crossover": "uniform", "population_size": 20, "elitism": 3,
             "truncation_share": 0.3, "loser_share": 0.4},
     {"selection": "truncation", "crossover": "uniform", "size": 20, "elitism": 3, "truncation_share": 0.3,
      "loser_share": 0.4}),
    ("xor", {"population_size": 11, "elitism": 0, "tournament_size": 5},
     {"size": 11, "elitism": 0, "tournament_size": 5}),
]  # fmt: skip


@pytest.mark.parametrize("case", REPLAYS, ids=[c[0] + str(i) for i, c in enumerate(REPLAYS)])
def test_trainer_equals_a_replay_of_the_documented_draw_order_bit_for_bit(case):
    name, settings, replay_settings = case
    task = gm.get_task(name)
    seeds, generations = [0, 1, 5], 60
    batch = gm.train(task, "genetic", seeds=seeds, iterations=generations, **settings)
    for seed, batched in zip(seeds, batch):
        costs, errors, best = _replay(task, seed, generations, **replay_settings)
        alone = gm.train(task, "genetic", seed=seed, iterations=generations, **settings)
        for result in (alone, batched):
            assert result.history["cost"].tolist() == costs.tolist()
            assert result.history["error"].tolist() == errors.tolist()
            assert result.params.tolist() == best.tolist()


# ---------------------------------------------------------------------- numpy's generator, as the trainer uses it
LOW32 = np.uint64(0xFFFFFFFF)


def _lemire(words: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """Lemire's bounded integers from 32-bit words: ``(w * bound) >> 32``, and whether a word may be rejected."""
    scaled = words.astype(np.uint64) * np.uint64(bound)
    return (scaled >> np.uint64(32)).astype(np.int64), (scaled & LOW32) < bound


@pytest.mark.parametrize("bound", [2, 3, 94, 96, 1000])
def test_bounded_integers_are_lemire_on_buffered_32_bit_halves_across_calls(bound):
    """One call of n, n calls of 1 and calls of odd sizes with ``random`` between them draw the same stream: the
    32-bit half left over by one call is kept in the bit generator for the next (``random`` does not touch it)."""
    one, many, mixed, raw = (np.random.default_rng(2024) for _ in range(4))
    drawn = one.integers(0, bound, size=41)
    assert drawn.tolist() == [int(many.integers(0, bound, size=1)[0]) for _ in range(41)]
    first = mixed.integers(0, bound, size=3)
    doubles = mixed.random(5)
    rest = mixed.integers(0, bound, size=38)
    # from the raw 64-bit words: low half first, then high half
    words = raw.bit_generator.random_raw(26)
    halves = np.stack([words & LOW32, words >> np.uint64(32)], axis=1)
    values, suspicious = _lemire(halves.ravel()[:41], bound)
    assert not suspicious.any()  # no word of this seed is anywhere near a rejection
    assert values.tolist() == drawn.tolist()
    # the mixed calls: 3 halves, 5 whole words for the doubles, then the half kept from the first call and 37 more
    stream = np.concatenate([halves[:2].ravel(), halves[7:].ravel()[:37]])
    values, suspicious = _lemire(stream, bound)
    assert not suspicious.any()
    assert values.tolist() == np.concatenate([first, rest]).tolist()
    assert doubles.tolist() == ((words[2:7] >> np.uint64(11)).astype(np.float64) * 2.0**-53).tolist()


def test_a_rejected_word_is_skipped_and_advance_rewinds():
    # find a seed whose first 32-bit word is rejected for bound 3 (threshold 2**32 % 3 == 1: only the word 0);
    # instead, a large bound with a large threshold: 2**31 + 1 rejects words w with (w * b) % 2**32 < 2**31 - 1
    bound = 2**31 + 1
    rng = np.random.default_rng(3)
    words = rng.bit_generator.random_raw(8)
    halves = np.stack([words & LOW32, words >> np.uint64(32)], axis=1).ravel()
    values, maybe = _lemire(halves, bound)
    threshold = (2**32 - bound) % bound
    rejected = (halves.astype(np.uint64) * np.uint64(bound) & LOW32) < threshold
    assert rejected.any() and maybe[rejected].all()
    rng.bit_generator.advance(-8)  # back to the start
    drawn = rng.integers(0, bound, size=4)
    assert drawn.tolist() == values[~rejected][:4].tolist()
    rng.bit_generator.advance(-int(np.flatnonzero(~rejected)[3] // 2 + 1))
    assert rng.bit_generator.random_raw(1)[0] == words[0]


def test_uniform_is_low_plus_width_times_random():
    a, b = np.random.default_rng(9), np.random.default_rng(9)
    assert a.uniform(-0.5, 1.5, size=50).tolist() == (-0.5 + 2.0 * b.random(50)).tolist()


def test_trainer_is_a_genetic_trainer():
    assert gm.get_method("genetic").factory is GeneticTrainer


# ---------------------------------------------------------------------- the batched draws
def _live_state(rng):
    """The generator's state that decides its next numbers (the kept half only when one is kept)."""
    state = rng.bit_generator.state
    return state["state"], state["has_uint32"], state["uinteger"] if state["has_uint32"] else None


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"selection": "truncation", "truncation_share": 0.3, "crossover": "uniform"},
        {"crossover": "arithmetic", "tournament_size": 4, "population_size": 13},
    ],
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_draws_from_raw_words_equal_the_generator_calls(settings, dtype):
    from gradmethods.training.trainers.genetic import _GenerationDraws

    trainer = GeneticTrainer(**settings)
    size, n, n_params, seeds = trainer.population_size, trainer.population_size - trainer.elitism, 6, [0, 4, 19]
    by_words = _GenerationDraws(trainer, len(seeds), size, n, n_params, np.dtype(dtype))
    by_calls = _GenerationDraws(trainer, len(seeds), size, n, n_params, np.dtype(dtype))
    assert by_words.from_words
    word_rngs = [np.random.default_rng(seed) for seed in seeds]
    call_rngs = [np.random.default_rng(seed) for seed in seeds]
    half_kept = np.full(len(seeds), -1)  # no half kept by a new generator
    for _ in range(3):  # generations: the generators' states carry over
        by_words.draw(word_rngs, half_kept, None)
        for run, rng in enumerate(call_rngs):
            by_calls._draw_with_calls(run, rng, None)
            rng.standard_normal(dtype=dtype, out=by_calls.noise[run])
        for name in ("selected", "loser_at", "noise"):
            np.testing.assert_array_equal(getattr(by_words, name), getattr(by_calls, name), err_msg=name)
        for name in ("uniform_words", "double_words"):  # the random() draws they give: their top 53 bits
            np.testing.assert_array_equal(getattr(by_words, name) >> 11, getattr(by_calls, name) >> 11, err_msg=name)
        for word_rng, call_rng in zip(word_rngs, call_rngs):
            assert _live_state(word_rng) == _live_state(call_rng)
    assert dtype == "float32" or (half_kept == -1).all()  # float64 noise takes whole words: no half is ever kept


def test_runs_whose_words_may_be_rejected_are_drawn_again_by_the_generator(monkeypatch):
    """The fallback: words near a rejection (about one in 10**8 at the default bounds) are taken back and the run is
    drawn by the generator's calls; here every other run of the stack is made to take it, every generation."""
    from gradmethods.training.trainers import genetic

    bounded = genetic._bounded_from_halves
    taken_back = []

    def flag_every_other_run(halves, bound, out):
        suspicious = bounded(halves, bound, out)
        suspicious[::2] = True
        taken_back.append(int(suspicious.sum()))
        return suspicious

    monkeypatch.setattr(genetic, "_bounded_from_halves", flag_every_other_run)
    for case, other in ((PINNED[0], PINNED[1]), (PINNED[3], PINNED[4])):  # float64; float32, whose runs keep halves
        task, settings, generations, dtype, seed, cost, median, spread, params = case
        seeds = [seed, 3, other[4], seed + 2]
        batch = gm.train(task, "genetic", seeds=seeds, iterations=generations, dtype=dtype, engine="numpy", **settings)
        _check_pinned(batch[0], dtype, cost, median, spread, params)
        _check_pinned(batch[2], dtype, *other[5:])
    assert sum(taken_back) >= 2 * (200 + 60)


@pytest.mark.parametrize("width", [2, 7, 96])
def test_median_from_the_sorted_order_is_numpys_median(width):
    from gradmethods.training.trainers.genetic import _median_of_sorted

    rng = np.random.default_rng(width)
    cost = np.concatenate([rng.random((20, width)) * 10.0 ** rng.integers(-300, 300, size=(20, 1)),
                           rng.integers(0, 3, size=(20, width)).astype(float)])  # fmt: skip
    cost[::3, : width // 2 + 1] = np.inf
    cost[1, :] = 0.0
    cost[4, :] = np.finfo(float).max  # the sum of the two middle values overflows, as numpy's does
    order = np.argsort(cost, axis=1, kind="stable")
    with np.errstate(over="ignore"):
        expected = np.median(cost, axis=1)
        assert _median_of_sorted(cost, order).tobytes() == expected.tobytes()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_branchless_zeroing_is_numpys_where_bit_for_bit(dtype):
    from gradmethods.training.trainers.genetic import _zero_where_not

    rng = np.random.default_rng(1)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-310, -3.5])
    values = np.concatenate([special, rng.standard_normal(93) * 1e3]).astype(dtype).reshape(10, 10)
    mask = rng.random((10, 10)) < 0.3
    expected = np.where(mask, values, np.dtype(dtype).type(0))
    assert _zero_where_not(mask, values.copy()).tobytes() == expected.tobytes()


def test_coins_compared_on_the_words_equal_the_comparison_of_the_doubles():
    from gradmethods.training.trainers.genetic import _doubles_from_words, _random_below, _words_from_doubles

    rng = np.random.default_rng(11)
    rates = [0.0, 1.0, 0.5, 0.1, 0.2, 0.9, 1e-300, 2.0**-53, 1 - 2.0**-53, 0.3 + 1e-17, float(rng.random())]
    words = rng.bit_generator.random_raw(2000)
    for rate in rates:  # words on each side of the threshold, and random ones
        edge = int(np.ceil(rate * 2.0**53))
        near = [max(0, min(2**53 - 1, edge + d)) << 11 | low for d in (-2, -1, 0, 1) for low in (0, 2**11 - 1)]
        every = np.concatenate([words, np.array(near, dtype=np.uint64)])
        doubles = _doubles_from_words(every)
        assert doubles.tolist() == [(int(w) >> 11) * 2.0**-53 for w in every]
        np.testing.assert_array_equal(_random_below(every, rate), doubles < rate, err_msg=str(rate))
    drawn = np.random.default_rng(3).random(500)
    np.testing.assert_array_equal(_doubles_from_words(_words_from_doubles(drawn)), drawn)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, options", [("or_and", {}), ("xor", {}), ("not", {"activation": "identity"}),
                                           ("or_and", {"cost": "cross_entropy"})])  # fmt: skip
def test_population_cost_and_error_are_the_networks_bit_for_bit(name, options, dtype):
    """The shared squared distance of the half SSE path gives the network's own cost and error (other costs go
    through the network's functions); overflowing members get +inf for both."""
    from gradmethods.training.trainers.genetic import evaluate_population

    task = gm.get_task(name, **options)
    net = task.network()
    X, Y = task.data(dtype)
    largest = 30 if dtype == "float32" else 200  # weights up to 10**largest: finite, their squares overflow
    scales = np.logspace(0, largest, 500)[:, None]
    population = (net.init_params(np.random.default_rng(0), size=500) * scales).astype(dtype)
    with np.errstate(all="ignore"):
        cost, error = evaluate_population(net, population, X, Y)
        expected_cost = np.asarray(net.cost(population, X, Y), dtype=np.float64)
        expected_error = np.asarray(net.error(population, X, Y), dtype=np.float64)
    bad = ~(np.isfinite(expected_cost) & np.isfinite(expected_error))
    expected_cost[bad] = expected_error[bad] = np.inf
    assert cost.tobytes() == expected_cost.tobytes() and error.tobytes() == expected_error.tobytes()
    assert name != "not" or bad.any()  # the identity network overflows for the largest weights
