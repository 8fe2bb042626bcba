// The four agent panes. Each event is upserted by a stable key (run id + seq, or the id the agent
// gave a streamed message), so a replay or a resumed stream never duplicates anything.

import { h, replace, upsert } from "./dom.js";
import { highlight } from "./highlight.js";
import { entityHref, shortName } from "./urns.js";

export const ROLES = [
  ["coordinator", "Coordinator", "plans, joins, writes the postmortem"],
  ["detective", "Detective", "finds the entity and its lineage"],
  ["reality_checker", "Reality-Checker", "diffs assertions: baseline vs production"],
  ["fixer", "Fixer", "writes incidents back to DataHub"],
];

const STATUS_LABEL = { idle: "idle", running: "working", done: "done", error: "error" };

export class Lanes {
  constructor(root) {
    this.root = root;
    this.lanes = new Map();
    for (const [role, title, blurb] of ROLES) this.lanes.set(role, this.#build(role, title, blurb));
  }

  #build(role, title, blurb) {
    const light = h("span", { class: "light", "aria-hidden": "true" });
    const status = h("span", { class: "status-text", text: STATUS_LABEL.idle });
    const model = h("span", { class: "model", text: "" });
    const log = h("ol", { class: "lane-log", "aria-live": "polite" });
    const lane = h(
      "section",
      { class: `lane lane-${role}`, id: `lane-${role}`, dataset: { role, status: "idle" } },
      h("header", { class: "lane-head" }, light, h("h2", { text: title }), status, model),
      h("p", { class: "lane-blurb", text: blurb }),
      log,
    );
    this.root.append(lane);
    return { lane, light, status, model, log, count: 0, lastThinking: null, lastCall: null };
  }

  reset() {
    for (const entry of this.lanes.values()) {
      replace(entry.log);
      entry.count = 0;
      entry.lastThinking = null;
      entry.lastCall = null;
      this.setStatus(entry, "idle");
    }
  }

  setModels(models) {
    for (const [role, entry] of this.lanes) {
      const name = models?.[role];
      entry.model.textContent = name ? name : "offline";
      entry.model.title = name ? `model: ${name}` : "no model: the deterministic procedure decides";
    }
  }

  setStatus(entry, status) {
    entry.lane.dataset.status = status;
    entry.status.textContent = STATUS_LABEL[status] || status;
  }

  /** Apply one event to its lane; system events are ignored here. */
  apply(event) {
    const entry = this.lanes.get(event.agent);
    if (!entry) return;
    if (typeof event.data?.model === "string" && event.data.model) entry.model.textContent = event.data.model;
    const kind = event.kind;
    if (kind === "agent_started") this.setStatus(entry, "running");
    if (kind === "agent_finished")
      this.setStatus(entry, entry.lane.dataset.status === "error" ? "error" : "done");
    if (kind === "error") this.setStatus(entry, "error");
    if (kind !== "thinking") entry.lastThinking = null;
    const render = RENDER[kind] || renderGeneric;
    render.call(this, entry, event);
    entry.count += 1;
    entry.log.scrollTop = entry.log.scrollHeight;
  }

  /** Mark every lane that never finished (run ended early) as done or idle. */
  finish() {
    for (const entry of this.lanes.values()) {
      if (entry.lane.dataset.status === "running") this.setStatus(entry, "done");
    }
  }
}

function key(event, suffix = "") {
  return `${event.run_id}:${event.seq}${suffix}`;
}

function item(entry, event, cls, ...children) {
  const el = upsert(entry.log, key(event), () => h("li", { class: `item ${cls}` }));
  replace(el, ...children);
  return el;
}

function textOf(data) {
  for (const name of ["text", "delta", "content", "message", "summary", "title"]) {
    if (typeof data?.[name] === "string" && data[name]) return data[name];
  }
  return "";
}

function compact(value, limit = 400) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text && text.length > limit ? `${text.slice(0, limit)}…` : text || "";
}

function urnLink(urn, label) {
  return h("a", { class: "urn", href: entityHref(urn), title: urn }, label || shortName(urn));
}

/** Queries in a tool_call: data.queries[] ({language, text, variables}) or a single data.query. */
function queriesOf(data) {
  if (Array.isArray(data?.queries)) return data.queries;
  if (data?.query)
    return [
      typeof data.query === "string" ? { language: data.language || "sql", text: data.query } : data.query,
    ];
  return [];
}

function queryBlock(query) {
  const language = query.language === "graphql" ? "graphql" : "sql";
  const vars = query.variables && Object.keys(query.variables).length ? compact(query.variables, 300) : null;
  return h(
    "div",
    { class: "query" },
    h("span", { class: `lang-badge lang-${language}`, text: language === "graphql" ? "GraphQL" : "SQL" }),
    h("pre", {}, highlight(query.text || "", language)),
    vars ? h("div", { class: "vars" }, h("span", { class: "muted", text: "variables " }), vars) : null,
  );
}

