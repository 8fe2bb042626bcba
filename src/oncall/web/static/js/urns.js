// Reading DataHub URNs for display, and where entity links go.

let uiUrl = null;

/** Entity links go to the DataHub UI when the server has one configured, else to our entity page. */
export function setUiUrl(url) {
  uiUrl = url ? String(url).replace(/\/+$/, "") : null;
}

export function entityType(urn) {
  const m = /^urn:li:([A-Za-z]+):/.exec(urn || "");
  return m ? m[1] : "entity";
}

/** "customers" for a dataset URN, the id for charts and dashboards, the tail for anything else. */
export function shortName(urn) {
  const inner = /\((.*)\)$/.exec(urn || "");
  if (!inner)
    return String(urn || "")
      .split(":")
      .pop();
  const parts = inner[1].split(",");
  const key = entityType(urn) === "dataset" ? parts[1] || parts[0] : parts[parts.length - 1];
  return key.split(".").pop();
}

export function entityHref(urn) {
  if (uiUrl) return `${uiUrl}/${entityType(urn)}/${encodeURIComponent(urn)}`;
  return `/entity?urn=${encodeURIComponent(urn)}`;
}

/** "analytics" for urn:li:corpGroup:analytics. */
export function ownerName(urn) {
  return String(urn || "")
    .split(":")
    .pop();
}
