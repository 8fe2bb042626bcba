// The run history list: newest first; clicking a run replays it.

import { fmtDuration, fmtTime, h, replace } from "./dom.js";

export function renderHistory(list, runs, activeId, onPick) {
  if (!runs.length) {
    replace(list, h("li", { class: "muted empty", text: "No runs yet." }));
    return;
  }
  replace(
    list,
    runs.map((run) =>
      h(
        "li",
        { class: `run-row${run.run_id === activeId ? " active" : ""}`, dataset: { run: run.run_id } },
        h(
          "button",
          {
            type: "button",
            class: "run-pick",
            title: `replay ${run.run_id}`,
            onclick: () => onPick(run.run_id),
          },
          h("span", { class: "run-incident", text: run.incident }),
          h(
            "span",
            { class: "run-meta" },
            h("span", {
              class: `pill verdict-${run.verdict || run.status}`,
              text: run.status === "running" ? "running" : (run.verdict || run.status).replaceAll("_", " "),
            }),
            run.dry_run ? h("span", { class: "pill", text: "dry run" }) : null,
            h("span", { class: "muted", text: ` ${fmtTime(run.started_at)}` }),
            run.duration_ms
              ? h("span", { class: "muted", text: ` · ${fmtDuration(run.duration_ms)}` })
              : null,
          ),
        ),
      ),
    ),
  );
}
