"""A LLaMA-architecture model folder with random weights, for `./sara bench train --model` and
peft_train_bench.py on the same shape (the gradient-checkpointing table of docs/benchmarks.md).

  /tmp/venv/bin/python tools/bench/make_random_llama.py --out /tmp/llama-8x512 \
      --layers 8 --hidden 512 --heads 8 --intermediate 1376 --vocab 8192
"""
import argparse

import torch
from transformers import LlamaConfig, LlamaForCausalLM

p = argparse.ArgumentParser()
p.add_argument("--out", required=True)
p.add_argument("--layers", type=int, default=8)
p.add_argument("--hidden", type=int, default=512)
p.add_argument("--heads", type=int, default=8)
p.add_argument("--intermediate", type=int, default=1376)
p.add_argument("--vocab", type=int, default=8192)
p.add_argument("--positions", type=int, default=2048)
a = p.parse_args()

torch.manual_seed(0)
config = LlamaConfig(vocab_size=a.vocab, hidden_size=a.hidden, intermediate_size=a.intermediate,
                     num_hidden_layers=a.layers, num_attention_heads=a.heads, num_key_value_heads=a.heads,
                     max_position_embeddings=a.positions, rms_norm_eps=1e-6, tie_word_embeddings=False)
LlamaForCausalLM(config).to(torch.float32).save_pretrained(a.out, safe_serialization=True)
print(a.out)
