"""Markdown table of tools/e2e/reproduction_table.sh's runs: one row per method, mean and min–max over the seeds of
BLEU, NIST, ROUGE-L and CIDEr (`./sara eval --task e2e`), METEOR n/a (it needs WordNet, which cannot be had offline),
trainable parameters (SoRA: also those its non-zero gates keep), learning rate, final training loss and wall time per run, and the base model's scores (OUT_DIR/base,
when present); runs without a result are listed.

  python3 tools/e2e/reproduction_summary.py OUT_DIR > table.md
"""
import json
import struct
import sys
from pathlib import Path

ROWS = [("lora", "LoRA (SARA4J)"), ("peft-lora", "LoRA (HF PEFT)"), ("sara", "SARA (SARA4J)"),
        ("sara-budget", "SARA at LoRA's budget (SARA4J)"),
        ("mosara", "Mo-SARA (SARA4J)"), ("sora", "SoRA (SARA4J)"), ("edora", "EDoRA (SARA4J)")]
EXTRA = {"sara-budget"}  # rows shown only when run (METHODS=...)
METRICS = [("bleu", "BLEU", 2), ("nist", "NIST", 3), ("rouge_l", "ROUGE-L", 2), ("cider", "CIDEr", 3)]


def spread(values, digits):
    """mean (min–max) of values, each rounded to digits."""
    mean = sum(values) / len(values)
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def sora_retained(adapter):
    """Parameters a SoRA adapter keeps after pruning its zeroed gates: sum over modules of (non-zero gates)·(in + out + 1),
    read from adapter_model.safetensors (float32 tensors) without a safetensors library."""
    raw = (adapter / "adapter_model.safetensors").read_bytes()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])

    def tensor(name):
        start, end = header[name]["data_offsets"]
        return header[name]["shape"], struct.unpack(f"<{(end - start) // 4}f", raw[8 + size + start:8 + size + end])

    kept = 0
    for name in header:
        if name.endswith(".sora_gate"):
            module = name[:-len(".sora_gate")]
            _, gate = tensor(name)
            (_, inp), (out, _) = header[module + ".lora_A.weight"]["shape"], header[module + ".lora_B.weight"]["shape"]
            kept += sum(g != 0 for g in gate) * (inp + out + 1)
    return kept


def main(out):
    runs = {}
    missing = []
    for run in sorted(p for p in out.iterdir() if p.is_dir() and "-s" in p.name):
        result = run / "result.json"
        if result.exists():
            r = json.loads(result.read_text())
            runs.setdefault(r["method"], []).append(r)
        else:
            missing.append(run.name)
    head = ["Method", "lr", "Trainable params", "Seeds"] + [m[1] for m in METRICS[:2]] + ["METEOR"] + \
           [m[1] for m in METRICS[2:]] + ["Final train loss", "Train s / run", "Eval s / run"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    labels = dict(ROWS)
    # METHOD-Nx runs (METHOD at N times its learning rate) follow the fixed rows
    checks = [(key, f"{labels[key.rsplit('-', 1)[0]]} at {key.rsplit('-', 1)[1][:-1]}× lr")
              for key in sorted(runs) if key not in labels]
    for key, label in ROWS + checks:
        rs = runs.get(key)
        if not rs and key in EXTRA:
            continue
        if not rs:
            print(f"| {label} | | | 0 |" + " |" * (len(head) - 4))
            continue
        params = "/".join(f"{p:,}" for p in sorted({r["trainable_parameters"] for r in rs}))
        if key.split("-")[0] == "sora":
            kept = [sora_retained(out / f"{key}-s{r['seed']}" / "adapter") for r in rs]
            params += f" ({min(kept):,}–{max(kept):,} after pruning)" if min(kept) != max(kept) \
                else f" ({kept[0]:,} after pruning)"
        cells = [label, f"{rs[0]['lr']:g}", params,
                 ", ".join(str(r["seed"]) for r in sorted(rs, key=lambda r: r["seed"]))]
        cells += [spread([r["metrics"][k] for r in rs], d) for k, _, d in METRICS[:2]]
        cells.append("n/a (WordNet)")
        cells += [spread([r["metrics"][k] for r in rs], d) for k, _, d in METRICS[2:]]
        skipped = sum(r["skipped_updates"] for r in rs)
        cells.append(spread([r["final_loss"] for r in rs], 3) + (f", {skipped} updates skipped" if skipped else ""))
        cells.append(spread([r["train_s"] for r in rs], 0))
        cells.append(spread([r["eval_s"] for r in rs], 0))
        print("| " + " | ".join(cells) + " |")
    base = out / "base" / "eval.json"
    if base.exists():
        m = json.loads(base.read_text())["metrics"]
        cells = ["base model, no adapter", "", "0", ""] + [f"{m[k]:.{d}f}" for k, _, d in METRICS[:2]]
        cells += ["n/a (WordNet)"] + [f"{m[k]:.{d}f}" for k, _, d in METRICS[2:]] + ["", "", ""]
        print("| " + " | ".join(cells) + " |")
    counts = {r["metrics"]["count"] for rs in runs.values() for r in rs}
    updates = {(r["updates"], r["warmup"]) for rs in runs.values() for r in rs}
    print()
    print(f"Scored on {'/'.join(map(str, sorted(counts)))} held-out meaning representations; "
          + "; ".join(f"{u} updates, {w} warm-up" for u, w in sorted(updates)) + ".")
    if missing:
        print(f"Runs without a result (see their train.log/eval.log): {', '.join(missing)}.")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
