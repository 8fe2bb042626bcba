// What a finished run found: verdict, root-cause cards with their lineage chains, the assertion diff,
// the blast radius with owners, the writes, and the postmortem (HTML rendered and sanitised by the server,
// re-built here from an allow-list of tags so no attribute or script from it can run).

import { fmtNumber, h, replace } from "./dom.js";
import { entityHref, entityType, ownerName, shortName } from "./urns.js";

const VERDICTS = {
  root_cause_found: ["Root cause found", "bad"],
  no_regression: ["No regression upstream", "ok"],
  no_symptom: ["No matching entity", "warn"],
  failed: ["Run failed", "bad"],
};

function names(result) {
  const map = new Map(Object.entries(result.names || {}));
  if (result.symptom) map.set(result.symptom.urn, result.symptom.name);
  for (const b of result.blast_radius || []) if (b.name) map.set(b.urn, b.name);
  return map;
}

function link(urn, label, cls = "urn") {
  return h("a", { class: cls, href: entityHref(urn), title: urn }, label || shortName(urn));
}

function side(s) {
  if (!s || !s.result) return h("span", { class: "muted", text: "no run" });
  const cls = s.result === "SUCCESS" ? "pass" : s.result === "FAILURE" ? "fail" : "warn";
  return h(
    "span",
    { class: "side" },
    h("span", { class: `pill ${cls}`, text: s.result === "SUCCESS" ? "pass" : s.result.toLowerCase() }),
    s.value !== null && s.value !== undefined
      ? h("span", { class: "value", text: ` ${fmtNumber(s.value, 2)}` })
      : null,
  );
}

function section(id, title, ...body) {
  return h("section", { class: "panel", id }, h("h2", { text: title }), body);
}

function chain(path, nameMap) {
  const nodes = [];
  path.forEach((urn, i) => {
    if (i) nodes.push(h("span", { class: "chain-arrow", "aria-hidden": "true", text: "→" }));
    nodes.push(
      h(
        "a",
        { class: `chain-node type-${entityType(urn)}`, href: entityHref(urn), title: urn },
        h("span", { class: "chain-type", text: entityType(urn) }),
        h("span", { class: "chain-name", text: nameMap.get(urn) || shortName(urn) }),
      ),
    );
  });
  return h("div", { class: "chain", role: "list" }, nodes);
}

/** What a regression was shown against: the clean twin, or the check's own last passing run. */
function againstText(kind) {
  return kind === "history" ? "vs its own last passing run" : "vs the clean twin";
}

function checksTable(entries) {
  return h(
    "table",
    { class: "checks" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { text: "failing check" }),
        h("th", { text: "baseline" }),
        h("th", { text: "production" }),
      ),
    ),
    h(
      "tbody",
      {},
      entries.map((d) =>
        h(
          "tr",
          {},
          h("td", { class: "mono", text: d.native_type, title: d.description || "" }),
          h("td", {}, side(d.baseline)),
          h("td", {}, side(d.production)),
        ),
      ),
    ),
  );
}

function rootCauseCard(rc, nameMap) {
  const failing = (rc.assertions || []).filter(
    (a) => a.status === "regression" || a.production?.result === "FAILURE",
  );
  return h(
    "article",
    { class: "cause-card", dataset: { urn: rc.dataset_urn } },
    h(
      "header",
      {},
      h("span", { class: "cause-kind", text: rc.origin ? "origin" : "root cause" }),
      link(rc.dataset_urn, nameMap.get(rc.dataset_urn) || shortName(rc.dataset_urn), "cause-name"),
      h("span", { class: "confidence", text: `${Math.round((rc.confidence || 0) * 100)}% confidence` }),
      h("span", { class: "muted small", text: ` ${againstText(rc.baseline_kind)}` }),
    ),
    h("p", {
      class: "muted small",
      text:
        rc.via === "foreign_key"
          ? "enters the closure through a failing foreign-key check"
          : "lineage path from the symptom",
    }),
    chain(rc.lineage_path || [], nameMap),
    failing.length ? checksTable(failing) : h("p", { class: "muted", text: "no failing check recorded" }),
  );
}

