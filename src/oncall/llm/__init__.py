"""The LLM layer: who to call (`roles`) and how to talk (`models`).

Agents get a `ModelSet` from `load_models(config, preset)` and ask it `for_role(role)`; None means the
role has no model and the agent runs its deterministic procedure. A `RoleModel` has one call::

    answer = await model.run(system, prompt, Verdict, tools=[search, lineage], emit=emit,
                             validators=[urn_exists])

and raises `LLMError` on any failure. `emit(kind, data)` receives, per call:

- `thinking`: `{"role", "model", "text"}`: reasoning as it streams, in pieces of ~80 characters;
- `tool_call`: `{"role", "tool", "args", "id"}`: args as a dict, or the raw text when it is not JSON;
- `tool_result`: `{"role", "tool", "id", "ok": True, "result"}` or `{..., "ok": False, "error"}`
  (the retry prompt the model got back, e.g. for malformed arguments or a tool raising `Retry`);
- `message`: `{"role", "model", "usage": {"requests", "tokens_in", "tokens_out", "cost_usd",
  "elapsed_ms", "error"}}` once at the end, also after a failure.

Usage is summed per role (`RoleModel.usage`) and over all roles (`ModelSet.usage`, `ModelSet.summary()`
for the run result); `sequential_calls(ModelSet.usage.records)` gives the critical-path round trips and
`critical_path_s` its seconds.
"""

from __future__ import annotations

from oncall.llm.models import (
    CallRecord,
    Emit,
    ModelSet,
    Retry,
    RoleModel,
    Usage,
    critical_path_s,
    load_models,
    sequential_calls,
)
from oncall.llm.roles import PRESETS, ROLES, Endpoint, Role, resolve_endpoints

__all__ = [
    "PRESETS",
    "ROLES",
    "CallRecord",
    "Emit",
    "Endpoint",
    "ModelSet",
    "Retry",
    "Role",
    "RoleModel",
    "Usage",
    "critical_path_s",
    "load_models",
    "resolve_endpoints",
    "sequential_calls",
]