/** "key value · key value" for small flat objects (agent_started / agent_finished data). */
function facts(data, skip = []) {
  return Object.entries(data || {})
    .filter(([k, v]) => !skip.includes(k) && v !== null && v !== undefined && typeof v !== "object")
    .map(
      ([k, v]) =>
        `${k.replaceAll("_", " ")} ${typeof v === "string" && v.startsWith("urn:li:") ? shortName(v) : v}`,
    )
    .join(" · ");
}

function miniChain(path) {
  return h(
    "span",
    { class: "mini-chain" },
    (path || []).map((urn, i) => [i ? h("span", { class: "muted", text: " → " }) : null, urnLink(urn)]),
  );
}

/** One finding; the agents' shapes (symptom, scope, root cause, regressions, incident) get their own line. */
function findingBody(d) {
  if (d.symptom) {
    return [
      h("strong", { text: "symptom " }),
      urnLink(d.symptom, d.name),
      d.type ? h("span", { class: "muted", text: ` ${d.type}` }) : null,
      (d.reasons || []).length
        ? h("div", { class: "muted small", text: d.reasons.slice(0, 3).join("; ") })
        : null,
    ];
  }
  if (Array.isArray(d.scope))
    return [
      h("strong", { text: "scope " }),
      `${d.scope.length} entities upstream`,
      d.hops ? `, ${d.hops} hops` : "",
    ];
  if (d.root_cause) {
    return [
      h("strong", { text: d.origin ? "origin " : "root cause " }),
      urnLink(d.root_cause),
      h("span", {
        class: "muted",
        text: ` ${Math.round((d.confidence || 0) * 100)}% · ${(d.assertions || []).join(", ")}`,
      }),
      h("div", { class: "small" }, miniChain(d.path)),
    ];
  }
  if (Array.isArray(d.regressions)) {
    return [
      h("strong", { text: `${d.regressions.length} regression${d.regressions.length === 1 ? "" : "s"} ` }),
      h("span", {
        class: "muted",
        text: `in ${d.assertions ?? "?"} assertions over ${d.asserted ?? "?"} datasets with a failing latest run`,
      }),
      h(
        "ul",
        { class: "finding-list" },
        d.regressions
          .slice(0, 8)
          .map((r) =>
            h(
              "li",
              {},
              urnLink(r.dataset),
              h("span", { class: "mono small", text: ` ${r.assertion || r.native_type || ""}` }),
            ),
          ),
      ),
    ];
  }
  if (Array.isArray(d.elsewhere)) {
    return [
      h("strong", { text: "also failing elsewhere " }),
      d.elsewhere.map((e) => h("span", {}, urnLink(e.dataset), ` ${e.assertion} `)),
    ];
  }
  if (d.incident && typeof d.incident === "object") {
    const inc = d.incident;
    return [
      h("strong", { text: d.dry_run ? "incident (draft) " : "incident " }),
      h("span", { text: inc.title || "" }),
      h(
        "div",
        { class: "muted small" },
        `priority ${inc.priority ?? "?"} · ${(inc.entities || []).length} entities · on `,
        urnLink(inc.origin),
      ),
    ];
  }
  const urns = [d.urn, ...(Array.isArray(d.urns) ? d.urns : [])].filter(
    (u) => typeof u === "string" && u.startsWith("urn:li:"),
  );
  return [
    d.title ? h("strong", { text: `${d.title} ` }) : null,
    h("span", { text: textOf({ ...d, title: undefined }) || compact(d, 300) }),
    urns.length
      ? h(
          "div",
          { class: "finding-urns" },
          urns.slice(0, 6).map((u) => urnLink(u)),
        )
      : null,
  ];
}

function usageLine(d) {
  const u = d.usage;
  const parts = [`${u.tokens_in ?? 0} in / ${u.tokens_out ?? 0} out tokens`];
  if (u.cost_usd) parts.push(`$${Number(u.cost_usd).toFixed(4)}`);
  if (u.elapsed_ms !== undefined) parts.push(`${Math.round(u.elapsed_ms)} ms`);
  return [
    h("span", { class: "model-name", text: `${d.model || d.role || "model"} ` }),
    h("span", { class: "muted", text: parts.join(" · ") }),
    u.error ? h("div", { class: "warn small", text: u.error }) : null,
  ];
}

function messageBody(d) {
  if (d.usage && typeof d.usage === "object") return usageLine(d);
  if (Array.isArray(d.plan))
    return [
      h("strong", { text: "plan" }),
      d.decided_by ? h("span", { class: "muted small", text: ` · ${d.decided_by}` }) : null,
      h(
        "ol",
        { class: "plan" },
        d.plan.map((step) => h("li", { text: step })),
      ),
    ];
  if (typeof d.narrative === "string")
    return [
      h("span", { text: d.narrative }),
      d.decided_by ? h("span", { class: "muted small", text: ` (${d.decided_by})` }) : null,
    ];
  if (d.slack && typeof d.slack === "object")
    return [
      h("span", {
        text: `slack: ${d.slack.ok ? "posted" : `not posted (${d.slack.error || d.slack.status || "no webhook"})`}`,
      }),
    ];
  return [textOf(d) || compact(d, 400)];
}

