"""A neural-network training framework in NumPy: layers, losses, a Trainer with events, and plugins
registered through entry points."""
from .augment import Augmentation, Warp
from .callbacks import EVENTS, Batch, Callback, Monitor, Order, State
from .checkpoint import checkpoint_dir
from .checkpoint import load as load_checkpoint
from .checkpoint import save as save_checkpoint
from .data import DataError, Dataset, holdout
from .inference import Predictor, load
from .layers import BatchNorm, Dense, Dropout, Layer, LeakyReLU, Param, ReLU, Sigmoid, Tanh
from .losses import BinaryCrossEntropy, Loss, MeanSquaredError, SoftmaxCrossEntropy
from .model import Sequential, build_mlp
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
    "BatchNorm",
    "BinaryCrossEntropy",
    "Callback",
    "DataError",
    "Dataset",
    "Dense",
    "Diverged",
    "Dropout",
    "Layer",
    "LeakyReLU",
    "Loss",
    "MeanSquaredError",
    "Monitor",
    "Optimizer",
    "Order",
    "Param",
    "PluginError",
    "Predictor",
    "ReLU",
    "RecipeError",
    "Scheduler",
    "Sequential",
    "Sigmoid",
    "SoftmaxCrossEntropy",
    "State",
    "Tanh",
    "Trainer",
    "Warp",
    "build_mlp",
    "checkpoint_dir",
    "derive",
    "holdout",
    "load",
    "load_checkpoint",
    "save_checkpoint",
]
