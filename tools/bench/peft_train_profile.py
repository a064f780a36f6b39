"""torch profile of the HF PEFT LoRA training step of peft_train_bench.py, as chrome-trace JSON, to compare op by op
with `./sara bench train --profile FILE` (sum both with profile_summary.py).

  /tmp/venv/bin/python tools/bench/peft_train_profile.py --model ../shared/models/tinystories-656k \
      --targets q_proj,v_proj --steps 5 --out /tmp/peft.json
  python3 tools/bench/profile_summary.py /tmp/peft.json --steps 5
"""
import argparse
import time

import torch
from peft import LoraConfig, get_peft_model
from torch.profiler import ProfilerActivity, profile
from transformers import AutoModelForCausalLM

p = argparse.ArgumentParser()
p.add_argument("--model", required=True)
p.add_argument("--r", type=int, default=16)
p.add_argument("--targets", default="q_proj,v_proj")
p.add_argument("--batch-size", type=int, default=8)
p.add_argument("--seq-len", type=int, default=128)
p.add_argument("--steps", type=int, default=5)
p.add_argument("--warmup-steps", type=int, default=3)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--out", required=True)
a = p.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(42)
model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32, attn_implementation="eager")
model = get_peft_model(model, LoraConfig(r=a.r, lora_alpha=2 * a.r, lora_dropout=0.05,
                                         target_modules=a.targets.split(",")))
model.train()
params = [q for q in model.parameters() if q.requires_grad]
opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
ids = torch.randint(0, model.config.vocab_size, (a.batch_size, a.seq_len))
mask = torch.ones_like(ids)


def step():
    loss = model(input_ids=ids, attention_mask=mask, labels=ids).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)


for _ in range(a.warmup_steps):
    step()
with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
    start = time.perf_counter()
    for _ in range(a.steps):
        step()
    seconds = time.perf_counter() - start
prof.export_chrome_trace(a.out)
print(f"wall per step {1000 * seconds / a.steps:.1f} ms (profiled); trace {a.out}")
