#!/usr/bin/env bash
# The real-GPU check of issue 9, prepared for a machine with a GPU (at most ~8 minutes): what the
# machine offers, then the engine bench on WebGPU at 512 in fp32 and fp16 (per pass, per face at
# K = 1, 5, 25, the plain-MatMul rate on WebGPU, and the ratio to the FLOP bound given).
#   bench/gpu-webgpu.sh <peak fp32 TFLOP/s> <peak fp16 TFLOP/s> [vectors dir]
# Every figure it prints is measured on that machine; nothing is estimated except the lines the
# bench labels "GPU estimate".
set -euo pipefail
cd "$(dirname "$0")/.."
fp32=${1:?peak fp32 TFLOP/s of the GPU (data sheet)}
fp16=${2:?peak fp16 TFLOP/s of the GPU (data sheet)}
vectors=${3:-${HEIRLOOM_SHARED:-../shared}/pmrf/vectors/full}
echo "> heirloom devices"
timeout 60 node bin/heirloom.mjs devices || true
for p in fp32 fp16; do
  peak=$fp32; [ "$p" = fp16 ] && peak=$fp16
  echo "> bench:engine --device webgpu --precision $p"
  timeout 200 node --import tsx bench/engine.ts --device webgpu --precision "$p" --vectors "$vectors" --peak-tflops "$peak" || echo "(bench $p stopped: exit $?)"
done
