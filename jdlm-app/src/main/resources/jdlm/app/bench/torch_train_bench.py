"""PyTorch reference for `jdlm bench train --vs-torch`: the same model, loss, optimizer and batch
as jdlm's training step, timed on the same machine. Only a yardstick; jdlm never imports it.

Model (DESIGN.md §3, LLaDA/Llama style): token embedding, per block pre-norm RMSNorm, q/k/v/o
without biases, rotary embeddings on adjacent pairs of q and k, bidirectional softmax attention,
SwiGLU MLP, residuals; final RMSNorm and an untied output projection. Loss: MDLM with the linear
schedule (antithetic t, mask with probability (1-eps)t, weight 1/t, SUBS: the MASK logit is -inf),
summed over masked positions and divided by B*L. Then global-norm clipping and AdamW. fp32.

Two modes:
  default   warm-up steps, then timed steps; prints one JSON line (tokens/s = median of timed steps)
  --profile as default, and prints torch's per-op table (self CPU time) of the timed steps to stderr
  --serve   prints a "ready" JSON line, then for each stdin line "run N" runs N steps and prints a
            JSON line with their seconds, so a caller can interleave rounds with its own; "quit" ends.
Any failure to import torch is one JSON line {"error": "no_torch", ...} and exit status 3.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time


def blas_libraries():
    """The BLAS / LAPACK / OpenMP shared objects mapped into this process (what torch really calls)."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6:
                    path = parts[5]
                    name = os.path.basename(path).lower()
                    if "blas" in name or "lapack" in name or "mkl" in name or "omp" in name:
                        libs.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(libs)


