#!/usr/bin/env bash
# Every comparison of results/COMPARISON.md on the full data, one step (method, protocol, subset seed, label
# fraction) per invocation, published into results/ after each, so a working session that stops loses at most the
# step in progress (which resumes from its last finished epoch). Published steps are skipped, so run it again to go on;
# commit results/ whenever a step has been published.
#   usage: tools/run_comparisons.sh [DATA] [PRESET] [METHODS] [PROTOCOLS]
#          (defaults: ../shared/data/chest_xray cpu "fixmatch meanteacher reconstruct active" "remix patient")
#   e.g.   KERAS_BACKEND=tensorflow nohup tools/run_comparisons.sh > runs/comparisons.log 2>&1 &
# ACTIVE_STRATEGIES picks active learning's strategies (default all five); with two classes margin ranks as entropy
# does (nbs/12_active asserts it), so ACTIVE_STRATEGIES="random entropy augvar kcenter" skips a repeated row.
set -euo pipefail
data=${1:-../shared/data/chest_xray}
preset=${2:-cpu}
methods=${3:-fixmatch meanteacher reconstruct active}
protocols=${4:-remix patient}
export KERAS_BACKEND=${KERAS_BACKEND:-tensorflow}
strategies=${ACTIVE_STRATEGIES:-random entropy margin augvar kcenter}

record() {  # the run folder of a protocol where this machine has one, else its published record
  if [ -f "runs/$preset-$1/config.json" ]; then echo "runs/$preset-$1"; else echo "results/$preset-$1"; fi
}
publish() {  # every protocol this machine or results/ has, not only those run now: one report and comparison of all
  local records=() published=() protocol
  for protocol in remix patient $(ls -d runs/"$preset"-*/ results/"$preset"-*/ 2> /dev/null | xargs -rn1 basename | sed "s/^$preset-//"); do
    [ -d "runs/$preset-$protocol" ] || [ -d "results/$preset-$protocol" ] || continue
    [[ " ${published[*]:-} " == *" results/$preset-$protocol "* ]] && continue  # listed already
    records+=("$(record "$protocol")"); published+=("results/$preset-$protocol")
  done
  semisuper report "${records[@]}" --out results --no-embeddings > /dev/null
  semisuper compare "${published[@]}" --out results | tail -n 2
}
published() {  # published METHOD PROTOCOL SEED [PERCENT]: is the step in the published record? (run folders do not
  # outlive a session). A step is a row's (stage, subset seed, label fraction), as in semisuper.report; no PERCENT
  # matches any fraction (active learning's is its config's budget).
  python3 -c 'import json, sys; m, p, s, f, preset = sys.argv[1:]
rows = json.load(open(f"results/{preset}-{p}/results.json"))
sys.exit(not any(r["stage"] == m and r["subset_seed"] == int(s) and f in ("", str(r["percent"])) for r in rows))' \
    "$1" "$2" "$3" "${4:-}" "$preset" 2> /dev/null
}
step() {  # step METHOD PROTOCOL SEED PERCENT
  if published "$@"; then return; fi
  echo "== $(date -u +%H:%M) $1 $2 subset $3, $4 %"
  semisuper "$1" --data "$data" --preset "$preset" --protocol "$2" --out "runs/$preset-$2" --quiet \
    --set "subset_seeds=[$3]" --set "percents=[$4]" | tail -n 3
  publish
}

for method in $methods; do
  case $method in
    fixmatch)  # no pretraining: seed by seed on both protocols, so n = 1 everywhere comes first
      for seed in 0 1 2; do for protocol in $protocols; do
        for percent in 1 2 5; do step "$method" "$protocol" "$seed" "$percent"; done
      done; done ;;
    meanteacher|reconstruct)  # protocol by protocol: the run's one pretraining serves its nine steps, and a session
      # that stops rebuilds (each row names its pretraining) at most one protocol's
      for protocol in $protocols; do for seed in 0 1 2; do
        for percent in 1 2 5; do step "$method" "$protocol" "$seed" "$percent"; done
      done; done ;;
    active)  # from the run's Stage 1 model, rebuilt where this machine lacks it (each row names its pretraining)
      for protocol in $protocols; do for seed in 0 1 2; do
        for strategy in $strategies; do
          if published "active_$strategy" "$protocol" "$seed"; then continue; fi
          echo "== $(date -u +%H:%M) active learning ($strategy) $protocol subset $seed"
          semisuper pretrain --data "$data" --preset "$preset" --protocol "$protocol" --out "runs/$preset-$protocol" --quiet | tail -n 1
          semisuper active --data "$data" --preset "$preset" --protocol "$protocol" --out "runs/$preset-$protocol" --quiet \
            --set "subset_seeds=[$seed]" --set "al_strategies=[\"$strategy\"]" | tail -n 3
          publish
        done
      done; done ;;
    *) echo "unknown method $method (fixmatch, meanteacher, reconstruct, active)" >&2; exit 2 ;;
  esac
done
