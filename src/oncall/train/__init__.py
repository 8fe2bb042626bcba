"""The Detective's own small model: training data from the catalog, a LoRA adapter, its GGUF for serving.

`export.py` turns the catalog (names, titles, descriptions, columns, glossary terms, owners, word
variants) and the eval scenarios' incidents into (incident text -> search words + URN) pairs in the
chat format the model reads, keeping held-out paraphrases and anything close to them out of training.
`detective.py` trains a LoRA adapter on SmolLM2-135M-Instruct with torch + peft on the CPU (the
`train` extra) and `gguf_lora.py` writes it as a GGUF LoRA the local llama.cpp server loads. The
agents read the tuned model through `llm.detective.lora_path` (`agents/detective.py`).
"""

from __future__ import annotations

from oncall.train.export import Dataset, Pair, Phrasing, export_pairs, load_phrasings, write_dataset

__all__ = ["Dataset", "Pair", "Phrasing", "export_pairs", "load_phrasings", "write_dataset"]
