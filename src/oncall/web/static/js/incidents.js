// The incidents page: the watcher's incidents with their failing assertions, lineage paths, owners and
// timeline; acknowledge and resolve them. Everything from the API is set as text.

import { adoptToken, api } from "./api.js";
import { fmtTime, h, replace } from "./dom.js";
import { ownerName } from "./urns.js";

const $ = (id) => document.getElementById(id);
const PRIORITY = ["critical", "high", "medium", "low"];
const REFRESH_MS = 5000;

function name(urn, names) {
  if (names && names[urn]) return names[urn];
  const m = /^urn:li:dataset:\([^,]+,([^,]+),[^)]*\)$/.exec(urn);
  return m ? m[1].split(".").pop() : urn;
}

function seconds(value) {
  return value === null || value === undefined ? "–" : `${Number(value).toFixed(1)} s`;
}

function showError(err) {
  const box = $("alert");
  box.hidden = false;
  replace(box, h("p", { text: err.message || String(err) }));
}

async function act(incident, action, body) {
  try {
    await api(`/api/incidents/${encodeURIComponent(incident.urn)}/${action}`, { json: body });
    $("alert").hidden = true;
    await load();
  } catch (err) {
    showError(err);
  }
}

function actions(incident) {
  if (incident.state !== "ACTIVE") return null;
  const note = h("input", { type: "text", class: "note", placeholder: "note (optional)", maxlength: "500" });
  const by = h("input", { type: "text", class: "by", placeholder: "you (DataHub username)", maxlength: "200" });
  const body = () => ({ by: by.value || null, note: note.value || null });
  return h(
    "div",
    { class: "incident-actions" },
    by,
    note,
    incident.stage === "TRIAGE"
      ? h("button", { type: "button", class: "ack", onclick: () => act(incident, "ack", body()) }, "Acknowledge")
      : null,
    h("button", { type: "button", class: "resolve", onclick: () => act(incident, "resolve", body()) }, "Resolve"),
  );
}

function assertionRow(a, names) {
  const state = a.deleted ? "DELETED" : a.last_result;
  return h(
    "li",
    { class: "assertion" },
    h("span", { class: `pill ${state === "SUCCESS" ? "pass" : "fail"}`, text: state }),
    " ",
    h("b", { text: a.native_type }),
    ` on ${name(a.dataset_urn, names)} · run ${a.last_run_id || "?"}`,
  );
}

function card(incident) {
  const names = incident.names || {};
  const owners = incident.assignees.length ? incident.assignees.map(ownerName).join(", ") : "unassigned (no owner)";
  const failing = incident.assertions.filter((a) => !a.deleted && a.last_result !== "SUCCESS").length;
  return h(
    "section",
    { class: `panel incident-card state-${incident.state.toLowerCase()}`, dataset: { urn: incident.urn } },
    h("h2", { text: incident.title }),
    h("div", {
      class: "muted small incident-meta",
      text: [
        `${incident.state} · ${incident.stage || "no stage"}`,
        `priority ${PRIORITY[incident.priority] || incident.priority}`,
        `${failing}/${incident.assertions.length} failing`,
        `owners ${owners}`,
        `opened ${fmtTime(incident.opened_ms / 1000)}`,
      ].join(" · "),
    }),
    incident.hands_off ? h("p", { class: "warn small", text: `Watcher hands off: ${incident.hands_off}` }) : null,
    h("h3", { text: "Assertions" }),
    h("ul", { class: "assertions" }, incident.assertions.map((a) => assertionRow(a, names))),
    h("h3", { text: "Lineage" }),
    h(
      "ul",
      { class: "paths" },
      incident.paths.map((p) => h("li", { class: "path", text: p.map((u) => name(u, names)).join(" → ") })),
    ),
    h("div", { class: "muted small", text: `Blast radius: ${incident.affected.length} entities, ${incident.dashboards.length} dashboards` }),
    h("h3", { text: "Timeline" }),
    h(
      "ol",
      { class: "timeline" },
      incident.timeline.map((t) =>
        h("li", { text: `${fmtTime(t.ts_ms / 1000)} · ${t.state}/${t.stage || "–"} · ${t.message} (${ownerName(t.actor)})` }),
      ),
    ),
    actions(incident),
    h("div", { class: "muted small mono", text: incident.urn }),
  );
}

async function load() {
  const state = $("show-resolved").checked ? "" : "?state=ACTIVE";
  const [{ body: incidents }, { body: stats }] = await Promise.all([
    api(`/api/incidents${state}`),
    api("/api/incidents/stats"),
  ]);
  const list = $("incidents");
  if (!incidents.length) {
    replace(list, h("p", { class: "muted empty", text: "No open incidents. `oncall watch` opens them from failing assertion runs." }));
  } else {
    replace(list, incidents.map(card));
  }
  const m = stats.median;
  $("incident-stats").textContent =
    `${stats.active} open of ${stats.count} · median to open ${seconds(m.time_to_open_s)}, ` +
    `to ack ${seconds(m.time_to_ack_s)}, to resolve ${seconds(m.time_to_resolve_s)}`;
}

function busy() {
  // Do not redraw under someone typing a note.
  return document.activeElement && document.activeElement.tagName === "INPUT" && document.activeElement.type === "text";
}

adoptToken();
$("show-resolved").addEventListener("change", () => load().catch(showError));
load().catch(showError);
setInterval(() => {
  if (!busy()) load().catch(showError);
}, REFRESH_MS);
