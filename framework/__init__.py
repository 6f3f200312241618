"""A neural-network training framework in NumPy: layers, losses, a Trainer with events, and plugins
registered through entry points."""
import os

# OpenBLAS's idle worker threads spin for about 2**28 cycles after each product, taking the core that the layers'
# threaded NumPy passes need next; sleeping at once (2**4) makes each small product of a dense network wait for its
# threads to wake. 2**18 cycles (about 0.1 ms) is as fast as either where it is faster (benchmarks/thread_timeout.py,
# docs/benchmarks.md). Read when NumPy loads, so only if it is not yet loaded (python -m framework.*); a value
# already set is kept.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "18")
from .augment import Augmentation, Warp
from .build import build_mlp, build_model
from .callbacks import EVENTS, Batch, Callback, Monitor, Order, State
from .checkpoint import checkpoint_dir
from .checkpoint import load as load_checkpoint
from .checkpoint import save as save_checkpoint
from .data import DataError, Dataset, holdout
from .inference import Predictor, load
from .layers import Layer, ModelError, OnnxGraph, Param, Sequential, make_layer, make_layers
from .losses import BinaryCrossEntropy, Loss, MeanSquaredError, SoftmaxCrossEntropy
from .optim import Optimizer
from .recipe import RecipeError, derive
from .registry import PluginError
from .schedule import Scheduler
from .trainer import Diverged, Trainer

__version__ = "0.1.0"
__all__ = [
    "EVENTS",
    "Augmentation",
    "Batch",
    "BinaryCrossEntropy",
    "Callback",
    "DataError",
    "Dataset",
    "Diverged",
    "Layer",
    "Loss",
    "MeanSquaredError",
    "ModelError",
    "Monitor",
    "OnnxGraph",
    "Optimizer",
    "Order",
    "Param",
    "PluginError",
    "Predictor",
    "RecipeError",
    "Scheduler",
    "Sequential",
    "SoftmaxCrossEntropy",
    "State",
    "Trainer",
    "Warp",
    "build_mlp",
    "build_model",
    "checkpoint_dir",
    "derive",
    "holdout",
    "load",
    "load_checkpoint",
    "make_layer",
    "make_layers",
    "save_checkpoint",
]
