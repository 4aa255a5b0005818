#!/usr/bin/env bash
# Reproduces the bundled models: the masked diffusion model (models/default) and its autoregressive
# twin (models/default-ar), same size, tokenizer and token budget, trained on Jane Austen's novels
# (../shared/data/austen_train.txt) and validated on Persuasion (austen_valid.txt, never trained on).
# Each run pins itself to one core so both train at once on a 2-core machine.
# Eight stages, each resuming the last (--resume keeps weights, optimizer and data order): the
# learning rate follows a cosine over each stage's total (1,200, 2,400, 4,600, 6,800, 9,200, 11,600,
# 14,000, then 16,400 steps), so it restarts warm at each stage — the schedule the bundled weights were trained
# with.
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data
[[ -f $data/austen_train.txt ]] || { echo "needs $data/austen_train.txt (the shared corpora)" >&2; exit 1; }
./jdlm --version >/dev/null   # build once before the two runs start
mkdir -p runs
for objective in mdlm ar; do
  cpu=$([[ $objective == mdlm ]] && echo 1 || echo 0)
  (
    export JDLM_JAVA_OPTS="-Djdlm.threads=1"
    taskset -c "$cpu" ./jdlm train \
      --data $data/austen_train.txt --val $data/austen_valid.txt --out "runs/austen-$objective" \
      --objective "$objective" --preset small --steps 1200 --batch 16 --seq 256 --lr 1.5e-3 --warmup 60 \
      --eval-every 200 --eval-batches 4 --checkpoint-every 100 --seed 1 --keep-best
    for steps in 2400 4600 6800 9200 11600 14000 16400; do
      taskset -c "$cpu" ./jdlm train --out "runs/austen-$objective" --resume --steps $steps
    done
  ) > "runs/austen-$objective.log" 2>&1 &
done
wait
./jdlm convert runs/austen-mdlm models/default --type bf16
./jdlm convert runs/austen-ar models/default-ar --type bf16
for m in models/default models/default-ar; do
  ./jdlm eval --model "$m" --data $data/austen_valid.txt --max-sequences 64 --json > "$m/eval.json"
done
