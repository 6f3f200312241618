"""The example plugins pass npframe's conformance checks (what a plugin author runs in their own CI)."""
from framework import testing
from npframe_extras.jsonl_logger import JsonLinesLogger
from npframe_extras.lion import Lion
from npframe_extras.rotate2d import Rotate2D
from npframe_extras.spirals import two_spirals


def test_lion():
    testing.check_optimizer(Lion, lr=1e-2)
    testing.check_optimizer(Lion, lr=1e-2, weight_decay=0.1)


def test_rotate2d():
    testing.check_augmentation(Rotate2D, n_features=2)


def test_two_spirals():
    testing.check_dataset(two_spirals, n=200)


def test_jsonl_logger():
    testing.check_callback(JsonLinesLogger)
