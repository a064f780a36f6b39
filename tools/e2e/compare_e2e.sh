#!/usr/bin/env bash
# The "Done when" comparison: LoRA and SARA (same trainable budget, --match-lora-r 16) trained by SARA4J, PEFT
# LoRA trained the same way in Python, and SARA in plain PyTorch with SARA4J's per-module ranks (PEFT has no SARA), on
# E2E lines with tinystories-656k, all seven linear targets, r 16, lr 3e-3, batch 16, max length 128, seed 42;
# BLEU/ROUGE-L by `./sara eval` for all four (and the base model).
# Usage: tools/e2e/compare_e2e.sh OUT_DIR [EPOCHS] [EVAL_LIMIT]   (run from the repository root; PYTHON: a Python
#   with torch, transformers and peft, default /tmp/ckpt-venv/bin/python)
# One intra-op thread per run (THREADS=n to change): on 2 cores, two runs with two threads each slow down manyfold.
set -euo pipefail
out="$1"; epochs="${2:-3}"; limit="${3:-100}"
threads="${THREADS:-1}"
root="$(pwd)"
M="$root/../shared/models/tinystories-656k"
D="$root/../shared/data/e2e/valid.txt"
T=q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj
export SARA_JAVA_OPTS="-Xmx4g -Dai.djl.pytorch.num_threads=$threads" OMP_NUM_THREADS="$threads"
common=(--model "$M" --data "$D" --targets "$T" --epochs "$epochs" --lr 3e-3 --batch-size 16 --max-len 128 --seed 42)
py=("${PYTHON:-/tmp/ckpt-venv/bin/python}" tools/e2e/peft_e2e_train.py --model "$M" --data "$D" --epochs "$epochs" --threads "$threads")
mkdir -p "$out"
./sara finetune "${common[@]}" --method lora --r 16 --alpha 32 --dropout 0.05 --out "$out/lora" 2> "$out/lora.log"
./sara finetune "${common[@]}" --method sara --match-lora-r 16 --out "$out/sara" 2> "$out/sara.log"
"${py[@]}" --out "$out/peft-lora" > "$out/peft.log" 2>&1
"${py[@]}" --method sara --sara-config "$out/sara/adapter" --out "$out/torch-sara" > "$out/torch-sara.log" 2>&1
for run in lora/adapter sara/adapter peft-lora torch-sara; do
  ./sara eval --model "$M" --adapter "$out/$run" --data "$D" --task e2e --limit "$limit" \
      --out "$out/eval-${run%%/*}.json" 2> "$out/eval-${run%%/*}.log"
done
./sara eval --model "$M" --data "$D" --task e2e --limit "$limit" --out "$out/eval-base.json" 2> "$out/eval-base.log"
grep -h "BLEU" "$out"/eval-*.log
