"""The dream and adversarial commands, run in-process on a briefly trained digits network.

The network is trained once per module by the ``out`` fixture and cached in its
directory, so every test finds it there whether it runs alone or after the others.
"""

import re
import sys

import numpy as np
import pytest
from scipy.special import expit

from gradmethods.cli import main
from gradmethods.core.datasets import load_digits

pytest.importorskip("sklearn.datasets")

TRAINING = ["--iterations", "80"]  # enough for a usable network, fast to train
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    """A results directory holding the network the commands train with ``TRAINING`` (trained here, once)."""
    directory = tmp_path_factory.mktemp("results")
    assert main(["dream", "0", "--steps", "1", "--out", str(directory), *TRAINING]) == 0
    assert len(list(directory.glob("digits_model-*.npz"))) == 1
    return directory


def _params(out):
    (model,) = out.glob("digits_model-*.npz")
    with np.load(model) as stored:
        return stored["params"]


def _outputs_by_hand(params, X):
    """The 64-32-10 sigmoid network's outputs, written out with numpy from the flat layout."""
    W1, b1 = params[: 64 * 32].reshape(64, 32), params[64 * 32 : 64 * 32 + 32]
    rest = params[64 * 32 + 32 :]
    W2, b2 = rest[: 32 * 10].reshape(32, 10), rest[32 * 10 :]
    return expit(expit(X @ W1 + b1) @ W2 + b2)


def _printed_row(text, label):
    """The ten numbers printed on the table row called ``label``."""
    (row,) = re.findall(rf"^{label} +((?:\d\.\d{{3}} *){{10}})$", text, flags=re.MULTILINE)
    return np.array([float(v) for v in row.split()])


def _run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_dream_saves_a_png_and_prints_the_outputs(out, capsys):
    code, text, _ = _run(capsys, "dream", "3", "--confidence", "0.8", "--out", str(out), *TRAINING)
    assert code == 0
    assert "loaded cached" in text and "test accuracy" in text
    png = out / "dream_3.png"
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    with np.load(out / "dream_3.npz") as saved:
        before, after = saved["before"], saved["after"]
    params = _params(out)
    np.testing.assert_allclose(_printed_row(text, "noise"), _outputs_by_hand(params, before)[0], atol=5e-4)
    np.testing.assert_allclose(_printed_row(text, "dream"), _outputs_by_hand(params, after)[0], atol=5e-4)
    assert np.array_equal(before, np.random.default_rng(0).uniform(0, 1, (1, 64)))  # the seeded noise
    assert after.min() >= 0 and after.max() <= 1
    assert re.search(r"classified as 3 \(output 0\.\d+\) after \d+ steps", text)
    assert _outputs_by_hand(params, after)[0].argmax() == 3
    assert _outputs_by_hand(params, after)[0, 3] >= 0.8


def test_a_run_loads_the_cached_network(out, capsys):
    argv = ["dream", "7", "--count", "2", "--seed", "5", "--confidence", "0.999", "--steps", "20"]
    code, text, _ = _run(capsys, *argv, "--out", str(out), *TRAINING)
    assert code == 0 and "loaded cached" in text
    assert text.count("not reached in 20 steps") == 2  # a briefly trained network is never that sure
    assert len(list(out.glob("digits_model-*.npz"))) == 1
    with np.load(out / "dream_7_x2.npz") as saved:
        assert saved["after"].shape == (2, 64)
    assert (out / "dream_7_x2.png").read_bytes()[:8] == PNG_SIGNATURE


def test_adversarial_changes_the_class(out, capsys):
    params = _params(out)
    split = load_digits()
    correct = np.flatnonzero(_outputs_by_hand(params, split.X_test).argmax(axis=1) == split.labels_test)
    index = int(correct[0])
    code, text, _ = _run(capsys, "adversarial", str(index), "--out", str(out), *TRAINING)
    assert code == 0
    assert (out / f"adversarial_{index}.png").read_bytes()[:8] == PNG_SIGNATURE
    with np.load(out / f"adversarial_{index}.npz") as saved:
        before, after, label = saved["before"], saved["after"], int(saved["label"])
    assert label == split.labels_test[index]
    np.testing.assert_array_equal(before, split.X_test[index])
    assert after.min() >= 0 and after.max() <= 1
    new_class = int(_outputs_by_hand(params, after).argmax())
    assert new_class != label
    assert re.search(rf"steps? of gradient ascent: classified as {new_class} ", text)
    np.testing.assert_allclose(_printed_row(text, "original"), _outputs_by_hand(params, before), atol=5e-4)
    np.testing.assert_allclose(_printed_row(text, "changed"), _outputs_by_hand(params, after), atol=5e-4)


def test_adversarial_refuses_a_misclassified_image(out, capsys):
    params = _params(out)
    split = load_digits()
    wrong = np.flatnonzero(_outputs_by_hand(params, split.X_test).argmax(axis=1) != split.labels_test)
    assert wrong.size  # a briefly trained network misses some test images
    code, _, err = _run(capsys, "adversarial", str(wrong[0]), "--out", str(out), *TRAINING)
    assert code == 2 and "already misclassified" in err and "choose a correctly classified one" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["dream", "10"], "DIGIT must be an int from 0 to 9"),
        (["dream", "3", "--confidence", "1.5"], "--confidence"),
        (["adversarial", "359"], "INDEX must be an int from 0 to 358"),
        (["dream", "3", "--provider", "nope"], "'method'"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(out, capsys, argv, message):
    code, _, err = _run(capsys, *argv, "--out", str(out), *TRAINING)
    assert code == 2 and message in err


def test_the_cache_is_keyed_by_the_training_settings(tmp_path, capsys):
    code, text, _ = _run(capsys, "dream", "1", "--steps", "1", "--out", str(tmp_path), "--iterations", "5")
    assert code == 0 and "trained" in text
    code, text, _ = _run(capsys, "dream", "1", "--steps", "1", "--out", str(tmp_path), "--iterations", "6")
    assert code == 0 and "trained" in text
    assert len(list(tmp_path.glob("digits_model-*.npz"))) == 2


def test_a_damaged_cache_is_replaced(tmp_path, capsys):
    argv = ["dream", "1", "--steps", "1", "--out", str(tmp_path), "--iterations", "5"]
    _run(capsys, *argv)
    (model,) = tmp_path.glob("digits_model-*.npz")
    model.write_bytes(b"not a numpy file")
    code, text, _ = _run(capsys, *argv)
    assert code == 0 and "trained" in text and "loaded cached" not in text
    with np.load(model) as stored:
        assert stored["params"].shape == (2410,)
    assert not list(tmp_path.glob(".digits_model-*"))  # no temporary files left behind


def test_missing_sklearn_is_a_clear_message(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes `import sklearn.datasets` fail
    code, _, err = _run(capsys, "dream", "3", "--out", str(tmp_path))
    assert code == 2 and "pip install gradmethods[data]" in err
    assert not list(tmp_path.iterdir())
