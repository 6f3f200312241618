"""The built-in layers (`framework.layers` plugins), a module per family: dense, activations, normalization,
regularization (dropout), structure (flatten, reshape, rescaling, residual), images (convolution, pooling),
sequences (embeddings, recurrent layers) and attention (layer norm, multi-head attention, transformer block). Each
layer has its forward and backward pass and its ONNX nodes on one screen; their gradients are derived in
docs/math.md, and every one passes `framework.testing.check_layer`."""
from .activations import GELU, LeakyReLU, ReLU, Sigmoid, SiLU, Softplus, Tanh
from .attention import LayerNorm, MultiHeadAttention, TransformerBlock
from .dense import Dense
from .images import AvgPool2D, Conv2D, GlobalAvgPool, MaxPool2D, PatchWhitening
from .normalization import BatchNorm
from .regularization import Dropout
from .sequences import GRU, LSTM, RNN, Embedding, PositionalEmbedding
from .structure import Flatten, Repeat, Rescaling, Reshape, Residual

__all__ = ["GELU", "GRU", "LSTM", "RNN", "AvgPool2D", "BatchNorm", "Conv2D", "Dense", "Dropout", "Embedding", "Flatten",
           "GlobalAvgPool", "LayerNorm", "LeakyReLU", "MaxPool2D", "MultiHeadAttention", "PatchWhitening",
           "PositionalEmbedding", "ReLU",
           "Repeat", "Rescaling", "Reshape", "Residual", "SiLU", "Sigmoid", "Softplus", "Tanh", "TransformerBlock"]
