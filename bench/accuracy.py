#!/usr/bin/env python3
"""Measure gapcheck against the labelled corpora and (re)write docs/accuracy.md and docs/accuracy.json.

    python bench/accuracy.py --corpus ../shared/corpus --write docs/accuracy.md     (what `make accuracy` runs)

Policy level, per requirement, binary view (met/partial = addressed, missing = gap), via checker.evaluate,
the same code as `gapcheck eval`. Hand-written notes on labels we dispute live in docs/label-disputes.md and
are included verbatim; disagreements are listed in full and never counted as wins.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker import load_packs  # noqa: E402
from checker.evaluate import IdStats, as_dict, evaluate, render_markdown  # noqa: E402

CORPORA = [
    ("policies", "labels.yaml", "policies", "6 real policies labelled for this project (LABELLING.md), all ids"),
    ("g200", "g200/labels.yaml", "g200/policies", "93 app policies, GDPR-Transparency-200 (Cory et al., PoPETs 2026)"),
    ("c3pa", "c3pa/labels.yaml", "c3pa/policies", "195 California disclosures, C3PA (Bin Musa et al., EMNLP 2024)"),
]


def red_flags(packs, raised_by_corpus: dict[str, list]) -> str:
    """How often each red flag fires on the corpora, whether the thorough example raises any, and the sample of
    raised flags reviewed by hand (docs/red-flag-review.yaml), each checked to be still raised in this run."""
    from checker.api import check_document, read_document

    keys = list(raised_by_corpus)
    counts = {fl.id: {k: [0, 0] for k in keys} for p in packs for fl in p.flags}
    still = set()
    for key, raised in raised_by_corpus.items():
        for policy, fl in raised:
            counts.setdefault(fl.id, {k: [0, 0] for k in keys})[key][0] += 1
            counts[fl.id][key][1] += len(fl.evidence)
            still.add((key, policy, fl.id))
    total_policies = sum(len({p for p, _ in r}) for r in raised_by_corpus.values())
    lines = ["## Red flags", "",
             "Risky wording and contradictions (issue 8), counted on the same corpus runs. *policies*: policies that",
             "raise the flag; *passages*: the passages quoted (at most 3 per policy; the report says how many more).",
             f"{total_policies} of the policies above raise at least one flag.", "",
             "| flag | policies | passages | policies in " + " · ".join(f"{k}/" for k in keys) + " |", "|---|---|---|---|"]
    for fid, per in sorted(counts.items(), key=lambda kv: (-sum(v[0] for v in kv[1].values()), kv[0])):
        lines.append(f"| {fid} | {sum(v[0] for v in per.values())} | {sum(v[1] for v in per.values())} | "
                     + " / ".join(str(per[k][0]) for k in keys) + " |")
    thorough = ROOT / "examples" / "thorough-policy.md"
    flags = check_document(read_document(str(thorough)), packs).flags
    lines += ["", "**The project's thorough example policy** (`examples/thorough-policy.md`) raises "
              + ("no flag." if not flags else f"{len(flags)}: " + ", ".join(f.id for f in flags) + " (to be fixed).")]
    review = ROOT / "docs" / "red-flag-review.yaml"
    if review.is_file():
        import yaml

        everything = yaml.safe_load(review.read_text(encoding="utf-8"))["reviewed"]
        rows = [r for r in everything if r.get("sample", True)]
        extra = [r for r in everything if not r.get("sample", True)]
        right = sum(r["verdict"] == "right" for r in rows)
        border = sum(r["verdict"] == "right" and r.get("borderline") for r in rows)
        gone = [r for r in everything if r["corpus"] in keys and (r["corpus"], r["policy"], r["flag"]) not in still]
        lines += ["", f"### Reviewed sample: {right} of {len(rows)} raised flags right ({right / len(rows):.0%})", "",
                  "Drawn from a whole-corpus run on 2026-11-26, stratified (two per flag, the rest at random, seed",
                  "20261126) and read by hand in context, twice (by the session that wrote the flags, then every row",
                  "again by the maintainer); the verdicts live in `docs/red-flag-review.yaml`. A raised flag",
                  "is right only if every passage it quotes is right. "
                  + (f"{border} are borderline; counting them as wrong gives {right - border} of {len(rows)} "
                     f"({(right - border) / len(rows):.0%})." if border else ""),
                  ("Every reviewed flag is still raised in this run." if not gone else
                   f"{len(gone)} reviewed flags are no longer raised in this run (marked below): the review predates "
                   "a rule change and should be redrawn."), "",
                  "| # | flag | policy | quoted passage (short) | verdict | why | raised now |", "|---|---|---|---|---|---|---|"]
        for r in rows + extra:
            verdict = r["verdict"] + (" (borderline)" if r.get("borderline") else "")
            now = "yes" if (r["corpus"], r["policy"], r["flag"]) in still else "**no**"
            cell = lambda t: " ".join(str(t).split()).replace("|", "\\|")  # noqa: E731
            lines.append(f"| {r['n']} | {r['flag']} | {r['corpus']}/{r['policy'].removesuffix('.md')} | "
                         f"{cell(r['quote'])} | {verdict} | {cell(r['why'])} | {now} |")
        if extra:
            lines += ["", f"Rows {', '.join('#' + str(r['n']) for r in extra)}: read after the draw, because the sample "
                      "missed their flag; not counted in the tally above "
                      f"({sum(r['verdict'] == 'right' for r in extra)} of {len(extra)} right)."]
        lines += ["", "How the flags were built, every passage of the rarer flags, and the false positives fixed on the",
                  "way: `docs/red-flags.md`."]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--write", metavar="MD", help="write the Markdown report here (and the JSON beside it)")
    args = ap.parse_args()
    corpus = Path(args.corpus)
    packs = load_packs()
    sections = []
    figures = {}
    combined: dict[str, IdStats] = {}
    raised_by_corpus: dict[str, list] = {}
    for key, labels, policies, description in CORPORA:
        if not (corpus / labels).is_file():
            continue
        ev = evaluate(corpus / labels, corpus / policies, packs)
        if not ev.by_id:
            sections.append(f"### `{key}/` — {description}\n\nNo requirement checked yet has labels here "
                            f"(labelled: {', '.join(ev.skipped_ids)}).\n")
            continue
        raised_by_corpus[key] = ev.raised
        for rid, stats in ev.by_id.items():
            combined.setdefault(rid, IdStats()).merge(stats)
        figures[key] = as_dict(ev)
        figures[key]["corpus"] = f"shared/corpus/{labels}"  # stable whatever --corpus was
        lines = [f"### `{key}/` — {description}", "",
                 f"Command: `gapcheck eval ../shared/corpus/{labels} ../shared/corpus/{policies}`", "",
                 render_markdown(ev)]
        if ev.skipped_ids:
            lines.append(f"Labelled here but not checked yet (no rule): {', '.join(ev.skipped_ids)}.\n")
        if ev.disagreements:
            lines.append("Every disagreement (label → gapcheck), counted as an error above:\n")
            for d in ev.disagreements:
                quote = " ".join(d.label_quote.split())[:160]
                ours = " ".join(d.evidence.split())[:160] if d.evidence else "—"
                lines.append(f"- `{d.policy}` {d.id}: **{d.label} → {d.status}**; label quote: “{quote}”; "
                             f"gapcheck's evidence: “{ours}”")
            lines.append("")
        else:
            lines.append("No disagreements.\n")
        sections.append("\n".join(lines))
    summary = ["## Summary by regime (all corpora together)", "",
               "| regime | requirements measured | n | accuracy | gap precision | gap recall | lowest requirement |",
               "|---|---|---|---|---|---|---|"]
    for pack in packs:
        ids = [r.id for r in pack.requirements if r.id in combined]
        if not ids:
            continue
        total = IdStats()
        for rid in ids:
            total.merge(combined[rid])
        low = min(ids, key=lambda r: combined[r].accuracy)
        f = lambda x: "—" if x is None else f"{x:.3f}"  # noqa: E731
        summary.append(f"| {pack.regime} | {len(ids)} | {total.n} | {f(total.accuracy)} | {f(total.precision)} | "
                       f"{f(total.recall)} | {low} {f(combined[low].accuracy)} |")
    sections = ["\n".join(summary) + "\n", "## Figures by corpus\n"] + sections + [red_flags(packs, raised_by_corpus)]
    notes = ROOT / "docs" / "label-disputes.md"
    doc = "\n".join([
        "# Accuracy",
        "",
        "Generated by `make accuracy` (`python bench/accuracy.py --corpus ../shared/corpus --write docs/accuracy.md`);",
        "do not edit by hand. Policy level, per requirement. *accuracy*: binary agreement (met/partial = addressed,",
        "missing = gap); *exact*: three-way agreement; *gap✓ / false gap / missed gap*: gapcheck's `missing` flags",
        "that were right / flags on a policy labelled met or partial / gaps it did not flag; *gap precision/recall*:",
        "of those flags. A `not_applicable` status (a conditional requirement whose condition the text does not show)",
        "counts with `missing`: both say the text does not address the requirement, which is what a `missing` label says.",
        "",
        *sections,
        notes.read_text(encoding="utf-8") if notes.is_file() else "",
    ]).rstrip() + "\n"
    if args.write:
        out = Path(args.write)
        out.write_text(doc, encoding="utf-8")
        out.with_suffix(".json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {out} and {out.with_suffix('.json')}")
    else:
        sys.stdout.write(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
