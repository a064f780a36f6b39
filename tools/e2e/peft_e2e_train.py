"""HF PEFT LoRA (or SARA in plain PyTorch) trained like `./sara finetune` on E2E lines, for the issue's comparison
(BLEU via `./sara eval`).

Same recipe as the Java run (and LLM-Adapters' finetune.py): the text "<mr> || <text>" tokenized once (the tokenizer
adds BOS) + EOS, labels masked over the length of the prompt "<mr> ||" tokenized alone, so the loss covers the
target; sequences cut at --max-len (the target's end goes), seeded shuffle per epoch, right padding, AdamW
(--weight-decay, default 0), linear warm-up then decay to 0, global-norm clipping 1.0, LoRA dropout --dropout
(default 0.05), token-mean cross-entropy with --label-smoothing (default 0; torch's definition, as SARA4J's).
The adapter is saved in PEFT's format, which `./sara eval --adapter` loads.

--method sara --sara-config DIR: PEFT has no SARA, so the reference is SARA4J's SaraLayer restated in PyTorch
(y = base(x) + ((dropout(x)·Vᵀ) ⊙ λ)·Uᵀ; U, λ, V drawn as nn.Linear weights: U(±1/√k), U(±1/√k), U(±1/√in)), with
the per-module ranks of the SARA4J adapter folder DIR (its adapter_config.json is copied, the tensors are saved under
SARA4J's names), so both frameworks train the same architecture; only the random draws differ.

  /tmp/ckpt-venv/bin/python tools/e2e/peft_e2e_train.py --model ../shared/models/tinystories-656k \
      --data ../shared/data/e2e/valid.txt --out runs/peft-lora
"""
import argparse
import json
import math
import random
import shutil
import time
from pathlib import Path

import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import (AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerFast,
                          get_linear_schedule_with_warmup)

p = argparse.ArgumentParser()
p.add_argument("--model", required=True)
p.add_argument("--data", required=True)
p.add_argument("--out", required=True)
p.add_argument("--method", choices=["lora", "sara"], default="lora")
p.add_argument("--sara-config", help="SARA4J SARA adapter folder whose rank_pattern gives k per module")
p.add_argument("--r", type=int, default=16)
p.add_argument("--alpha", type=float, default=32)
p.add_argument("--targets", default="q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")
p.add_argument("--epochs", type=int, default=3)
p.add_argument("--lr", type=float, default=3e-3)
p.add_argument("--batch-size", type=int, default=16)
p.add_argument("--max-len", type=int, default=128)
p.add_argument("--warmup", type=int, default=100)
p.add_argument("--seed", type=int, default=42)
p.add_argument("--dropout", type=float, default=0.05, help="LoRA dropout")
p.add_argument("--weight-decay", type=float, default=0.0, help="AdamW decoupled weight decay")
p.add_argument("--label-smoothing", type=float, default=0.0, help="torch cross-entropy label smoothing")
p.add_argument("--max-steps", type=int, default=0, help="stop after this many updates (0: all epochs)")
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
# tokenizer.json as it is, like SARA4J (and transformers 4): transformers 5's LlamaTokenizer drops characters missing
# from tinystories-656k's vocabulary (the "é" of "Café", in 1,202 of the 4,672 lines) where tokenizer.json has <unk>.
auto = AutoTokenizer.from_pretrained(a.model)
tok = PreTrainedTokenizerFast(tokenizer_file=f"{a.model}/tokenizer.json", bos_token=auto.bos_token,
                              eos_token=auto.eos_token)


class SaraLinear(torch.nn.Module):
    """SARA4J's SaraLayer: y = base(x) + ((dropout(x)·Vᵀ) ⊙ λ)·Uᵀ around a frozen nn.Linear."""

    def __init__(self, base, k, dropout):
        super().__init__()
        out, inp = base.weight.shape
        self.base = base
        self.dropout = torch.nn.Dropout(dropout)
        self.sara_U = torch.nn.Parameter(torch.empty(out, k).uniform_(-1 / math.sqrt(k), 1 / math.sqrt(k)))
        self.sara_lambda = torch.nn.Parameter(torch.empty(k).uniform_(-1 / math.sqrt(k), 1 / math.sqrt(k)))
        self.sara_V = torch.nn.Parameter(torch.empty(k, inp).uniform_(-1 / math.sqrt(inp), 1 / math.sqrt(inp)))

    def forward(self, x):
        return self.base(x) + ((self.dropout(x) @ self.sara_V.T) * self.sara_lambda) @ self.sara_U.T


model = AutoModelForCausalLM.from_pretrained(a.model, torch_dtype=torch.float32, attn_implementation="eager")
if a.method == "lora":
    model = get_peft_model(model, LoraConfig(r=a.r, lora_alpha=a.alpha, lora_dropout=a.dropout,
                                             target_modules=a.targets.split(",")))
else:
    sara_config = json.loads((Path(a.sara_config) / "adapter_config.json").read_text())
    model.requires_grad_(False)
    for name, k in sara_config["rank_pattern"].items():
        parent, child = name.rsplit(".", 1)
        owner = model.get_submodule(parent)
        setattr(owner, child, SaraLinear(getattr(owner, child), k, sara_config["lora_dropout"]))
eos = model.config.eos_token_id

examples, truncated = [], 0
for line in open(a.data, encoding="utf-8"):
    if not line.strip():
        continue
    mr, text = line.split("||", 1)
    prompt = mr.strip() + " ||"
    full = tok(prompt + " " + text.strip())["input_ids"] + [eos]
    prompt_len = len(tok(prompt)["input_ids"])
    ids = full[: a.max_len]
    truncated += len(full) > a.max_len
    if prompt_len < a.max_len:
        examples.append((ids, [-100] * prompt_len + ids[prompt_len:]))
print(f"{len(examples)} examples, {truncated} truncated at {a.max_len}")

batches_per_epoch = (len(examples) + a.batch_size - 1) // a.batch_size
total = batches_per_epoch * a.epochs if a.max_steps <= 0 else a.max_steps
params = [q for q in model.parameters() if q.requires_grad]
opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=a.weight_decay)
sched = get_linear_schedule_with_warmup(opt, a.warmup, total)
model.train()
step, start = 0, time.time()
for epoch in range(a.epochs):
    order = list(range(len(examples)))
    random.Random(a.seed + epoch).shuffle(order)
    for b in range(batches_per_epoch):
        if step == total:
            break
        batch = [examples[i] for i in order[b * a.batch_size:(b + 1) * a.batch_size]]
        width = max(len(ids) for ids, _ in batch)
        ids = torch.tensor([x + [eos] * (width - len(x)) for x, _ in batch])
        mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x, _ in batch])
        labels = torch.tensor([y + [-100] * (width - len(y)) for _, y in batch])
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), labels[:, 1:].reshape(-1),
                                                 ignore_index=-100, label_smoothing=a.label_smoothing)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        if step % 50 == 0 or step == total:
            print(json.dumps({"step": step, "loss": loss.item(), "lr": sched.get_last_lr()[0],
                              "tokens_per_s": None, "elapsed_s": round(time.time() - start, 1)}), flush=True)
if a.method == "lora":
    model.save_pretrained(a.out)
else:
    Path(a.out).mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(a.sara_config) / "adapter_config.json", Path(a.out) / "adapter_config.json")
    save_file({f"base_model.model.{n}": q.detach().contiguous() for n, q in model.named_parameters()
               if q.requires_grad}, str(Path(a.out) / "adapter_model.safetensors"))
print("saved", a.out, "trainable", sum(q.numel() for q in params))
