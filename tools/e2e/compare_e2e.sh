#!/usr/bin/env bash
# The "Done when" comparison: LoRA and SARA (same trainable budget, --match-lora-r 16) trained by SARA4J, and
# PEFT LoRA trained the same way in Python, on E2E lines with tinystories-656k, all seven linear targets, r 16,
# lr 3e-3, batch 16, max length 128, seed 42; BLEU/ROUGE-L by `./sara eval` for all three (and the base model).
# Usage: tools/e2e/compare_e2e.sh OUT_DIR [EPOCHS] [EVAL_LIMIT]   (run from the repository root; needs /tmp/venv)
set -euo pipefail
out="$1"; epochs="${2:-3}"; limit="${3:-100}"
root="$(pwd)"
M="$root/../shared/models/tinystories-656k"
D="$root/../shared/data/e2e/valid.txt"
T=q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj
common=(--model "$M" --data "$D" --targets "$T" --epochs "$epochs" --lr 3e-3 --batch-size 16 --max-len 128 --seed 42)
mkdir -p "$out"
./sara finetune "${common[@]}" --method lora --r 16 --alpha 32 --dropout 0.05 --out "$out/lora" 2> "$out/lora.log"
./sara finetune "${common[@]}" --method sara --match-lora-r 16 --out "$out/sara" 2> "$out/sara.log"
/tmp/venv/bin/python tools/e2e/peft_e2e_train.py --model "$M" --data "$D" --epochs "$epochs" --out "$out/peft-lora" \
    > "$out/peft.log" 2>&1
for run in lora/adapter sara/adapter peft-lora; do
  ./sara eval --model "$M" --adapter "$out/$run" --data "$D" --task e2e --limit "$limit" \
      --out "$out/eval-${run%%/*}.json" 2> "$out/eval-${run%%/*}.log"
done
./sara eval --model "$M" --data "$D" --task e2e --limit "$limit" --out "$out/eval-base.json" 2> "$out/eval-base.log"
grep -h "BLEU" "$out"/eval-*.log
