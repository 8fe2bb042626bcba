// The console page: start a run, follow its events into the four lanes, then show what it found.
// Everything that comes from a run, the catalog or the incident text is set as text (see dom.js).

import { adoptToken, api, ApiError, followEvents, text } from "./api.js";
import { fmtDuration, fmtNumber, h, replace } from "./dom.js";
import { renderHistory } from "./history.js";
import { Lanes } from "./lanes.js";
import { renderResults, renderVerdict } from "./results.js";
import { setUiUrl } from "./urns.js";

const $ = (id) => document.getElementById(id);

const state = {
  runId: null,
  controller: null,
  startedTs: null,
  finishedTs: null,
  timer: null,
  usage: { tokens_in: 0, tokens_out: 0, cost_usd: 0 },
  models: {},
  preset: null,
};

const lanes = new Lanes($("lanes"));

function showError(message) {
  replace($("alert"), message ? h("p", { text: message }) : null);
  $("alert").hidden = !message;
}

function tick() {
  if (!state.startedTs) {
    $("stat-elapsed").textContent = "–";
    return;
  }
  const end = state.finishedTs ?? Date.now() / 1000;
  $("stat-elapsed").textContent = fmtDuration((end - state.startedTs) * 1000);
}

function setUsage(usage) {
  $("stat-tokens").textContent = usage
    ? `${fmtNumber(usage.tokens_in)} in · ${fmtNumber(usage.tokens_out)} out`
    : "–";
  $("stat-cost").textContent = usage ? `$${Number(usage.cost_usd || 0).toFixed(4)}` : "–";
}

const ROLE_KEYS = [
  ["coordinator", "C"],
  ["detective", "D"],
  ["reality_checker", "R"],
  ["fixer", "F"],
];

/** The top bar's model per role: one chip per role, "offline" where the procedure decides. */
function renderModels() {
  const anyModel = Object.values(state.models).some(Boolean);
  // Per-role overrides can give roles models under the "offline" preset: then the chips say it all.
  $("stat-preset").textContent =
    state.preset && !(anyModel && state.preset === "offline") ? `· ${state.preset}` : "";
  replace(
    $("stat-models"),
    ROLE_KEYS.map(([role, initial]) =>
      h(
        "span",
        {
          class: `role-chip role-${role}`,
          title: `${role}: ${state.models[role] || "no model (deterministic procedure)"}`,
        },
        h("b", { text: initial }),
        state.models[role] || "offline",
      ),
    ),
  );
}

function setModels(models, preset) {
  state.models = { ...(models || {}) };
  if (preset) state.preset = preset;
  lanes.setModels(state.models);
  renderModels();
}

function resetView(incident, runId) {
  state.controller?.abort();
  state.controller = new AbortController();
  state.runId = runId;
  state.startedTs = null;
  state.finishedTs = null;
  state.usage = { tokens_in: 0, tokens_out: 0, cost_usd: 0 };
  state.models = {};
  renderModels();
  lanes.reset();
  showError(null);
  $("run-title").textContent = incident || "";
  $("run-id").textContent = runId ? `run ${runId}` : "";
  replace($("verdict"));
  replace($("results"));
  $("results").hidden = true;
  $("verdict").hidden = true;
  $("stat-verdict").textContent = "running";
  document.body.dataset.run = "running";
  setUsage(null);
  clearInterval(state.timer);
  state.timer = setInterval(tick, 200);
  markActive(runId);
}

function onEvent(event) {
  if (event.run_id !== state.runId) return; // a stale stream after switching runs
  if (event.kind === "run_started") {
    state.startedTs = event.ts;
    if (event.data?.incident) $("run-title").textContent = event.data.incident;
    if (event.data?.models || event.data?.llm)
      setModels(event.data.models, event.data.llm || event.data.preset);
  }
  if (
    typeof event.data?.model === "string" &&
    event.data.model &&
    state.models[event.agent] !== event.data.model
  ) {
    state.models[event.agent] = event.data.model;
    renderModels();
  }
  const usage = event.data?.usage;
  if (usage && typeof usage === "object") {
    for (const k of ["tokens_in", "tokens_out", "cost_usd"]) state.usage[k] += Number(usage[k] || 0);
    setUsage(state.usage);
  }
  if (event.kind === "run_finished") {
    state.finishedTs = event.ts;
    tick();
  }
  if (event.agent === "system" && event.kind === "error")
    showError(event.data?.message || "the run reported an error");
  lanes.apply(event);
}

async function showResult(runId) {
  const { status, body } = await api(`/api/runs/${encodeURIComponent(runId)}`);
  if (status !== 200 || runId !== state.runId) return;
  const result = body;
  const html = await text(`/api/runs/${encodeURIComponent(runId)}/postmortem.html`).catch(() => "");
  lanes.finish();
  clearInterval(state.timer);
  if (!state.startedTs && result.started_at) state.startedTs = result.started_at;
  if (result.timings_ms?.total !== undefined && state.startedTs)
    state.finishedTs = state.startedTs + result.timings_ms.total / 1000;
  tick();
  setModels(result.llm?.models, result.llm?.preset);
  setUsage(result.llm);
  $("stat-verdict").textContent = result.verdict.replaceAll("_", " ");
  document.body.dataset.run = result.verdict;
  renderVerdict($("verdict"), result);
  $("verdict").hidden = false;
  renderResults($("results"), result, html);
  $("results").hidden = false;
}

async function watch(runId, incident) {
  resetView(incident, runId);
  const url = new URL(window.location.href);
  url.searchParams.set("run", runId);
  history.replaceState(null, "", url);
  const { signal } = state.controller;
  try {
    await followEvents(runId, onEvent, { signal });
    if (!signal.aborted) await showResult(runId);
  } catch (err) {
    if (err.name !== "AbortError") showError(err.message);
  } finally {
    if (!signal.aborted) {
      clearInterval(state.timer);
      $("run-button").disabled = false;
      refreshHistory();
    }
  }
}

async function startRun(event) {
  event.preventDefault();
  const incident = $("incident").value.trim();
  if (!incident) {
    showError("Describe the incident in a few words first.");
    return;
  }
  $("run-button").disabled = true;
  try {
    const { body } = await api("/api/runs", { json: { incident, dry_run: $("dry-run").checked } });
    refreshHistory();
    await watch(body.run_id, incident);
  } catch (err) {
    showError(err instanceof ApiError ? err.message : String(err));
  } finally {
    $("run-button").disabled = false;
  }
}

function markActive(runId) {
  for (const row of document.querySelectorAll("#history-list .run-row"))
    row.classList.toggle("active", row.dataset.run === runId);
}

async function refreshHistory() {
  try {
    const { body } = await api("/api/runs");
    renderHistory($("history-list"), body.runs, state.runId, (runId) => {
      const run = body.runs.find((r) => r.run_id === runId);
      watch(runId, run?.incident);
    });
  } catch (err) {
    showError(err.message);
  }
}

async function main() {
  adoptToken();
  $("run-form").addEventListener("submit", startRun);
  try {
    const { body: info } = await api("/api/info");
    setUiUrl(info.datahub_ui_url);
    setModels({}, info.llm_preset);
    $("catalog-kind").textContent = info.datahub_ui_url
      ? "DataHub"
      : `DataHub ${info.catalog === "lite" ? "Lite (embedded)" : "GMS"}`;
  } catch (err) {
    showError(err.message);
  }
  await refreshHistory();
  const runId = new URL(window.location.href).searchParams.get("run");
  if (runId) watch(runId, "");
  document.body.dataset.ready = "true";
}

main();
