"""Sequence and attention layers (their conformance cases are in test_conformance.py): each recurrence and attention
against an independent per-step, per-head oracle written from the equations in docs/math.md (and
against PyTorch where it is installed)."""
import numpy as np
import pytest

from framework import Sequential
from plugins.layers import (
    GRU,
    LSTM,
    RNN,
    Dense,
    Embedding,
    LayerNorm,
    MultiHeadAttention,
    PositionalEmbedding,
    TransformerBlock,
)


def built(layer, shape, seed=0):
    model = Sequential([layer])
    model.build(shape, np.random.default_rng(seed), np.float64)
    for p in model.params:
        p.value += 0.3 * np.random.default_rng(seed + 1).standard_normal(p.value.shape)
    return model, layer


def sig(v):
    return 1 / (1 + np.exp(-v))


def oracle(kind, layer, x):
    """The recurrence one example and one step at a time, from the equations (PyTorch's gate order)."""
    W, U, b, u = layer.W.value, layer.W_hh.value, layer.b.value, layer.units
    out = np.zeros((len(x), x.shape[1], u))
    for e in range(len(x)):
        h, c = np.zeros(u), np.zeros(u)
        for t in range(x.shape[1]):
            xt = x[e, t]
            if kind == "rnn":
                h = np.tanh(xt @ W + b + h @ U)
            elif kind == "lstm":
                a = xt @ W + b + h @ U
                i, f, g, o = sig(a[:u]), sig(a[u:2 * u]), np.tanh(a[2 * u:3 * u]), sig(a[3 * u:])
                c = f * c + i * g
                h = o * np.tanh(c)
            else:
                gi, gh = xt @ W + b, h @ U
                r, z = sig(gi[:u] + gh[:u]), sig(gi[u:2 * u] + gh[u:2 * u])
                n = np.tanh(gi[2 * u:] + r * (gh[2 * u:] + layer.b_hn.value))
                h = (1 - z) * n + z * h
            out[e, t] = h
    return out


@pytest.mark.parametrize("cls,kind", [(RNN, "rnn"), (LSTM, "lstm"), (GRU, "gru")])
def test_recurrences_match_a_per_step_oracle(cls, kind):
    x = np.random.default_rng(2).standard_normal((3, 7, 4))
    model, layer = built(cls(5, return_sequences=True), (7, 4))
    expected = oracle(kind, layer, x)
    assert np.allclose(model.forward(x), expected, rtol=1e-12, atol=1e-12)
    last, _ = built(cls(5), (7, 4))
    assert np.allclose(last.forward(x), oracle(kind, last.layers[0], x)[:, -1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls,kind", [(RNN, "RNN"), (LSTM, "LSTM"), (GRU, "GRU")])
def test_recurrences_match_pytorch(cls, kind):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (an optional oracle)")
    x = np.random.default_rng(3).standard_normal((2, 64, 6))
    model, layer = built(cls(8, return_sequences=True), (64, 6))
    ref = getattr(torch.nn, kind)(6, 8, batch_first=True).double()
    u = layer.units
    with torch.no_grad():
        ref.weight_ih_l0.copy_(torch.from_numpy(layer.W.value.T))
        ref.weight_hh_l0.copy_(torch.from_numpy(layer.W_hh.value.T))
        b_hh = np.zeros_like(layer.b.value)
        if kind == "GRU":
            b_hh[2 * u:] = layer.b_hn.value
        ref.bias_ih_l0.copy_(torch.from_numpy(layer.b.value))
        ref.bias_hh_l0.copy_(torch.from_numpy(b_hh))
    xt = torch.from_numpy(x).requires_grad_()
    yt = ref(xt)[0]
    y = model.forward(x)
    assert np.allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-13)
    g = np.random.default_rng(4).standard_normal(y.shape)
    yt.backward(torch.from_numpy(g))
    dx = model.backward(g.copy(), need_input_grad=True)
    assert np.allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-13)  # back-propagation through 64 steps
    assert np.allclose(layer.W.grad, ref.weight_ih_l0.grad.numpy().T, rtol=1e-10, atol=1e-13)
    assert np.allclose(layer.W_hh.grad, ref.weight_hh_l0.grad.numpy().T, rtol=1e-10, atol=1e-13)


def test_attention_matches_a_per_head_oracle():
    x = np.random.default_rng(5).standard_normal((2, 6, 8))
    for causal in (True, False):
        model, att = built(MultiHeadAttention(heads=4, causal=causal), (6, 8))
        qkv = x @ att.W_qkv.value + att.b_qkv.value
        q, k, v = qkv[..., :8], qkv[..., 8:16], qkv[..., 16:]
        out = np.zeros_like(x)
        for e in range(2):
            heads = []
            for h in range(4):
                cols = slice(2 * h, 2 * h + 2)
                s = q[e, :, cols] @ k[e, :, cols].T / np.sqrt(2)
                if causal:
                    s = np.where(np.tril(np.ones((6, 6))) > 0, s, -np.inf)
                p = np.exp(s - s.max(axis=1, keepdims=True))
                heads.append((p / p.sum(axis=1, keepdims=True)) @ v[e, :, cols])
            out[e] = np.concatenate(heads, axis=1) @ att.W_o.value + att.b_o.value
        assert np.allclose(model.forward(x), out, rtol=1e-12, atol=1e-12)


