"""Per-kernel wall-time breakdown of jdlm's training step from JFR execution samples.

Record and print:
  JDLM_JAVA_OPTS="-XX:StartFlightRecording=filename=train.jfr,settings=profile" ./jdlm bench train
  jfr print --events jdk.ExecutionSample --stack-depth 30 train.jfr > samples.txt
  python3 scripts/jfr-train-breakdown.py samples.txt [last_seconds]
Uses the main thread for wall time: it takes part in every parallel region and runs all serial
work. last_seconds keeps only the end of the recording (the timed steps, after JIT warm-up).
"""
import re, sys, collections, datetime
text = open(sys.argv[1]).read()
last = float(sys.argv[2]) if len(sys.argv) > 2 else None
verbose = "-v" in sys.argv
events = []
for blk in text.split("jdk.ExecutionSample {")[1:]:
    m = re.search(r"startTime = (\d+):(\d+):(\d+\.\d+)", blk)
    t = int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])
    th = re.search(r'sampledThread = "([^"]*)"', blk)[1]
    frames = re.findall(r"^\s{4}(\S+?)\(", blk, re.M)
    lines = re.findall(r"^\s{4}(\S+?)\(.*?(?:line: (\d+))?$", blk, re.M)
    events.append((t, th, frames, lines))
if max(e[0] for e in events) - min(e[0] for e in events) > 12 * 3600:  # the recording crossed midnight
    events = [(t + 86400 if t < 12 * 3600 else t, th, f, l) for t, th, f, l in events]
tend = max(e[0] for e in events)
GEMM_DX, GEMM_DW = 240, 241  # the two Gemm.gemm lines of Transformer.linearBackward (dx = dy·W, dW += dyᵀ·x)
if last: events = [e for e in events if e[0] >= tend - last]

def gemm_backward_part(lines):
    for name, line in lines:
        if name.endswith("Transformer.linearBackward"):
            return {str(GEMM_DX): " dx = dy·W", str(GEMM_DW): " dW += dyᵀ·x"}.get(line, "")
    return ""

def classify(frames, lines):
    fallback = any(f.startswith("jdk.internal.vm.vector.VectorSupport") for f in frames[:3])
    kernel = next((f for f in frames if f.startswith("jdlm.")), None)
    ctx = [f for f in frames if f.startswith("jdlm.model") or f.startswith("jdlm.train")]
    c0 = ctx[0] if ctx else ""
    if kernel is None: return "other (JVM/JDK)", fallback
    k = kernel.split(".")[2] if kernel.count(".") >= 2 else kernel
    if k.startswith("Gemm"):
        if "linearBackward" in c0: return "GEMM backward" + gemm_backward_part(lines), fallback
        if "Transformer" in c0: return "GEMM forward", fallback
        return "GEMM (other)", fallback
    if k.startswith("Attention"): return ("attention backward" if "backward" in kernel or "blockBackward" in c0 else "attention forward"), fallback
    if k.startswith("Softmax"): return ("attention backward" if "backward" in kernel else "attention forward"), fallback
    if k.startswith("RmsNorm"): return "RMSNorm fwd+bwd", fallback
    if k.startswith("SwiGlu"): return "SwiGLU fwd+bwd", fallback
    if k.startswith("Rope"): return "RoPE fwd+bwd", fallback
    if k.startswith("CrossEntropy") or "WeightedCrossEntropy" in kernel: return "cross-entropy (+SUBS)", fallback
    if "AdamW.lambda$step" in kernel or "AdamW.step" in kernel: return "AdamW update", fallback
    if "clipGlobalNorm" in kernel: return "grad-norm clip", fallback
    if k.startswith("ThreadPool"): return "pool wait/spin", fallback
    if "Transformer" in kernel:
        if frames[0].startswith("java.util.Arrays.fill"): return "fills (zeroing)", fallback
        if "embed" in kernel or "Transformer.backward" in kernel: return "embedding fwd+bwd / residual copies", fallback
        return "Transformer glue (copies, fills)", fallback
    if "Trainer" in kernel:
        if frames[0].startswith("java.util.Arrays.fill"): return "fills (zeroing)", fallback
        return "batch + corruption", fallback
    if "Objective" in kernel or "noise" in kernel or "BenchTrain" in kernel: return "batch + corruption", fallback
    return kernel, fallback

for label, sel in (("main thread (wall time)", lambda th: th == "main"), ("all threads (CPU time)", lambda th: True)):
    cnt = collections.Counter(); fb = collections.Counter(); top = collections.defaultdict(collections.Counter); n = 0
    for t, th, frames, lines in events:
        if not sel(th): continue
        c, f = classify(frames, lines); cnt[c] += 1; n += 1
        top[c][next((x for x in frames if x.startswith("jdlm.")), frames[0] if frames else "?")] += 1
        if f: fb[c] += 1
    print(f"== {label}: {n} samples" + (f" (last {last:.0f} s)" if last else ""))
    for c, k in cnt.most_common():
        print(f"  {c:40s} {k:6d} {100*k/n:5.1f}%" + (f"   ({fb[c]} in non-intrinsified Vector API frames)" if fb[c] else ""))
        if verbose and k >= n / 20:
            for fr, kk in top[c].most_common(4): print(f"      {fr:60s} {100*kk/k:5.1f}%")