def openblas_info(libs):
    """OpenBLAS's kernel name and config, asked from the mapped library itself (None if not OpenBLAS)."""
    import ctypes
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return {"path": path,
                    "corename": lib.openblas_get_corename().decode(),
                    "config": lib.openblas_get_config().decode(),
                    "threads": lib.openblas_get_num_threads()}
        except (OSError, AttributeError):
            continue
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--heads", type=int, default=6)
    p.add_argument("--hidden", type=int, default=1024)
    p.add_argument("--vocab", type=int, default=259)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--serve", action="store_true")
    p.add_argument("--profile", action="store_true", help="print torch's per-op table of the timed steps to stderr")
    a = p.parse_args()

    try:
        import torch
        import torch.nn.functional as F
    except Exception as e:  # ImportError, or a broken install failing on a shared library
        print(json.dumps({"error": "no_torch", "python": sys.executable, "detail": repr(e)}), flush=True)
        sys.exit(3)

    torch.set_num_threads(a.threads)
    torch.manual_seed(1234)
    D, H, T, B, V, Fh = a.dim, a.heads, a.seq, a.batch, a.vocab, a.hidden
    hd = D // H
    eps_norm, eps_t, mask_id, theta = 1e-5, 1e-3, V - 1, 10000.0

    # rotary tables for adjacent pairs (x[2i], x[2i+1]): angle pos * theta^(-2i/hd)
    inv = theta ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    cos, sin = ang.cos().float(), ang.sin().float()  # [T, hd/2]

    def rope(x):  # x [B, H, T, hd]
        x2 = x.reshape(*x.shape[:-1], hd // 2, 2)
        x0, x1 = x2[..., 0], x2[..., 1]
        return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(-2)

    def rmsnorm(x, g):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps_norm) * g

    sdpa = getattr(F, "scaled_dot_product_attention", None)

    def attention(q, k, v):  # bidirectional
        if sdpa is not None:
            return sdpa(q, k, v)
        s = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        return torch.softmax(s, dim=-1) @ v

    def matrix(rows, cols, std):
        return torch.nn.Parameter(torch.randn(rows, cols) * std)

    res_std = 0.02 / math.sqrt(2.0 * a.layers)
    emb = torch.nn.Parameter(torch.randn(V, D) * 0.02)
    blocks = []
    for _ in range(a.layers):
        blocks.append(dict(attn_norm=torch.nn.Parameter(torch.ones(D)),
                           wq=matrix(D, D, 0.02), wk=matrix(D, D, 0.02), wv=matrix(D, D, 0.02),
                           wo=matrix(D, D, res_std), ffn_norm=torch.nn.Parameter(torch.ones(D)),
                           w_gate=matrix(Fh, D, 0.02), w_up=matrix(Fh, D, 0.02), w_down=matrix(D, Fh, res_std)))
    out_norm = torch.nn.Parameter(torch.ones(D))
    w_out = matrix(V, D, 0.02)
    params = [emb, out_norm, w_out] + [t for blk in blocks for t in blk.values()]
    decay = [t for t in params if t.dim() >= 2]
    no_decay = [t for t in params if t.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=3e-4, betas=(0.9, 0.95), eps=1e-8)
    n_params = sum(t.numel() for t in params)

    def forward(tokens):
        x = F.embedding(tokens, emb)  # [B, T, D]
        for blk in blocks:
            xn = rmsnorm(x, blk["attn_norm"])
            q = F.linear(xn, blk["wq"]).view(B, T, H, hd).transpose(1, 2)
            k = F.linear(xn, blk["wk"]).view(B, T, H, hd).transpose(1, 2)
            v = F.linear(xn, blk["wv"]).view(B, T, H, hd).transpose(1, 2)
            att = attention(rope(q), rope(k), v).transpose(1, 2).reshape(B, T, D)
            x = x + F.linear(att, blk["wo"])
            xn = rmsnorm(x, blk["ffn_norm"])
            x = x + F.linear(F.silu(F.linear(xn, blk["w_gate"])) * F.linear(xn, blk["w_up"]), blk["w_down"])
        return F.linear(rmsnorm(x, out_norm), w_out)  # [B, T, V]

    gen = torch.Generator().manual_seed(1)

    def step():
        x0 = torch.randint(0, V - 1, (B, T), generator=gen)
        # antithetic t across the batch; linear schedule: P(mask) = (1-eps)t, MDLM weight 1/t
        u = torch.rand((), generator=gen).item()
        t = torch.tensor([(1 - eps_t) * ((u + i / B) % 1.0) + eps_t for i in range(B)])
        masked = torch.rand((B, T), generator=gen) < ((1 - eps_t) * t)[:, None]
        xt = torch.where(masked, torch.full_like(x0, mask_id), x0)
        targets = torch.where(masked, x0, torch.full_like(x0, -1))
        weights = masked.float() * (1.0 / t)[:, None] / (B * T)

        logits = forward(xt)
        logits = logits.index_fill(-1, torch.tensor([mask_id]), float("-inf"))  # SUBS
        ce = F.cross_entropy(logits.view(B * T, V), targets.view(-1), ignore_index=-1, reduction="none")
        loss = (ce * weights.view(-1)).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss.item()

    def run(n):
        seconds, loss = [], float("nan")
        for _ in range(n):
            t0 = time.perf_counter()
            loss = step()
            seconds.append(time.perf_counter() - t0)
        return seconds, loss

    libs = blas_libraries()
    info = {"torch_version": torch.__version__, "python": sys.executable, "threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(), "attention": "sdpa" if sdpa else "explicit softmax",
            "params": n_params, "blas_libraries": libs, "openblas": openblas_info(libs),
            "openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE", ""),
            "omp_num_threads_env": os.environ.get("OMP_NUM_THREADS", ""),
            "config_show": torch.__config__.show(), "parallel_info": torch.__config__.parallel_info()}

    if a.serve:
        print(json.dumps(dict(info, event="ready")), flush=True)
        for line in sys.stdin:
            cmd = line.split()
            if not cmd or cmd[0] == "quit":
                break
            if cmd[0] == "run" and len(cmd) == 2:
                seconds, loss = run(int(cmd[1]))
                print(json.dumps({"event": "round", "step_seconds": seconds, "loss": loss}), flush=True)
            else:
                print(json.dumps({"error": "bad_command", "detail": line.strip()}), flush=True)
        return

    run(a.warmup)
    if a.profile:
        with torch.autograd.profiler.profile() as prof:
            seconds, loss = run(a.steps)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=20), file=sys.stderr)
    else:
        seconds, loss = run(a.steps)
    median = statistics.median(seconds)
    print(json.dumps(dict(info, event="result", step_seconds=seconds, loss=loss,
                          tokens_per_s=B * T / median)), flush=True)


if __name__ == "__main__":
    main()
