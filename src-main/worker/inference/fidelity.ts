/**
 * Fidelity <-> realism: a point on the line between the posterior mean m (most faithful, lambda = 0)
 * and the flow result x_K (PMRF's realistic output, lambda = 1). For MSE and perception the optimal
 * estimators lie on such a line (Freirich, Michaeli and Meir, NeurIPS 2021), and it costs nothing:
 * both ends are already computed.
 */
export function blendFidelity(mean: Float32Array, flow: Float32Array, lambda: number): Float32Array {
  if (mean.length !== flow.length) throw new Error(`blendFidelity: mean has ${mean.length} values, flow ${flow.length}`);
  if (!(lambda >= 0 && lambda <= 1)) throw new Error(`blendFidelity: fidelity ${lambda} is not in [0, 1]`);
  // The ends are returned as they are, so lambda = 1 is bit-identical to the flow result.
  if (lambda === 1) return flow;
  if (lambda === 0) return mean;
  const out = new Float32Array(mean.length);
  for (let i = 0; i < out.length; i++) out[i] = (1 - lambda) * mean[i] + lambda * flow[i];
  return out;
}
