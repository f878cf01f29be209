"""Analysis: the gradient check, the benchmark and the post's figures reproduced.

Builds on :mod:`gradmethods.training` and the layers below it.
"""
