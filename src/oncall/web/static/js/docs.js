// The API reference, rendered from /openapi.json with no CDN (FastAPI's Swagger page needs one).

import { api } from "./api.js";
import { h, replace } from "./dom.js";

function schemaName(schema) {
  if (!schema) return "";
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.type === "array") return `${schemaName(schema.items)}[]`;
  return schema.type || "";
}

function operation(path, method, op) {
  const params = op.parameters || [];
  const body = op.requestBody?.content?.["application/json"]?.schema;
  return h(
    "section",
    { class: "op" },
    h("h2", {}, h("span", { class: `method ${method}`, text: method.toUpperCase() }), path),
    h("p", { text: op.description || op.summary || "" }),
    params.length
      ? h(
          "p",
          { class: "small" },
          "parameters: ",
          params.map((p) => h("code", { text: `${p.name} (${p.in}${p.required ? ", required" : ""}) ` })),
        )
      : null,
    body ? h("p", { class: "small" }, "body: ", h("code", { text: schemaName(body) })) : null,
    h("p", { class: "small muted", text: `responses: ${Object.keys(op.responses || {}).join(", ")}` }),
  );
}

function schemaBlock(name, schema) {
  const props = Object.entries(schema.properties || {});
  return h(
    "section",
    { class: "op" },
    h("h2", { text: name }),
    schema.description ? h("p", { text: schema.description }) : null,
    h(
      "table",
      {},
      h(
        "tbody",
        {},
        props.map(([prop, s]) =>
          h(
            "tr",
            {},
            h("td", { class: "mono", text: prop }),
            h("td", {
              class: "muted mono",
              text: schemaName(s) || (s.anyOf || []).map(schemaName).join(" | "),
            }),
            h("td", { text: s.description || "" }),
          ),
        ),
      ),
    ),
  );
}

async function main() {
  try {
    const { body: spec } = await api("/openapi.json");
    const ops = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([m, op]) => operation(path, m, op)),
    );
    const schemas = Object.entries(spec.components?.schemas || {}).map(([n, s]) => schemaBlock(n, s));
    replace(
      document.getElementById("docs"),
      h("h1", { text: `${spec.info.title} ${spec.info.version}` }),
      h("p", {
        class: "muted",
        text: "Errors always have the shape {ok: false, error: {status, code, message}}. With a token, send Authorization: Bearer <token>.",
      }),
      ops,
      h("h1", { text: "Schemas" }),
      schemas,
    );
  } catch (err) {
    replace(document.getElementById("alert"), h("p", { text: err.message }));
    document.getElementById("alert").hidden = false;
  }
}

main();
