"""nanoGPT's small Shakespeare model on CPU (its README's example for a laptop): a character-level GPT of 4
pre-norm transformer blocks (4 heads, width 128, context 64, no dropout, no biases, input and output embeddings
tied), AdamW lr 1e-3 with betas (0.9, 0.99) and weight decay 0.1 on matrices only, 100 warm-up steps then cosine
to 1e-4 at step 2000, gradient norms clipped at 1.0, batch 12, 2000 steps (8 epochs of 250), on nanoGPT's split of
tiny-shakespeare (first 90 % train, last 10 % validation):

    python -m framework.run recipes/shakespeare_gpt.py --set dataset.path=../shared/datasets/tinyshakespeare/input.txt
    python -m framework.generate logs/shakespeare_gpt/RUN --prompt "ROMEO:" --length 500
"""
recipe = {
    "dataset": {"name": "text", "path": "input.txt", "block_size": 64, "steps_per_epoch": 250, "split": "nanogpt"},
    "model": {"name": "sequential", "layers": [
        {"name": "embedding", "vocab": "outputs", "units": 128}, "positional_embedding",
        *[{"name": "transformer_block", "heads": 4, "bias": False}] * 4,
        {"name": "layer_norm", "bias": False},
        {"name": "dense", "units": "outputs", "bias": False, "tie": "embedding0"}]},
    "loss": "auto",
    "optimizer": {"name": "adamw", "lr": 1e-3, "beta2": 0.99, "weight_decay": 0.1},
    "scheduler": {"name": "cosine", "min_factor": 0.1, "warmup_epochs": 0.4},
    "regularizers": [],
    "augmentations": [],
    "callbacks": ["checkpoint", {"name": "clip_grad_norm", "max_norm": 1.0}],
    "loggers": ["progress", "tensorboard"],
    "epochs": 8,
    "batch_size": 12,
    "seed": 0,
    "dtype": "float32",
}
