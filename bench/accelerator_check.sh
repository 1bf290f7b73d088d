#!/usr/bin/env bash
# The prepared accelerator check (issue 23 item 5), sized for at most about 8 minutes on one GPU:
#
#   bash bench/accelerator_check.sh [DATA] [OUT]     # DATA: the full X-ray set; OUT: logs and tables (bench/results/accelerator)
#
# 1. the device (nvidia-smi);
# 2. the gpu preset's Stage 1 on the full data, $STEPS steps under JAX and under TensorFlow (bench/compare.py: views/s,
#    the model's FLOP rate against the device's measured matmul peak), and lightly/PyTorch on the same network side by
#    side when a Python with lightly is found ($LIGHTLY_PYTHON, or this one);
# 3. every command smoke-run with the preset's model (one epoch or a few steps, 1 % labels, one seed) under JAX.
# It needs the package with its dependencies (TensorFlow included: tf.data feeds every backend). PRESET=smoke
# runs the same plumbing on a CPU in a few minutes.
set -uo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data/chest_xray}; OUT=${2:-bench/results/accelerator}; STEPS=${STEPS:-200}; PRESET=${PRESET:-gpu}
mkdir -p "$OUT"
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1
step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }

step "device"
(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no NVIDIA GPU") | tee "$OUT/device.txt"
python -c "import jax; print('jax devices:', jax.devices())" 2>/dev/null | tee -a "$OUT/device.txt"

step "Stage 1 throughput ($PRESET preset, $STEPS steps, real X-rays)"
LIGHTLY=${LIGHTLY_PYTHON:-$(python -c "import lightly, sys; print(sys.executable)" 2>/dev/null)}
timeout 360 python bench/compare.py --preset "$PRESET" --data "$DATA" --backends jax,tensorflow --steps "$STEPS" \
  --warmup 5 ${LIGHTLY:+--lightly-python "$LIGHTLY"} | tee "$OUT/stage1.md"

step "every command, smoke-sized, with the $PRESET preset's model"
SMOKE=(--set "subset_seeds=[0]" --set "percents=[1]" --set "baseline_percents=[1]" --set pretrain_epochs=1
       --set finetune_epochs=1 --set finetune_steps=3 --set distill_epochs=1 --set baseline_full_epochs=1
       --set fixmatch_epochs=1 --set fixmatch_steps=3 --set mt_pretrain_epochs=1 --set recon_epochs=1
       --set "al_targets=[2]" --set knn_every=1)
for cmd in run fixmatch fixmatch_stage1 meanteacher reconstruct active; do
  KERAS_BACKEND=jax timeout 300 semisuper "$cmd" --data "$DATA" --preset "$PRESET" --protocol official \
    --out "$OUT/smoke-run" "${SMOKE[@]}" --quiet > "$OUT/smoke-$cmd.log" 2>&1
  echo "semisuper $cmd: exit $? ($SECONDS s so far)"
done | tee "$OUT/smoke.txt"
step "done"
