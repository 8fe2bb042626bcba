// A small highlighter for the GraphQL and SQL the agents ran. Tokens become <span class="tok-*">
// elements whose text is set with textContent, so a query can never inject markup.

const SQL_KEYWORDS = new Set(
  `select from where and or not in is null as on join left right inner outer full cross group by order
   having limit offset union all distinct case when then else end exists between like glob insert into
   values update set delete create table view index with asc desc count sum avg min max coalesce cast
   over partition true false`.split(/\s+/),
);
const GRAPHQL_KEYWORDS = new Set([
  "query",
  "mutation",
  "subscription",
  "fragment",
  "on",
  "true",
  "false",
  "null",
]);

// One alternation per language; the first matching group names the token type.
const RULES = {
  sql: [
    ["comment", /--[^\n]*|\/\*[\s\S]*?\*\//y],
    ["string", /'(?:[^']|'')*'/y],
    ["ident", /"(?:[^"]|"")*"|`[^`]*`/y],
    ["number", /\b\d+(?:\.\d+)?\b/y],
    ["variable", /\?|:[A-Za-z_]\w*|%\([A-Za-z_]\w*\)s/y],
    ["word", /[A-Za-z_][\w$]*/y],
    ["punct", /[(),;.*=<>!+\-/|%]+/y],
    ["space", /\s+/y],
  ],
  graphql: [
    ["comment", /#[^\n]*/y],
    ["string", /"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"/y],
    ["number", /-?\b\d+(?:\.\d+)?\b/y],
    ["variable", /\$[A-Za-z_]\w*/y],
    ["directive", /@[A-Za-z_]\w*/y],
    ["word", /[A-Za-z_]\w*/y],
    ["punct", /[{}()[\]:!=,|&.]+/y],
    ["space", /\s+/y],
  ],
};

function classify(language, text) {
  if (language === "sql") return SQL_KEYWORDS.has(text.toLowerCase()) ? "keyword" : "name";
  if (GRAPHQL_KEYWORDS.has(text)) return "keyword";
  return /^[A-Z]/.test(text) ? "type" : "name";
}

/** Split `code` into [{type, text}] tokens; unknown characters become "plain" tokens. */
export function tokenize(code, language) {
  const rules = RULES[language === "graphql" ? "graphql" : "sql"];
  const tokens = [];
  let pos = 0;
  while (pos < code.length) {
    let matched = false;
    for (const [type, re] of rules) {
      re.lastIndex = pos;
      const m = re.exec(code);
      if (m && m[0].length) {
        tokens.push({ type: type === "word" ? classify(language, m[0]) : type, text: m[0] });
        pos += m[0].length;
        matched = true;
        break;
      }
    }
    if (!matched) {
      tokens.push({ type: "plain", text: code[pos] });
      pos += 1;
    }
  }
  return tokens;
}

/** A <code> element with the highlighted query. */
export function highlight(code, language) {
  const el = document.createElement("code");
  el.className = `lang-${language}`;
  for (const token of tokenize(String(code ?? ""), language)) {
    if (token.type === "space" || token.type === "plain" || token.type === "name") {
      el.append(document.createTextNode(token.text));
    } else {
      const span = document.createElement("span");
      span.className = `tok-${token.type}`;
      span.textContent = token.text;
      el.append(span);
    }
  }
  return el;
}
