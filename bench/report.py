"""The table on stdout and the JSON files under bench/results/."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from typing import Any, Optional, Sequence

from bench.common import Row

COLUMNS = ("section", "case", "seconds", "MB/s", "ratio", "target", "result", "peak RSS", "notes")


def _number(value: Optional[float], digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _cells(row: Row) -> tuple[str, ...]:
    rss = "" if row.peak_rss_kib is None else f"{row.peak_rss_kib / 1024:.0f} MiB"
    return (row.section, row.case, _number(row.seconds, 2), _number(row.mb_per_s, 1), row.ratio or "",
            row.target or "", row.result, rss, row.notes)


def render_table(rows: Sequence[Row]) -> str:
    cells = [COLUMNS] + [_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS) - 1)]
    numeric = {2, 3}  # right-aligned

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if i in numeric else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths))]
        return "  ".join(parts + [values[-1]]).rstrip()

    out = [line(cells[0]), "  ".join("-" * w for w in widths) + "  -----"]
    previous = None
    for row, values in zip(rows, cells[1:]):
        if previous is not None and row.section != previous:
            out.append("")
        out.append(line(values))
        previous = row.section
    details = [d for row in rows for d in row.details]
    errors = [f"{row.section}: {row.case}: {row.error}" for row in rows if row.error]
    if details:
        out += ["", *details]
    if errors:
        out += ["", "errors:", *errors]
    return "\n".join(out)


def write_json(results_dir: str, stamp: str, document: dict[str, Any]) -> str:
    os.makedirs(results_dir, exist_ok=True)
    path = os.path.join(results_dir, f"{stamp}.json")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
    shutil.copyfile(path, os.path.join(results_dir, "latest.json.tmp"))
    os.replace(os.path.join(results_dir, "latest.json.tmp"), os.path.join(results_dir, "latest.json"))
    return path


def rows_json(rows: Sequence[Row]) -> list[dict[str, Any]]:
    return [{**dataclasses.asdict(row), "result": row.result} for row in rows]
