"""Reading a network as a classifier: predicted classes and accuracy.

With one output per class (one-hot targets) the predicted class is the output with the
largest activation; with a single output it is ``output >= 0.5`` (the logic gates).
Both functions work on one parameter vector ``(P,)`` or a stack ``(R, P)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .network import Network, error_from_outputs

__all__ = ["predict_classes", "accuracy", "task_scores"]


def _classes_from_outputs(outputs: np.ndarray) -> np.ndarray:
    if outputs.shape[-1] == 1:
        return (outputs[..., 0] >= 0.5).astype(np.int64)
    return outputs.argmax(axis=-1)


def predict_classes(net: Network, params: Any, X: Any) -> np.ndarray:
    """Predicted class of each pattern: ``(N,)``, or ``(R, N)`` for a stack of parameters.

    Examples
    --------
    >>> import numpy as np, gradmethods as gm
    >>> net = gm.Network([2, 2])
    >>> params = np.array([1.0, -1.0, -1.0, 1.0, 0.0, 0.0])  # W = [[1, -1], [-1, 1]], b = 0
    >>> predict_classes(net, params, [[1.0, 0.0], [0.0, 1.0]]).tolist()
    [0, 1]
    """
    return _classes_from_outputs(np.asarray(net.forward(params, X)))


def accuracy(net: Network, params: Any, X: Any, Y: Any) -> Any:
    """Share of patterns whose predicted class is the target class.

    Parameters
    ----------
    net : Network
    params : ndarray, shape (P,) or (R, P)
    X : array_like, shape (N, n_inputs)
    Y : array_like, shape (N, n_outputs) or (N,)
        One-hot (or single-output 0/1) targets, or integer class labels.

    Returns
    -------
    float, or ndarray of shape (R,) for a stack
        Accuracy in [0, 1].

    Examples
    --------
    >>> import numpy as np, gradmethods as gm
    >>> net = gm.Network([2, 2])
    >>> params = np.array([[1.0, -1.0, -1.0, 1.0, 0.0, 0.0], [-1.0, 1.0, 1.0, -1.0, 0.0, 0.0]])
    >>> accuracy(net, params, [[1.0, 0.0], [0.0, 1.0]], [[1, 0], [1, 0]]).tolist()
    [0.5, 0.5]
    >>> float(accuracy(net, params[0], [[1.0, 0.0], [0.0, 1.0]], [0, 1]))
    1.0
    """
    predicted = predict_classes(net, params, X)
    Y = np.asarray(Y)
    if Y.ndim == 1:
        if Y.dtype.kind not in "iu":
            raise ValueError(f"Y given as labels must hold ints; got dtype {Y.dtype}.")
        labels = Y
    elif Y.ndim == 2 and Y.shape[1] == net.n_outputs:
        labels = _classes_from_outputs(Y)
    else:
        raise ValueError(
            f"Y must be targets of shape (N, {net.n_outputs}) or integer labels of shape (N,); got shape {Y.shape}."
        )
    if labels.shape[0] != predicted.shape[-1]:
        raise ValueError(f"Y holds {labels.shape[0]} patterns but X holds {predicted.shape[-1]}.")
    result = (predicted == labels).mean(axis=-1)
    return float(result) if result.ndim == 0 else result


def task_scores(task: Any, params: Any) -> dict[str, Any]:
    """What a run's record should hold beside the training error: accuracies, and test figures.

    Parameters
    ----------
    task : Task
    params : ndarray, shape (P,) or (R, P)
        Trained parameters (one network or a stack).

    Returns
    -------
    dict
        ``train_accuracy`` always; for a task with a held-out test set (see
        :func:`gradmethods.core.datasets.held_out_data`) also ``test_accuracy``, ``test_error``
        (the post's error on the test set) and ``test_cost``.  Floats for one network,
        ``(R,)`` arrays for a stack.

    Examples
    --------
    >>> import numpy as np, gradmethods as gm
    >>> task = gm.get_task("xor")
    >>> sorted(task_scores(task, task.random_params(np.random.default_rng(0))))
    ['train_accuracy']
    """
    from .datasets import held_out_data

    net = task.network()
    scores = {"train_accuracy": accuracy(net, params, task.X, task.Y)}
    if "X_test" in task.metadata:
        X_test, Y_test = held_out_data(task, dtype=np.asarray(params).dtype)
        z, a = net.layer_outputs(params, X_test)[-1]
        scores["test_accuracy"] = accuracy(net, params, X_test, Y_test)
        scores["test_error"] = _scalar(error_from_outputs(a, Y_test))
        scores["test_cost"] = _scalar(net.cost_from_outputs(z, a, Y_test))
    return scores


def _scalar(value: Any) -> Any:
    value = np.asarray(value)
    return float(value) if value.ndim == 0 else value
