#!/usr/bin/env bash
# SARA4J against PEFT + transformers, with and without gradient checkpointing, on the same model folder, batch,
# sequence and threads; the four runs alternate, ROUNDS times. Prints "round framework mode tokens/s step_s peak_GiB".
# Usage: tools/bench/compare_checkpointing.sh MODEL_DIR PYTHON [ROUNDS]
#   MODEL_DIR: e.g. made by tools/bench/make_random_llama.py; PYTHON: a venv with torch, transformers and peft.
set -euo pipefail
model="$1"; python="$2"; rounds="${3:-2}"
cd "$(dirname "$0")/../.."
args=(--r 16 --alpha 16 --dropout 0.05 --targets q_proj,v_proj --batch-size 2 --seq-len 512 --steps 3 --warmup-steps 1)
summary='import json,sys; d=json.load(sys.stdin); print(round(d["tokens_per_s"],1), round(d["step_ms"]/1000,2), round(d["peak_memory_bytes"]/2**30,3))'
for round in $(seq 1 "$rounds"); do
  for gc in "" "--gradient-checkpointing"; do
    echo "$round sara4j ${gc:-plain} $(OMP_NUM_THREADS=2 ./sara bench train --model "$model" --method lora "${args[@]}" \
        $gc --json 2>/dev/null | python3 -c "$summary")"
    echo "$round peft ${gc:-plain} $("$python" tools/bench/peft_train_bench.py --model "$model" "${args[@]}" --threads 2 \
        $gc 2>/dev/null | python3 -c "$summary")"
  done
done
