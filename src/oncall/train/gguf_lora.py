"""A peft LoRA adapter of a Llama-architecture model written as a GGUF LoRA, which llama.cpp loads
beside the base model's `.gguf` (`--lora_path` of llama-cpp-python's server).

What llama.cpp expects (the layout of its own `convert_lora_to_gguf.py`): `general.type = adapter`,
`adapter.type = lora`, `adapter.lora.alpha`, and per adapted weight `<gguf name>.lora_a` (rank x in)
and `.lora_b` (out x rank). HF checkpoints order the query and key rows for rotate-half RoPE while
llama.cpp's GGUF uses interleaved pairs, so the base conversion permutes those rows; the adapter's B of
q_proj and k_proj gets the same permutation (A acts on the inputs, which are not permuted).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["GGUF_NAMES", "gguf_tensor_name", "write_gguf_lora"]

GGUF_NAMES = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
"""HF module path inside a decoder layer -> llama.cpp tensor name."""

_PEFT_KEY = re.compile(r"layers\.(\d+)\.([a-z_]+\.[a-z_]+)\.lora_([AB])\.weight$")


def gguf_tensor_name(peft_key: str) -> tuple[str, str] | None:
    """('blk.3.attn_q.weight', 'a') for a peft key of layer 3's q_proj lora_A; None for others."""
    match = _PEFT_KEY.search(peft_key)
    if not match or match.group(2) not in GGUF_NAMES:
        return None
    layer, module, which = match.groups()
    return f"blk.{layer}.{GGUF_NAMES[module]}.weight", which.lower()


def _permute(rows: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp's RoPE row order for q/k: each head's two halves interleaved."""
    out = rows.shape[0]
    return rows.reshape(n_head, 2, out // n_head // 2, *rows.shape[1:]).swapaxes(1, 2).reshape(rows.shape)


def write_gguf_lora(
    state: Mapping[str, Any], path: Path, *, alpha: float, n_head: int, n_kv_head: int, arch: str = "llama"
) -> int:
    """Write the adapter's tensors (peft state dict: name -> torch tensor or array) to `path`.

    Returns the number of adapted weights. Raises ValueError for an adapter with tensors llama.cpp
    would not find in the base model (embeddings, lm_head, unknown modules) or an A without its B.
    """
    import gguf

    pairs: dict[str, dict[str, np.ndarray]] = {}
    for key, tensor in state.items():
        named = gguf_tensor_name(key)
        if named is None:
            raise ValueError(
                f"adapter tensor {key} has no llama.cpp counterpart; adapt only {sorted(GGUF_NAMES)}"
            )
        base, which = named
        array = tensor.detach().float().cpu().numpy() if hasattr(tensor, "detach") else np.asarray(tensor)
        if which == "b" and ".attn_q." in base:
            array = _permute(array, n_head)
        elif which == "b" and ".attn_k." in base:
            array = _permute(array, n_kv_head)
        pairs.setdefault(base, {})[which] = np.ascontiguousarray(array, dtype=np.float32)
    incomplete = sorted(b for b, ab in pairs.items() if set(ab) != {"a", "b"})
    if incomplete:
        raise ValueError(f"adapter has A without B (or B without A) for {', '.join(incomplete)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
    for base in sorted(pairs):
        writer.add_tensor(f"{base}.lora_a", pairs[base]["a"])
        writer.add_tensor(f"{base}.lora_b", pairs[base]["b"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return len(pairs)
