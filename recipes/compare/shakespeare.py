"""A transformer, an LSTM and a GRU on tiny-shakespeare at about the same training time: nanoGPT's small model
(recipes/shakespeare_gpt.py, 2000 steps) against two LSTM layers of 256 units (2400 steps) and one GRU layer of 512
(2160 steps), their step counts set by their measured step times (npframe, batch 12, context 64, one thread: GPT 221
ms, LSTM 2x256 184 ms, GRU 512 204 ms, measured side by side); the recurrent models at AdamW 2e-3 (char-rnn's rate),
untuned; three seeds each (seed 2 ran hours after seeds 0 and 1, after GELU's float32 normal CDF and the LSTM's and
GRU's gate arithmetic were rewritten: the same functions up to float32 rounding, GELU's CDF within 3e-7). The table
goes by held-out loss (nanoGPT's split: the last 10 % of the text), lowest best.

python -m framework.compare recipes/compare/shakespeare.py --logdir docs/results --threads 1 \\
    --set dataset.path=../shared/datasets/tinyshakespeare/input.txt"""

def recurrent(layer: str, units: int, count: int) -> list:
    return [{"name": "embedding", "vocab": "outputs", "units": 64},
            *[{"name": layer, "units": units, "return_sequences": True}] * count, {"name": "dense", "units": "outputs"}]


comparison = {
    "description": "Character-level models of tiny-shakespeare (nanoGPT's split) at about equal training time: "
                   "nanoGPT's 4-block transformer (0.80 M parameters, 2000 steps), an LSTM of two 256-unit layers "
                   "(0.87 M, 2400 steps) and a GRU of 512 units (0.92 M, 2160 steps); batch 12, context 64, "
                   "AdamW with warm-up and cosine, clipping at 1.0.",
    "base": "../shakespeare_gpt.py",
    "set": {"loggers": ["tensorboard"], "callbacks": ["checkpoint", {"name": "clip_grad_norm", "max_norm": 1.0}]},
    "metric": "loss",
    "seeds": 3,
    "variants": {
        "transformer": {},
        "lstm": {"model.layers": recurrent("lstm", 256, 2), "optimizer.lr": 2e-3,
                 "dataset.steps_per_epoch": 300},
        "gru": {"model.layers": recurrent("gru", 512, 1), "optimizer.lr": 2e-3, "dataset.steps_per_epoch": 270},
    },
}
