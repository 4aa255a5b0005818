#!/usr/bin/env bash
# Reproduces the bundled models: the masked diffusion model (models/default) and its autoregressive
# twin (models/default-ar), same size and tokenizer, trained on Jane Austen's novels
# (../shared/data/austen_train.txt) and validated on Persuasion (austen_valid.txt, never trained on).
#
# Stage 1: an autoregressive model over a byte-level BPE of 3,072 ids learned from the training text
# (bpe:3072), 1,200 steps of 16 × 256 tokens, the learning rate a cosine from 1.5e-3 to 1.5e-4 after
# 60 warm-up steps (about an hour on one core). Its weights are the AR twin: trained on past this
# point (the script's stage 2 "ar" run, kept for the comparison) it only overfits the 1 M tokens.
# Stage 2: the masked model starts from stage 1 (--objective mdlm adapts the causal model to
# diffusion as Dream did: bidirectional attention, logits shifted by one), 800 steps, cosine from
# 5e-4, fresh AdamW; beside it, on the other core, the twin trained on with the same recipe.
# Stage 3: the masked model 1,600 steps more (cosine from 5e-4 again, seed 2, EMA kept but not
# used): masked diffusion goes on gaining from repeated data where the AR model overfits.
# A masked model trained from scratch on this BPE sat at the unigram level for 1,200 steps;
# adapted, it leaves it in its first steps. About 3 hours on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data
[[ -f $data/austen_train.txt ]] || { echo "needs $data/austen_train.txt (the shared corpora)" >&2; exit 1; }
./jdlm --version >/dev/null   # build once before the runs start
mkdir -p runs
export JDLM_JAVA_OPTS="-Djdlm.threads=1"
common=(--data $data/austen_train.txt --val $data/austen_valid.txt --batch 16 --seq 256 --warmup 60
        --eval-batches 4 --checkpoint-every 100 --tokenizer bpe:3072)

taskset -c 0 ./jdlm train "${common[@]}" --out runs/austen-base --objective ar --seed 1 \
  --preset small --steps 1200 --lr 1.5e-3 --eval-every 200 > runs/austen-base.log 2>&1

for objective in mdlm ar; do
  cpu=$([[ $objective == mdlm ]] && echo 1 || echo 0)
  taskset -c "$cpu" ./jdlm train "${common[@]}" --out "runs/austen-$objective" --objective "$objective" --seed 1 \
    --init-from runs/austen-base --steps 800 --lr 5e-4 --eval-every 100 > "runs/austen-$objective.log" 2>&1 &
done
wait
taskset -c 1 ./jdlm train "${common[@]}" --out runs/austen-mdlm-more --objective mdlm --seed 2 --ema 0.999 \
  --init-from runs/austen-mdlm --steps 1600 --lr 5e-4 --eval-every 200 > runs/austen-mdlm-more.log 2>&1

./jdlm convert runs/austen-mdlm-more models/default --type bf16
./jdlm convert runs/austen-base models/default-ar --type bf16
for pair in mdlm-more:default base:default-ar; do   # the run's config (paths made relative) and loss curve
  run=runs/austen-${pair%%:*} m=models/${pair##*:}
  cp "$run/loss.svg" "$m/loss.svg"
  sed "s|$PWD/||g" "$run/config.json" > "$m/config.json"
done
for m in models/default models/default-ar; do
  ./jdlm eval --model "$m" --data $data/austen_valid.txt --max-sequences 64 --json > "$m/eval.json"
done
./jdlm eval --model runs/austen-ar --data $data/austen_valid.txt --max-sequences 64 --json > runs/austen-ar-eval.json   # the overfit twin, for the card
