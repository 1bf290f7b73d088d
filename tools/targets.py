"""Issue 22's targets, measured on the published records: for each record of the protocol a target is set on, every
method's mean at that label fraction, the gap to the target and whether it is met. DISCUSSION.md and the issue notes
quote these lines, so each such number has the command that made it.

    usage: python tools/targets.py [RECORD ...]   (default: every record in results/ with a results.json)

Means are over label-subset seeds, test split, as in RESULTS.md; a target set on a mean of n >= 3 is not met by fewer
seeds. Steps without provenance are used only for a record that has no other (its lines say so), as in the report.
"""
import json
import sys
from pathlib import Path

from semisuper.cli import load_quietly

load_quietly()  # before the report's imports load TensorFlow: no start-up log lines among the printed ones
from semisuper.methods import METHODS  # noqa: E402
from semisuper.report import by_provenance, summarize  # noqa: E402
from semisuper.runs import published_rows  # noqa: E402

SIMCLRV2_FAMILY = ("finetune", "distill", "fixmatch_stage1", "fixmatch_stage1_distill")  # SimCLR-pretrained, then tuned
SEMI_SUPERVISED = tuple(m.name for m in METHODS.values() if not m.pretraining and m.name != "baseline")


def protocol(record: Path) -> str:
    return json.loads((record / "config.json").read_text())["protocol"]


def usable(record: Path) -> tuple[list[dict], str]:
    "A record's traced steps, or its untraced ones when it has no other (then said in the returned note)."
    traced, untraced = by_provenance(published_rows(record))
    return (traced, "") if traced else (untraced, " (steps without provenance)")


def official(record: Path, percent: int, accuracy: float, auroc: float | None) -> list[str]:
    rows, note = usable(record)
    acc, roc = summarize(rows), summarize([r for r in rows if r.get("auroc") is not None], "auroc")
    goal = f"accuracy >= {accuracy}" + (f" and AUROC >= {auroc}" if auroc else "")
    lines = [f"{record.name}{note}, {percent} %, {goal} on a mean of n >= 3:"]
    found = sorted(((acc[s, percent], roc.get((s, percent)), s) for s in SEMI_SUPERVISED if (s, percent) in acc),
                   key=lambda t: -t[0][0])
    for (mean, std, n), r, stage in found:
        met = n >= 3 and mean >= accuracy and (auroc is None or (r is not None and r[0] >= auroc))
        gaps = f"accuracy {mean:.1f} ({mean - accuracy:+.1f})"
        if auroc: gaps += f", AUROC {r[0]:.1f} ({r[0] - auroc:+.1f})" if r else ", AUROC not kept"
        lines.append(f"  {METHODS[stage].label}: {gaps}, n={n}: {'MET' if met else 'missed' if n >= 3 else 'too few seeds'}")
    return lines + (["  no semi-supervised step at this fraction"] if not found else [])


def patient(record: Path, percent: int = 2, within: float = 1.5) -> list[str]:
    rows, note = usable(record)
    acc = summarize(rows)
    if ("baseline", 100) not in acc: return [f"{record.name}{note}: no FSL at 100 % to measure against"]
    full = acc["baseline", 100][0]
    lines = [f"{record.name}{note}, {percent} %, SimCLRv2 family within {within} of FSL at 100 % ({full:.1f}, "
             f"n={acc['baseline', 100][2]}):"]
    for stage in SIMCLRV2_FAMILY:
        if (stage, percent) in acc:
            mean, _, n = acc[stage, percent]
            lines.append(f"  {METHODS[stage].label}: {mean:.1f} ({mean - full:+.1f}), n={n}: "
                         f"{'MET' if mean >= full - within else 'missed'}")
    return lines


def main(records):
    for record in map(Path, records):
        if protocol(record) == "official":
            print(*official(record, 5, 91.6, 98.0), *official(record, 1, 89.3, None), sep="\n")
        elif protocol(record) == "patient":
            print(*patient(record), sep="\n")


if __name__ == "__main__":
    main(sys.argv[1:] or sorted(p.parent for p in Path("results").glob("*/results.json")))