const RENDER = {
  agent_started(entry, event) {
    const task = event.data?.task;
    item(entry, event, "milestone", h("span", { text: task ? `started · ${task}` : "started" }));
  },
  agent_finished(entry, event) {
    const detail = facts(event.data);
    item(entry, event, "milestone", h("span", { text: detail ? `finished · ${detail}` : "finished" }));
  },
  thinking(entry, event) {
    // Streamed reasoning arrives in many small events: grow one block per uninterrupted stream.
    const chunk = textOf(event.data);
    const streamId = event.data?.id || event.data?.stream_id;
    const streamKey = streamId ? `${event.run_id}:${event.agent}:${streamId}` : null;
    let block = streamKey
      ? entry.log.querySelector(`[data-stream="${CSS.escape(streamKey)}"]`)
      : entry.lastThinking;
    if (block && Number(block.dataset.lastSeq || 0) >= event.seq) return; // already shown (replay)
    if (!block) {
      block = item(entry, event, "thinking", h("span", { class: "thinking-text" }));
      if (streamKey) block.dataset.stream = streamKey;
    }
    // Pieces of one stream are consecutive slices of the model's text: join them as they are.
    block.querySelector(".thinking-text").textContent += chunk;
    block.dataset.lastSeq = String(event.seq);
    entry.lastThinking = block;
  },
  tool_call(entry, event) {
    const d = event.data || {};
    const args = d.args ?? d.arguments;
    const shownArgs = Array.isArray(args) && !args.length ? null : args;
    const el = item(
      entry,
      event,
      "tool-call",
      h(
        "div",
        { class: "tool-head" },
        h("span", { class: "arrow", text: "→" }),
        h("span", { class: "tool-name", text: d.tool || d.name || "tool" }),
        shownArgs !== undefined && shownArgs !== null
          ? h("span", { class: "tool-args", title: compact(shownArgs, 2000), text: compact(shownArgs, 160) })
          : null,
        d.ms !== undefined ? h("span", { class: "ms", text: `${Math.round(d.ms)} ms` }) : null,
      ),
      queriesOf(d).map(queryBlock),
      h("div", { class: "tool-result" }),
    );
    el.dataset.tool = `${event.run_id}:${event.agent}:${d.tool || d.name}`;
    entry.lastCall = el;
  },
  tool_result(entry, event) {
    const d = event.data || {};
    const items = Array.isArray(d.items) ? d.items : [];
    const line = h(
      "div",
      { class: "result-line" },
      h("span", { class: "arrow", text: "← " }),
      d.ok === false ? h("span", { class: "warn", text: `✖ ${compact(d.error ?? "failed", 300)}` }) : null,
      d.ok === false
        ? null
        : d.count !== undefined
          ? `${d.count} result${d.count === 1 ? "" : "s"}`
          : textOf(d) || compact(d.value ?? d.result ?? d, 300),
      items.length
        ? h(
            "span",
            { class: "result-items" },
            ": ",
            items
              .slice(0, 6)
              .map((v, i) => [
                i ? ", " : "",
                typeof v === "string" && v.startsWith("urn:li:") ? urnLink(v) : compact(v, 80),
              ]),
            items.length < (d.count || 0) ? " …" : "",
          )
        : null,
    );
    // A result follows its call: attach it there (same agent, same tool) so the pair reads as one.
    const call = entry.lastCall;
    if (call && call.dataset.tool === `${event.run_id}:${event.agent}:${d.tool || d.name}`) {
      replace(call.querySelector(".tool-result"), line);
      entry.lastCall = null;
      return;
    }
    item(entry, event, "tool-result", line);
  },
  finding(entry, event) {
    item(
      entry,
      event,
      "finding",
      h("span", { class: "finding-mark", text: "◆ " }),
      findingBody(event.data || {}),
    );
  },
  write(entry, event) {
    const d = event.data || {};
    item(
      entry,
      event,
      "write",
      h("span", { class: "write-mark", text: "✎ " }),
      h("span", { class: "action", text: `${d.action || "write"} ` }),
      h("span", { class: "aspect", text: `${d.aspect || ""} ` }),
      d.urn ? urnLink(d.urn) : null,
      d.verified === true
        ? h("span", { class: "ok", text: " ✓ verified" })
        : d.verified === false
          ? h("span", { class: "warn", text: " unverified" })
          : null,
    );
  },
  message(entry, event) {
    item(entry, event, "message", messageBody(event.data || {}));
  },
  error(entry, event) {
    const d = event.data || {};
    item(
      entry,
      event,
      "error",
      h("span", { class: "error-mark", text: "✖ " }),
      d.step || d.tool ? h("strong", { text: `${d.step || d.tool}: ` }) : null,
      textOf(d) || compact(d, 400),
      d.fallback ? h("span", { class: "muted", text: ` → ${d.fallback}` }) : null,
    );
  },
};

function renderGeneric(entry, event) {
  item(
    entry,
    event,
    "message",
    h("span", { class: "muted", text: `${event.kind} ` }),
    textOf(event.data) || compact(event.data, 300),
  );
}