function diffTable(diff) {
  const order = { regression: 0, "pre-existing": 1, recovered: 2, unchanged: 3 };
  const rows = [...diff].sort(
    (a, b) =>
      (order[a.status] ?? 9) - (order[b.status] ?? 9) ||
      shortName(a.dataset_urn).localeCompare(shortName(b.dataset_urn)),
  );
  return h(
    "table",
    { class: "diff" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["status", "dataset", "check", "by", "against", "baseline", "production"].map((t) =>
          h("th", { text: t }),
        ),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((d) =>
        h(
          "tr",
          { class: `status-${d.status}` },
          h("td", {}, h("span", { class: `pill status ${d.status}`, text: d.status })),
          h("td", {}, link(d.dataset_urn)),
          h("td", { class: "mono", text: d.native_type, title: d.description || "" }),
          h("td", { class: "muted small", text: d.run_by || "-" }),
          h("td", { class: "muted small", text: d.baseline_kind === "history" ? "history" : "twin" }),
          h("td", {}, side(d.baseline)),
          h("td", {}, side(d.production)),
        ),
      ),
    ),
  );
}

function blastTable(entries, nameMap) {
  return h(
    "table",
    { class: "blast" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["affected", "type", "owners", "reached from"].map((t) => h("th", { text: t })),
      ),
    ),
    h(
      "tbody",
      {},
      entries.map((b) =>
        h(
          "tr",
          {},
          h("td", {}, link(b.urn, b.name || nameMap.get(b.urn))),
          h("td", {}, h("span", { class: `type-badge type-${b.type}`, text: b.type })),
          h(
            "td",
            {},
            (b.owners || []).length
              ? b.owners.map((o) => h("span", { class: "owner", title: o, text: ownerName(o) }))
              : h("span", { class: "muted", text: "no owner" }),
          ),
          h(
            "td",
            {},
            (b.origins || []).map((o) => link(o)),
          ),
        ),
      ),
    ),
  );
}

function writesTable(writes) {
  return h(
    "table",
    { class: "writes" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["action", "aspect", "entity", "verified", "detail"].map((t) => h("th", { text: t })),
      ),
    ),
    h(
      "tbody",
      {},
      writes.map((w) =>
        h(
          "tr",
          {},
          h("td", {}, h("span", { class: `pill action-${w.action}`, text: w.action })),
          h("td", { class: "mono", text: w.aspect }),
          h("td", {}, link(w.urn)),
          h("td", { class: w.verified ? "ok" : "muted", text: w.verified ? "✓ read back" : "–" }),
          h("td", { class: "muted", text: w.detail || "" }),
        ),
      ),
    ),
  );
}

// --- the postmortem: allow-listed rebuild of the server's HTML -------------------------------------

const ALLOWED = new Set([
  "H1",
  "H2",
  "H3",
  "H4",
  "H5",
  "H6",
  "P",
  "UL",
  "OL",
  "LI",
  "STRONG",
  "EM",
  "CODE",
  "PRE",
  "BLOCKQUOTE",
  "HR",
  "BR",
  "TABLE",
  "THEAD",
  "TBODY",
  "TR",
  "TH",
  "TD",
  "A",
  "DEL",
]);

function rebuild(node) {
  if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(node.textContent);
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const children = [...node.childNodes].map(rebuild).filter(Boolean);
  if (!ALLOWED.has(node.tagName)) return children.length ? h("span", {}, children) : null;
  const attrs = node.tagName === "A" ? { href: node.getAttribute("href"), rel: "noopener noreferrer" } : {};
  return h(node.tagName.toLowerCase(), attrs, children);
}

/** DOM nodes for server-rendered postmortem HTML (parsed inert, rebuilt from allowed tags only). */
export function postmortemNodes(html) {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  return [...doc.body.childNodes].map(rebuild).filter(Boolean);
}

// --- the whole results area --------------------------------------------------------------------------

