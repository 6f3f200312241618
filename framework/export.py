"""`python -m framework.export RUN_DIR -o model.onnx [--checkpoint best|last]`: a trained run as one ONNX
graph (opset 17): the dataset's input scaling, the network (batch normalisation in its evaluation form, dropout
left out), and its output: class probabilities (softmax; two columns for a binary task, as predict_proba) or
values in the target's units (regression). Input "input": float32 (N, features), raw as the dataset stores them.
Needs the onnx package: pip install "npframe[onnx]".
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from . import cli
from .files import atomic_write_bytes
from .inference import Predictor, load
from .layers import BatchNorm, Dense, Dropout, LeakyReLU, ReLU, Sigmoid, Tanh

OPSET = 17


def to_onnx(predictor: Predictor):
    """The onnx.ModelProto of a loaded model."""
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value, np.float32), name))
        return name

    def node(op, inputs, **attrs):
        out = f"{op.lower()}{len(nodes)}"
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    info = predictor.info
    x = "input"
    if info.get("input_center") is not None:
        x = node("Sub", [x, const("input_center", info["input_center"])])
    if info.get("input_scale") is not None:
        x = node("Div", [x, const("input_scale", info["input_scale"])])
    for i, layer in enumerate(predictor.model.layers):
        if isinstance(layer, Dense):
            x = node("Gemm", [x, const(f"W{i}", layer.W.value), const(f"b{i}", layer.b.value)])
        elif isinstance(layer, BatchNorm):
            stats = [const(f"{k}{i}", v) for k, v in (("gamma", layer.gamma.value), ("beta", layer.beta.value),
                                                      ("mean", layer.running_mean), ("var", layer.running_var))]
            x = node("BatchNormalization", [x, *stats], epsilon=float(layer.eps))
        elif isinstance(layer, ReLU):
            x = node("Relu", [x])
        elif isinstance(layer, LeakyReLU):
            x = node("LeakyRelu", [x], alpha=float(layer.alpha))
        elif isinstance(layer, Sigmoid):
            x = node("Sigmoid", [x])
        elif isinstance(layer, Tanh):
            x = node("Tanh", [x])
        elif not isinstance(layer, Dropout):  # dropout is the identity at inference
            raise cli.UsageError(f"cannot export a {type(layer).__name__} layer to ONNX")
    task = predictor.task
    if task == "multiclass":
        out, x = "probabilities", node("Softmax", [x], axis=1)
    elif task == "binary":
        p = node("Sigmoid", [x])
        out, x = "probabilities", node("Concat", [node("Sub", [const("one", [[1.0]]), p]), p], axis=1)
    else:
        out = "prediction"
        x = node("Add", [node("Mul", [x, const("target_scale", info.get("target_scale") or 1.0)]),
                         const("target_center", info.get("target_center") or 0.0)])
    nodes.append(helper.make_node("Identity", [x], [out]))
    width = info["n_outputs"] if task != "binary" else 2
    graph = helper.make_graph(nodes, f"npframe_{info['dataset']}", [
        helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", info["n_features"]])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["N", width])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="npframe")
    model.ir_version = 8  # readable by onnxruntime releases of the last years
    if predictor.classes is not None:
        helper.set_model_props(model, {"classes": ",".join(map(str, predictor.classes))})
    return model


@cli.command
def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m framework.export",
                                description="Write a trained run as one ONNX graph (opset 17): input scaling, the "
                                            "network, and its softmax, sigmoid or target-unit output.")
    p.add_argument("run_dir", help="a run directory")
    p.add_argument("-o", "--out", required=True, metavar="FILE", help="the .onnx file to write")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best", help="which weights (default: best)")
    args = p.parse_args(argv)
    try:
        import onnx
    except ImportError:
        raise cli.UsageError("export needs the onnx package: pip install \"npframe[onnx]\"") from None
    model = to_onnx(load(args.run_dir, args.checkpoint))
    onnx.checker.check_model(model)
    atomic_write_bytes(args.out, model.SerializeToString())
    print(f"wrote {args.out}: input 'input' (N, {model.graph.input[0].type.tensor_type.shape.dim[1].dim_value}), "
          f"output {model.graph.output[0].name!r}, opset {OPSET}")
    return cli.OK


if __name__ == "__main__":
    sys.exit(main())
