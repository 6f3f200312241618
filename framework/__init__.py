"""A neural-network training framework in NumPy: layers, losses, a Trainer with events, and plugins
registered through entry points."""
from .augment import Augmentation, Warp
from .callbacks import EVENTS, Batch, Callback, Monitor, Order, State
from .checkpoint import checkpoint_dir
from .checkpoint import load as load_checkpoint
from .checkpoint import save as save_checkpoint
from .data import Dataset, DataError, holdout
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
    "Augmentation", "Warp", "EVENTS", "Batch", "Callback", "Monitor", "Order", "State", "checkpoint_dir",
    "load_checkpoint", "save_checkpoint", "Dataset", "DataError", "holdout", "BatchNorm", "Dense", "Dropout", "Layer",
    "LeakyReLU", "Param", "ReLU", "Sigmoid", "Tanh", "BinaryCrossEntropy", "Loss", "MeanSquaredError",
    "SoftmaxCrossEntropy", "Sequential", "build_mlp", "Optimizer", "RecipeError", "derive", "PluginError",
    "Scheduler", "Trainer",
]