def test_causal_attention_does_not_look_ahead():
    """Changing a later position leaves every earlier output as it was."""
    model, _ = built(TransformerBlock(heads=2), (6, 8))
    x = np.random.default_rng(6).standard_normal((1, 6, 8))
    y = model.forward(x)
    x2 = x.copy()
    x2[0, 4] += 1.0
    y2 = model.forward(x2)
    assert np.array_equal(y[0, :4], y2[0, :4]) and not np.allclose(y[0, 4:], y2[0, 4:])


def test_shorter_sequences_than_built():
    """Generation feeds prompts shorter than the context the model was built for: every layer takes them, and
    a causal model's outputs for the first t positions do not depend on the length."""
    model = Sequential([Embedding(11, 8), PositionalEmbedding(), TransformerBlock(heads=2), LayerNorm(),
                        Dense(11)])
    model.build((9,), np.random.default_rng(0), np.float64)
    ids = np.random.default_rng(1).integers(0, 11, (2, 9))
    full, short = model.forward(ids), model.forward(ids[:, :4])
    assert short.shape == (2, 4, 11) and np.allclose(full[:, :4], short, rtol=1e-12, atol=1e-12)


def test_dense_on_sequences_is_per_position():
    model, dense = built(Dense(3), (5, 4))
    x = np.random.default_rng(7).standard_normal((2, 5, 4))
    assert np.allclose(model.forward(x)[1, 2], x[1, 2] @ dense.W.value + dense.b.value)


def test_embedding_refuses_floats():
    model, _ = built(Embedding(5, 3), (4,))
    with pytest.raises(ValueError, match="integer token ids"):
        model.forward(np.zeros((1, 4)))


@pytest.mark.parametrize("make,error", [(lambda: MultiHeadAttention(heads=0), "heads"),
                                        (lambda: LSTM(units=0), "units"),
                                        (lambda: Embedding(vocab=0, units=3), "vocab"),
                                        (lambda: TransformerBlock(heads=2, mlp_ratio=0), "mlp_ratio")])
def test_bad_parameters_are_named(make, error):
    with pytest.raises(ValueError, match=error):
        make()


def test_heads_must_divide_the_width():
    with pytest.raises(ValueError, match="not divisible by heads=3"):
        built(MultiHeadAttention(heads=3), (4, 8))


def test_tied_embedding_and_output_share_one_parameter():
    """GPT-2's tied embeddings: the output layer uses the embedding's table transposed; one parameter, saved once,
    whose gradient is the sum of both uses (checked by finite differences)."""
    from framework.testing import numerical_grad

    def make():
        return Sequential([Embedding(7, 4), PositionalEmbedding(), LayerNorm(), Dense(7, bias=False, tie="embedding0")])

    model = make()
    model.build((5,), np.random.default_rng(0), np.float64)
    assert [p.name for p in model.params] == ["embedding0.W", "positional_embedding0.P", "ln0.gamma", "ln0.beta"]
    table = model.layers[0].W
    ids = np.random.default_rng(1).integers(0, 7, (3, 5))
    w = np.random.default_rng(2).standard_normal((3, 5, 7))
    assert np.allclose(model.forward(ids)[0, 0], model.layers[2].forward(model.layers[1].forward(
        table.value[ids]))[0, 0] @ table.value.T)
    loss = lambda: float(np.sum(model.forward(ids) * w))
    model.forward(ids)
    model.backward(w.copy())
    assert np.allclose(table.grad, numerical_grad(loss, table.value), rtol=1e-6, atol=1e-8)
    again = make()
    again.build((5,), np.random.default_rng(5), np.float64)
    again.load_state_dict(model.state_dict())
    assert np.array_equal(again.forward(ids), model.forward(ids))


def test_a_tie_to_a_missing_or_wrong_layer_is_named():
    bad = Sequential([Embedding(7, 4), Dense(7, tie="embedding1")])
    with pytest.raises(ValueError, match=r"tie: no layer 'embedding1' before it \(layers before it: embedding0\)"):
        bad.build((5,), np.random.default_rng(0), np.float64)
    wrong = Sequential([Embedding(7, 4), Dense(6, tie="embedding0")])
    with pytest.raises(ValueError, match=r"not an embedding of shape \(6, 4\)"):
        wrong.build((5,), np.random.default_rng(0), np.float64)
