"""Run a plan of dbt commands and SQL statements in ONE process (run as a script by `build.py`).

dbt's import and project parse cost seconds of CPU each time; one process pays them once for the
whole build (later commands reuse the parse through dbt's partial parsing). This file is executed
by path with `python _driver.py PLAN.json`, so it imports nothing from oncall: only dbt and duckdb.

The plan is JSON: `{"project": dir, "warehouse": file, "steps": [step, ...], "out": file}` where a
step is `{"dbt": [args...], "keep": dir, "files": [names]}` (run dbt, then copy these target/ files
into `keep`) or `{"sql": [statements]}` (run them on the warehouse). Results go to `out` as JSON.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any


def _dbt(project: Path, step: dict[str, Any]) -> dict[str, Any]:
    from dbt.cli.main import dbtRunner

    args = [*step["dbt"], "--project-dir", str(project), "--profiles-dir", str(project)]
    result = dbtRunner().invoke(args)
    keep = Path(step["keep"])
    keep.mkdir(parents=True, exist_ok=True)
    for name in step.get("files", []):
        shutil.copy2(project / "target" / name, keep / name)
    error = repr(result.exception) if result.exception is not None else None
    return {"dbt": step["dbt"], "success": bool(result.success), "error": error}


def _sql(warehouse: str, step: dict[str, Any]) -> dict[str, Any]:
    import duckdb

    touched = []
    con = duckdb.connect(warehouse)
    try:
        for statement in step["sql"]:
            row = con.execute(statement).fetchone()
            touched.append(int(row[0]) if row else 0)
    finally:
        con.close()
    return {"sql": len(step["sql"]), "touched": touched}


def main(plan_path: str) -> int:
    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    project = Path(plan["project"])
    results = []
    for step in plan["steps"]:
        results.append(_dbt(project, step) if "dbt" in step else _sql(plan["warehouse"], step))
        Path(plan["out"]).write_text(json.dumps(results), encoding="utf-8")
        if results[-1].get("error"):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