export function renderVerdict(el, result) {
  const [label, tone] = VERDICTS[result.verdict] || [result.verdict, "warn"];
  el.dataset.tone = tone;
  replace(
    el,
    h("span", { class: `verdict-badge ${tone}`, text: label }),
    result.symptom
      ? h(
          "span",
          { class: "symptom" },
          "symptom: ",
          link(result.symptom.urn, result.symptom.name),
          h("span", { class: "muted", text: ` (${result.symptom.type})` }),
        )
      : null,
    result.summary ? h("p", { class: "summary", text: result.summary }) : null,
    (result.degraded || []).length
      ? h("p", { class: "degraded" }, h("strong", { text: "fell back: " }), result.degraded.join("; "))
      : null,
  );
}

export function renderResults(root, result, postmortemHtml) {
  const nameMap = names(result);
  const origins = (result.root_causes || []).filter((rc) => rc.origin);
  const others = (result.root_causes || []).filter((rc) => !rc.origin);
  const diff = result.diff || [];
  const regressions = diff.filter((d) => d.status === "regression").length;
  const changed = diff.filter((d) => d.status !== "unchanged");
  const unchanged = diff.filter((d) => d.status === "unchanged");
  replace(
    root,
    section(
      "causes",
      `Root causes · ${origins.length} origin${origins.length === 1 ? "" : "s"}`,
      origins.length
        ? h(
            "div",
            { class: "cause-grid" },
            origins.map((rc) => rootCauseCard(rc, nameMap)),
          )
        : h("p", { class: "muted", text: "No origin: nothing upstream of the symptom regressed." }),
      others.length
        ? h(
            "details",
            { class: "others" },
            h("summary", { text: `${others.length} more root cause(s) explained by an origin` }),
            h(
              "div",
              { class: "cause-grid" },
              others.map((rc) => rootCauseCard(rc, nameMap)),
            ),
          )
        : null,
      (result.elsewhere || []).length
        ? h(
            "p",
            { class: "muted" },
            `Also failing elsewhere (not causes): `,
            result.elsewhere.map((d) =>
              h("span", { class: "elsewhere" }, link(d.dataset_urn), ` ${d.native_type} `),
            ),
          )
        : null,
    ),
    section(
      "diff",
      `Assertion diff · ${regressions} regression${regressions === 1 ? "" : "s"} in ${diff.length} checks`,
      changed.length
        ? diffTable(changed)
        : h("p", {
            class: "muted",
            text: diff.length ? "Every check agrees with the baseline." : "No assertions in scope.",
          }),
      unchanged.length
        ? h(
            "details",
            { class: "unchanged" },
            h("summary", { text: `${unchanged.length} unchanged check${unchanged.length === 1 ? "" : "s"}` }),
            diffTable(unchanged),
          )
        : null,
    ),
    section(
      "blast",
      `Blast radius · ${(result.blast_radius || []).length} affected`,
      (result.blast_radius || []).length
        ? blastTable(result.blast_radius, nameMap)
        : h("p", { class: "muted", text: "Nothing downstream." }),
    ),
    section(
      "writes",
      `Writes to DataHub${result.dry_run ? " · dry run, nothing written" : ""}`,
      (result.writes || []).length
        ? writesTable(result.writes)
        : h("p", { class: "muted", text: "No writes." }),
      result.slack_message
        ? h(
            "details",
            {},
            h("summary", { text: "Slack message (draft)" }),
            h("pre", { class: "plain", text: result.slack_message }),
          )
        : null,
      result.quarantine_snippet
        ? h(
            "details",
            {},
            h("summary", { text: "Quarantine call (SDK)" }),
            h("pre", { class: "plain", text: result.quarantine_snippet }),
          )
        : null,
    ),
    section(
      "postmortem",
      "Postmortem",
      h(
        "article",
        { class: "markdown" },
        postmortemHtml ? postmortemNodes(postmortemHtml) : h("p", { class: "muted", text: "No postmortem." }),
      ),
    ),
  );
}
