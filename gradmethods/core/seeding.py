"""numpy's ``default_rng(seed)`` streams for many seeds at once, as array arithmetic.

A run's initial weights are ``init_params(numpy.random.default_rng(seed))``.
``default_rng(s)`` is ``PCG64(SeedSequence(s))``: a ``SeedSequence`` hashes the seed's
32-bit words into a pool of four words and draws the generator's 128-bit state and
increment from it (``generate_state(4, np.uint64)``); PCG64 is a 128-bit linear
congruential generator whose every output is the XSL-RR permutation of the state after
one step.  Both are fixed integer arithmetic that does not branch on the seed, so the
streams of R seeds are computed here as uint32 / uint64 array operations over all R
seeds at once -- the same words, bit for bit, as one generator per seed (tests compare
with numpy itself for many seeds).  A 128-bit product is built from 64-bit halves, and
the high half of a 64-bit product from 32-bit halves.

Constructing one ``numpy.random.Generator`` costs tens of microseconds, so 10,000
seeds cost about half a second one by one and a few milliseconds here.  For few seeds
with many draws each (a wide network), numpy's own generators are faster, and
:func:`pcg64_words` uses them there (:func:`vectorized_pays`); seeds of 2**64 or more
always go through numpy.

The algorithms are numpy's (``numpy/random/bit_generator.pyx``: ``SeedSequence``'s
``mix_entropy`` and ``generate_state``; ``numpy/random/src/pcg64/pcg64.h``:
``pcg_setseq_128_srandom_r`` and ``pcg_setseq_128_xsl_rr_64_random_r``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .params import short_repr

__all__ = ["pcg64_words", "seed_array", "seed_sequence_state", "vectorized_pays"]

# SeedSequence's hashing constants (numpy/random/bit_generator.pyx), pool of 4 words.
_POOL_SIZE = 4
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = 0xCA01F9DD, 0x4973F715
_XSHIFT = np.uint32(16)
# PCG64's default 128-bit multiplier, as its high and low 64-bit words.
_MULTIPLIER = 0x2360ED051FC65DA44385DF649FCCF645
_MULT_HI, _MULT_LO = _MULTIPLIER >> 64, _MULTIPLIER & (2**64 - 1)

_MASK32 = np.uint64(0xFFFFFFFF)
_U32 = np.uint64(32)


def _hash_constants(start: int, multiplier: int, count: int) -> list[np.uint32]:
    """The ``count + 1`` successive values of a SeedSequence hash constant: ``start * multiplier**k`` mod 2**32."""
    values = [start]
    for _ in range(count):
        values.append((values[-1] * multiplier) & 0xFFFFFFFF)
    return [np.uint32(value) for value in values]


# mix_entropy makes 4 + 12 hashmix calls; generate_state(4, uint64) hashes 8 words.
_HASH_A = _hash_constants(_INIT_A, _MULT_A, _POOL_SIZE + _POOL_SIZE * (_POOL_SIZE - 1))
_HASH_B = _hash_constants(_INIT_B, _MULT_B, 2 * _POOL_SIZE)


def _hashmix(value: np.ndarray, call: int) -> np.ndarray:
    """SeedSequence's ``hashmix`` as its ``call``-th call (0-based) makes it, over an array of uint32."""
    value = value ^ _HASH_A[call]
    value = value * _HASH_A[call + 1]
    return value ^ (value >> _XSHIFT)


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = np.uint32(_MIX_MULT_L) * x - np.uint32(_MIX_MULT_R) * y
    return result ^ (result >> _XSHIFT)


def seed_sequence_state(seeds: np.ndarray) -> np.ndarray:
    """``SeedSequence(s).generate_state(4, np.uint64)`` for every seed ``s < 2**64``, shape (R, 4) uint64.

    Parameters
    ----------
    seeds : ndarray of uint64, shape (R,)

    Notes
    -----
    An int seed is its 32-bit words, lowest first (one word below 2**32, two below
    2**64).  The pool's first words hash the entropy words and the rest hash 0, so a
    seed below 2**32 gives the same pool as a two-word seed whose high word is 0: every
    seed below 2**64 is hashed as two words.
    """
    seeds = np.asarray(seeds, dtype=np.uint64)
    with np.errstate(over="ignore"):
        words = [(seeds & _MASK32).astype(np.uint32), (seeds >> _U32).astype(np.uint32)]
        words += [np.zeros_like(words[0])] * (_POOL_SIZE - len(words))
        pool = [_hashmix(word, call) for call, word in enumerate(words)]
        call = _POOL_SIZE
        for source in range(_POOL_SIZE):  # mix every word into every other, in numpy's order
            for target in range(_POOL_SIZE):
                if source != target:
                    pool[target] = _mix(pool[target], _hashmix(pool[source], call))
                    call += 1
        state = np.empty((seeds.shape[0], 2 * _POOL_SIZE), dtype=np.uint32)
        for word in range(2 * _POOL_SIZE):  # generate_state: cycle through the pool
            value = pool[word % _POOL_SIZE] ^ _HASH_B[word]
            value = value * _HASH_B[word + 1]
            state[:, word] = value ^ (value >> _XSHIFT)
    # Pairs of 32-bit words, the first the low half (numpy views them as little-endian uint64).
    low, high = state[:, 0::2].astype(np.uint64), state[:, 1::2].astype(np.uint64)
    return low | (high << _U32)


