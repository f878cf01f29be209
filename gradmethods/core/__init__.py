"""The bottom layer: the network, its activations and costs, dual numbers, tasks and data sets.

Nothing here imports from another layer of gradmethods.  The registries of methods,
activations, costs and tasks live here too, so that every layer above can register into
them.
"""
