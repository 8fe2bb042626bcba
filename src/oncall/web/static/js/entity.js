// The embedded catalog's entity page: description, the active-incident banner, assertions with their
// latest result, lineage neighbours, owners. All data is set as text.

import { adoptToken, api } from "./api.js";
import { fmtNumber, fmtTime, h, replace } from "./dom.js";
import { highlight } from "./highlight.js";
import { ownerName, setUiUrl } from "./urns.js";

const $ = (id) => document.getElementById(id);
const PRIORITY = ["critical", "high", "medium", "low"];

function banner(incident) {
  const bits = [
    incident.priority !== null && incident.priority !== undefined
      ? `priority ${PRIORITY[incident.priority] || incident.priority}`
      : null,
    incident.stage ? `stage ${incident.stage.toLowerCase()}` : null,
    incident.type === "CUSTOM" && incident.custom_type ? incident.custom_type : incident.type,
    incident.created_ms ? `opened ${fmtTime(incident.created_ms / 1000)}` : null,
  ].filter(Boolean);
  return h(
    "section",
    { class: "incident-banner", role: "alert", dataset: { urn: incident.urn } },
    h("h2", { text: `Active incident: ${incident.title}` }),
    h("div", { class: "muted small", text: bits.join(" · ") }),
    incident.description ? h("p", { text: incident.description }) : null,
  );
}

function neighbours(title, list) {
  return h(
    "section",
    { class: "panel" },
    h("h2", { text: `${title} · ${list.length}` }),
    list.length
      ? h(
          "ul",
          { class: "neighbours" },
          list.map((n) =>
            h(
              "li",
              {},
              h("span", { class: "type-badge", text: `${n.type} ` }),
              h("a", { href: n.href, title: n.urn, class: "urn" }, n.name),
              n.instance ? h("span", { class: "muted small", text: ` ${n.instance}` }) : null,
            ),
          ),
        )
      : h("p", { class: "muted", text: "none" }),
  );
}

function assertionsTable(rows) {
  if (!rows.length) return h("p", { class: "muted", text: "No assertions on this entity." });
  return h(
    "table",
    {},
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["check", "field", "latest result", "observed", "when"].map((t) => h("th", { text: t })),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((a) => {
        const cls = a.result === "SUCCESS" ? "pass" : a.result === "FAILURE" ? "fail" : "warn";
        return h(
          "tr",
          { class: a.result === "FAILURE" ? "status-regression" : "" },
          h("td", { class: "mono", text: a.native_type, title: a.description || "" }),
          h("td", { class: "mono", text: a.field || "" }),
          h(
            "td",
            {},
            a.result
              ? h("span", { class: `pill ${cls}`, text: a.result.toLowerCase() })
              : h("span", { class: "muted", text: "never run" }),
          ),
          h("td", {
            class: "value",
            text: a.actual_value === null || a.actual_value === undefined ? "" : fmtNumber(a.actual_value, 2),
          }),
          h("td", { class: "muted small", text: a.timestamp_ms ? fmtTime(a.timestamp_ms / 1000) : "" }),
        );
      }),
    ),
  );
}

function render(page) {
  const e = page.entity;
  document.title = `${e.name} · datahub-oncall`;
  return [
    h(
      "div",
      { class: "entity-head" },
      h("h1", { text: e.name }),
      h("span", { class: "pill", text: e.subtype || e.type }),
      h("span", { class: "muted", text: `${e.platform}${e.instance ? ` · ${e.instance}` : ""}` }),
      h("div", { class: "entity-urn", text: e.urn }),
    ),
    page.incidents.map(banner),
    h(
      "section",
      { class: "panel" },
      h("h2", { text: "About" }),
      h("p", { class: "description", text: e.description || "No description." }),
      h(
        "div",
        { class: "tags" },
        e.owners.map((o) =>
          h("span", { class: "owner", title: `${o.urn} (${o.type})`, text: ownerName(o.urn) }),
        ),
        e.tags.map((t) => h("span", { class: "pill", title: t, text: `#${ownerName(t)}` })),
      ),
      e.links.length
        ? h(
            "ul",
            {},
            e.links.map((l) =>
              h("li", {}, h("a", { href: l.url, rel: "noopener noreferrer" }, l.label || l.url)),
            ),
          )
        : null,
    ),
    e.type === "dataset"
      ? h(
          "section",
          { class: "panel", id: "assertions" },
          h("h2", { text: `Assertions · ${page.assertions.length}` }),
          assertionsTable(page.assertions),
        )
      : null,
    h(
      "div",
      { class: "grid-2" },
      neighbours("Upstream", page.upstream),
      neighbours("Downstream", page.downstream),
    ),
    e.fields.length
      ? h(
          "section",
          { class: "panel" },
          h("h2", { text: `Columns · ${e.fields.length}` }),
          h(
            "table",
            {},
            h(
              "tbody",
              {},
              e.fields.map((f) =>
                h(
                  "tr",
                  {},
                  h("td", { class: "mono", text: f.path }),
                  h("td", { class: "muted mono", text: f.native_type || "" }),
                  h("td", { text: f.description || "" }),
                ),
              ),
            ),
          ),
        )
      : null,
    e.view_logic
      ? h(
          "section",
          { class: "panel" },
          h("h2", { text: "View definition" }),
          h("pre", { class: "code" }, highlight(e.view_logic, "sql")),
        )
      : null,
  ];
}

async function main() {
  adoptToken();
  const urn = new URL(window.location.href).searchParams.get("urn");
  if (!urn) {
    replace($("entity"), h("p", { class: "muted", text: "No entity given: open /entity?urn=..." }));
    return;
  }
  try {
    const { body: info } = await api("/api/info");
    setUiUrl(info.datahub_ui_url);
    const { body } = await api(`/api/entities/${encodeURIComponent(urn)}`);
    replace($("entity"), render(body));
  } catch (err) {
    $("alert").hidden = false;
    replace($("alert"), h("p", { text: err.message }));
  }
  document.body.dataset.ready = "true";
}

main();