def _mul_hi(a: np.ndarray, b: int) -> np.ndarray:
    """The high 64 bits of the 128-bit products ``a * b`` (uint64 array, constant ``b``), from 32-bit halves."""
    b0, b1 = np.uint64(b & 0xFFFFFFFF), np.uint64(b >> 32)
    a0, a1 = a & _MASK32, a >> _U32
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    middle = (p00 >> _U32) + (p01 & _MASK32) + (p10 & _MASK32)
    return p11 + (p01 >> _U32) + (p10 >> _U32) + (middle >> _U32)


def _step(high: np.ndarray, low: np.ndarray, inc_high: np.ndarray, inc_low: np.ndarray) -> tuple:
    """One LCG step over arrays of 128-bit states: ``state * multiplier + inc`` mod 2**128."""
    product_low = low * np.uint64(_MULT_LO)
    product_high = _mul_hi(low, _MULT_LO) + low * np.uint64(_MULT_HI) + high * np.uint64(_MULT_LO)
    new_low = product_low + inc_low
    carry = (new_low < product_low).astype(np.uint64)
    return product_high + inc_high + carry, new_low


def _xsl_rr(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """PCG64's output: ``high ^ low`` rotated right by the state's top 6 bits."""
    value, rotation = high ^ low, high >> np.uint64(58)
    return (value >> rotation) | (value << ((np.uint64(64) - rotation) & np.uint64(63)))


def _pcg64_words_vectorized(seeds: np.ndarray, n_words: int) -> np.ndarray:
    state = seed_sequence_state(seeds)
    with np.errstate(over="ignore"):
        # pcg64_set_seed: state word 0 is initstate's high half, 1 its low half; 2 and 3 initseq's.
        init_high, init_low, seq_high, seq_low = (state[:, k] for k in range(4))
        one = np.uint64(1)
        inc_high = (seq_high << one) | (seq_low >> np.uint64(63))
        inc_low = (seq_low << one) | one
        # srandom_r: state = 0; step (state = inc); state += initstate; step.
        low = inc_low + init_low
        high = inc_high + init_high + (low < inc_low).astype(np.uint64)
        high, low = _step(high, low, inc_high, inc_low)
        words = np.empty((seeds.shape[0], n_words), dtype=np.uint64)
        for k in range(n_words):  # each output: one step, then XSL-RR of the new state
            high, low = _step(high, low, inc_high, inc_low)
            words[:, k] = _xsl_rr(high, low)
    return words


def vectorized_pays(n_seeds: int, n_words: int) -> bool:
    """Whether :func:`pcg64_words` computes the streams as arrays (else with one numpy generator per seed).

    Measured: the array path costs about ``60 us + 80 ns * R`` per word drawn (and
    about three words' worth for the seeding); numpy's path about 40 us per seed for
    its generator plus 20 ns per word.  So 10,000 seeds of a few words each take
    milliseconds as arrays and a third of a second one by one, while three seeds of
    100,000 words each take milliseconds with numpy and seconds as arrays.
    """
    array_path = (n_words + 3) * (60e-6 + 80e-9 * n_seeds)
    numpy_path = n_seeds * (40e-6 + 20e-9 * n_words)
    return array_path < numpy_path


def _refused(seeds: Any) -> ValueError:
    return ValueError(f"seeds must be a sequence of ints >= 0; got {short_repr(seeds)}.")


def seed_array(seeds: Sequence[int] | np.ndarray) -> np.ndarray:
    """``seeds`` checked: a 1-d uint64 array, or an object array of Python ints when one is 2**64 or more.

    Raises
    ------
    ValueError
        Unless ``seeds`` is a sequence (or 1-d array) of ints >= 0 (bools and floats are not seeds).
    """
    array = seeds if isinstance(seeds, np.ndarray) else np.asarray(seeds)
    if array.ndim != 1:
        raise _refused(seeds)
    if array.dtype.kind in "iu":  # every int fits int64 (or uint64)
        if array.size and array.min() < 0:
            raise ValueError(f"seeds must be ints >= 0; got {array.min()}.")
        return array.astype(np.uint64, copy=False)
    if isinstance(seeds, np.ndarray) and array.dtype.kind != "O":  # floats, bools, strings
        raise _refused(seeds)
    # numpy makes floats or objects of a list holding an int of 2**63 or more: judge the given items.
    items = list(seeds)
    if not all(isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)) for seed in items):
        raise _refused(seeds)
    values = [int(seed) for seed in items]
    if values and min(values) < 0:
        raise ValueError(f"seeds must be ints >= 0; got {min(values)}.")
    if not values or max(values) < 2**64:
        return np.array(values, dtype=np.uint64)
    return np.array(values, dtype=object)


def pcg64_words(seeds: Sequence[int] | np.ndarray, n_words: int) -> np.ndarray:
    """The first ``n_words`` raw 64-bit outputs of ``numpy.random.default_rng(s)`` for every seed.

    Parameters
    ----------
    seeds : sequence of int >= 0, length R
    n_words : int >= 0

    Returns
    -------
    ndarray of uint64, shape (R, n_words)
        Row ``r`` is ``default_rng(seeds[r]).bit_generator.random_raw(n_words)``, bit for bit.

    Examples
    --------
    >>> import numpy as np
    >>> words = pcg64_words([0, 7], 3)
    >>> bool(np.array_equal(words[1], np.random.default_rng(7).bit_generator.random_raw(3)))
    True
    """
    seeds = seed_array(seeds)
    n_seeds = seeds.shape[0]
    if seeds.dtype == np.uint64 and n_seeds and vectorized_pays(n_seeds, n_words):
        return _pcg64_words_vectorized(seeds, n_words)
    words = np.empty((n_seeds, n_words), dtype=np.uint64)
    for row, seed in enumerate(seeds.tolist()):
        words[row] = np.random.PCG64(seed).random_raw(n_words)
    return words
