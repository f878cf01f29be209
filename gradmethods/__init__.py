"""gradmethods: the ways of computing a neural network's gradient, side by side.

>>> import gradmethods as gm
>>> net = gm.Network([2, 2, 2])
>>> provider = gm.get_provider("backprop")
>>> task = gm.get_task("example4")
>>> cost, grad = provider.value_and_grad(net, task.post_params(), task.X, task.Y)
>>> round(float(cost), 4)
0.2984
"""

from ._version import __version__
from .analysis.estimator_quality import estimator_quality
from .analysis.gradient_check import check_gradients, fd_step_study, max_relative_error, step_study_minima, taylor_test
from .core import datasets  # registers the "digits" task (scikit-learn is imported only when it is built)
from .core.activations import activation_names, get_activation, register_activation
from .core.classification import accuracy, predict_classes, task_scores
from .core.costs import cost_names, get_cost, register_cost
from .core.dual import Dual
from .core.network import Network
from .core.registry import get_method, get_provider, methods, providers, register_provider, register_trainer
from .core.tasks import Task, get_task, register_task, tasks
from .suites.suite import Suite, load_suite
from .suites.tables import Results, load_results
from .training import optim
from .training.api import initial_params, train
from .training.input_optimization import InputOptimizationResult, optimize_input
from .training.results import Outcome, TrainResult
from .training.trainers.genetic import GeneticTrainer

__all__ = [
    "__version__",
    "Network",
    "Task",
    "TrainResult",
    "Outcome",
    "train",
    "optim",
    "initial_params",
    "get_task",
    "tasks",
    "register_task",
    "get_provider",
    "get_method",
    "providers",
    "methods",
    "register_provider",
    "register_trainer",
    "GeneticTrainer",
    "activation_names",
    "get_activation",
    "register_activation",
    "cost_names",
    "get_cost",
    "register_cost",
    "load_suite",
    "Suite",
    "load_results",
    "Results",
    "Dual",
    "check_gradients",
    "estimator_quality",
    "taylor_test",
    "fd_step_study",
    "step_study_minima",
    "max_relative_error",
    "accuracy",
    "predict_classes",
    "task_scores",
    "datasets",
    "optimize_input",
    "InputOptimizationResult",
]
