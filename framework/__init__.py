"""A neural-network training framework in NumPy: layers, losses, a Trainer with events, and plugins
registered through entry points."""
from .augment import Augmentation, Warp
from .callbacks import EVENTS, Batch, Callback, State
from .data import Dataset, DataError, holdout, read_idx
from .layers import BatchNorm, Dense, Dropout, Layer, LeakyReLU, Param, ReLU, Sigmoid, Tanh
from .losses import BinaryCrossEntropy, Loss, MeanSquaredError, SoftmaxCrossEntropy
from .model import Sequential, build_mlp
from .optim import Optimizer
from .recipe import RecipeError, derive
from .registry import PluginError
from .schedule import Scheduler
from .trainer import Trainer

__version__ = "0.1.0"
__all__ = [
    "Augmentation", "Warp", "EVENTS", "Batch", "Callback", "State", "Dataset", "DataError", "holdout", "read_idx", "BatchNorm", "Dense", "Dropout", "Layer",
    "LeakyReLU", "Param", "ReLU", "Sigmoid", "Tanh", "BinaryCrossEntropy", "Loss", "MeanSquaredError",
    "SoftmaxCrossEntropy", "Sequential", "build_mlp", "Optimizer", "RecipeError", "derive", "PluginError",
    "Scheduler", "Trainer",
]
