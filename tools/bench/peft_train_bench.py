"""HF PEFT LoRA training-step speed, the reference for `./sara bench train` on CPU.

Same measurement as the Java command: random token batches (every position a target), forward + causal-LM loss +
backward + global-norm clipping (1.0) + AdamW, median step time after warm-up steps, 2 threads.

  /tmp/venv/bin/python tools/bench/peft_train_bench.py --model ../shared/models/tinystories-656k \
      --r 16 --targets q_proj,v_proj --batch-size 8 --seq-len 128 --steps 20

With --gradient-checkpointing, transformers' gradient_checkpointing_enable() (non-reentrant) recomputes each decoder
layer in the backward pass, as `./sara bench train --gradient-checkpointing` does; peak_memory_bytes is the process's
peak RSS (ru_maxrss), as the Java command reports on CPU.

With --profile FILE, torch's op profile of the timed steps is written as chrome-trace JSON, as
`./sara bench train --profile FILE` writes libtorch's; sum either with tools/bench/profile_summary.py FILE --steps N.
"""
import argparse
import contextlib
import json
import resource
import statistics
import time

import torch
from peft import LoraConfig, get_peft_model
from torch.profiler import ProfilerActivity, profile
from transformers import AutoModelForCausalLM

p = argparse.ArgumentParser()
p.add_argument("--model", required=True)
p.add_argument("--r", type=int, default=16)
p.add_argument("--alpha", type=float, default=None)
p.add_argument("--targets", default="q_proj,v_proj")
p.add_argument("--batch-size", type=int, default=8)
p.add_argument("--seq-len", type=int, default=128)
p.add_argument("--steps", type=int, default=20)
p.add_argument("--warmup-steps", type=int, default=2)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--dropout", type=float, default=0.05)
p.add_argument("--attn", default="eager", help="attn_implementation: eager (the issue's reference) or sdpa")
p.add_argument("--gradient-checkpointing", action="store_true", help="recompute each layer in the backward pass")
p.add_argument("--profile", help="write torch's profile of the timed steps (chrome-trace JSON) to this file")
a = p.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(42)
model = AutoModelForCausalLM.from_pretrained(a.model, torch_dtype=torch.float32, attn_implementation=a.attn)
start = time.perf_counter()
model = get_peft_model(model, LoraConfig(r=a.r, lora_alpha=a.alpha or 2 * a.r, lora_dropout=a.dropout,
                                         target_modules=a.targets.split(",")))
init_s = time.perf_counter() - start
if a.gradient_checkpointing:
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
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
times = []
with profile(activities=[ProfilerActivity.CPU], record_shapes=True) if a.profile else contextlib.nullcontext() as prof:
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
if a.profile:
    prof.export_chrome_trace(a.profile)
median = statistics.median(times)
print(json.dumps({"framework": "peft", "attn": a.attn, "torch": torch.__version__, "threads": a.threads, "r": a.r,
                  "batch_size": a.batch_size, "seq_len": a.seq_len, "steps": a.steps,
                  "gradient_checkpointing": a.gradient_checkpointing,
                  "tokens_per_s": a.batch_size * a.seq_len / median, "step_ms": 1000 * median, "init_s": init_s,
                  "trainable": sum(q.numel() for q in params),
                  "peak_memory_bytes": 1024 * resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}, indent=2))
