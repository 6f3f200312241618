"""`python -m framework.export RUN_DIR -o model.onnx [--checkpoint best|last]`: a trained run as one ONNX
graph (opset 17): the dataset's input scaling, the network (each layer emits its own inference-mode nodes: batch
normalisation in its evaluation form, dropout left out), and its output: class probabilities (softmax; two columns
for a binary task, as predict_proba) or values in the target's units (regression). Input "input": float32
(N, *input_shape) — (N, C, H, W) for images, (N, features) for tables — raw as the dataset stores them.
Needs the onnx package: pip install "npframe[onnx]".
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from ..inference import Predictor, load
from ..layers import OnnxGraph
from ..runs import weights_used
from . import cli

OPSET = OnnxGraph.OPSET


def to_onnx(predictor: Predictor):
    """The onnx.ModelProto of a loaded model: every layer adds its own nodes (`Layer.to_onnx`)."""
    from onnx import helper

    info, shape = predictor.info, predictor.input_shape
    g = OnnxGraph()
    x = "input"
    for key, op in (("input_center", "Sub"), ("input_scale", "Div")):
        if info.get(key) is not None:
            v = np.asarray(info[key], np.float32)
            x = g.node(op, [x, g.const(v.reshape(shape) if v.size > 1 else v, key)])
    try:
        x = predictor.model.to_onnx(g, x)
    except NotImplementedError as e:
        raise cli.UsageError(f"cannot export this model to ONNX: {e}") from None
    task = predictor.task
    per_position = list(info.get("target_shape") or [])  # a text model: probabilities at every position
    if task == "multiclass":
        out, x = "probabilities", g.node("Softmax", [x], axis=-1)
    elif task == "binary":
        p = g.node("Sigmoid", [x])
        out, x = "probabilities", g.node("Concat", [g.node("Sub", [g.const([[1.0]], "one"), p]), p], axis=1)
    else:
        out = "prediction"
        x = g.node("Add", [g.node("Mul", [x, g.const(info.get("target_scale") or 1.0, "target_scale")]),
                           g.const(info.get("target_center") or 0.0, "target_center")])
    width = info["n_outputs"] if task != "binary" else 2
    model = g.model(x, out, ["N", *shape], ["N", *per_position, width], f"npframe_{info['dataset']}",
                    tokens=bool(info.get("tokens")))
    if predictor.classes is not None:
        helper.set_model_props(model, {"classes": ",".join(map(str, predictor.classes))})
    return model


@cli.command
def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m framework.export",
                                description="Write a trained run as one ONNX graph (opset 17): input scaling, the "
                                            "network, and its softmax, sigmoid or target-unit output.",
                                epilog="Exit codes: 0 written; 2 a bad run, checkpoint or output path (one line on "
                                       "stderr, nothing written).")
    p.add_argument("run_dir", help="a run directory")
    p.add_argument("-o", "--out", required=True, metavar="FILE", help="the .onnx file to write")
    p.add_argument("--checkpoint", choices=("last", "best"), default=None,
                   help="which weights (default: last, the weights the run finished with, those of its summary's "
                        "test figure; best: the lowest validation loss; a run that diverged needs it named)")
    args = p.parse_args(argv)
    cli.check_output(args.out, "-o")
    try:
        import onnx
    except ImportError:
        raise cli.UsageError("export needs the onnx package: pip install \"npframe[onnx]\"") from None
    which = cli.diverged_guard(args.run_dir, args.checkpoint)
    model = to_onnx(load(args.run_dir, which))
    onnx.checker.check_model(model)
    cli.write_output(args.out, model.SerializeToString(), "-o")
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
    print(f"wrote {args.out}: input 'input' (N, {', '.join(map(str, dims))}), "
          f"output {model.graph.output[0].name!r}, opset {OPSET}; weights {weights_used(args.run_dir, which)}")
    return cli.OK


if __name__ == "__main__":
    sys.exit(main())
