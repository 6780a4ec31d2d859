/**
 * The tensors a network build needs, checked against a checkpoint before anything is built.
 * Each builder lists its tensors (`TensorSpec[]`); `CheckpointWeights` validates all of them
 * at once (one error listing every mismatch) and then serves only listed tensors, so a builder
 * cannot read a tensor its list forgot.
 */
import { UserError } from '../../util/errors.ts';
import type { DType, TensorData, TensorSource } from '../../checkpoint/tensor-source.ts';

export interface TensorSpec {
  name: string;
  shape: number[];
  dtype: DType | 'float';
  /** Not required: the builder computes it when absent or unusable (e.g. SwinIR attn masks). */
  optional?: boolean;
}

const FLOAT_DTYPES: DType[] = ['F32', 'F16', 'BF16'];

export class CheckpointWeights {
  private readonly specs = new Map<string, TensorSpec>();

  private constructor(
    private readonly source: TensorSource,
    specs: TensorSpec[],
  ) {
    for (const s of specs) this.specs.set(s.name, s);
  }

  /** Validates every spec against the source; throws one UserError listing all problems. */
  static check(source: TensorSource, specs: TensorSpec[], origin: string): CheckpointWeights {
    const problems: string[] = [];
    for (const spec of specs) {
      const info = source.info(spec.name);
      if (info === undefined) {
        if (!spec.optional) problems.push(`missing ${spec.name} [${spec.shape}]`);
        continue;
      }
      const dtypeOk = spec.dtype === 'float' ? FLOAT_DTYPES.includes(info.dtype) : info.dtype === spec.dtype;
      if (!dtypeOk) problems.push(`${spec.name}: dtype ${info.dtype}, expected ${spec.dtype === 'float' ? 'F32/F16/BF16' : spec.dtype}`);
      const shapeOk = info.shape.length === spec.shape.length && info.shape.every((d, i) => d === spec.shape[i]);
      if (!shapeOk && !spec.optional) problems.push(`${spec.name}: shape [${info.shape}], expected [${spec.shape}]`);
    }
    if (problems.length > 0) {
      const shown = problems.slice(0, 40).join('\n  ');
      const more = problems.length > 40 ? `\n  ... and ${problems.length - 40} more` : '';
      throw new UserError(`${origin} does not match the architecture (${problems.length} problems):\n  ${shown}${more}`);
    }
    return new CheckpointWeights(source, specs);
  }

  /** True when an optional tensor is present with the listed shape. */
  has(name: string): boolean {
    const spec = this.specs.get(name);
    const info = this.source.info(name);
    return spec !== undefined && info !== undefined && info.shape.length === spec.shape.length && info.shape.every((d, i) => d === spec.shape[i]);
  }

  async float(name: string): Promise<Float32Array> {
    this.assertListed(name);
    const data = await this.source.read(name);
    if (!(data instanceof Float32Array)) throw new Error(`${name} is not a float tensor`);
    return data;
  }

  async int64(name: string): Promise<BigInt64Array> {
    this.assertListed(name);
    const data: TensorData = await this.source.read(name);
    if (!(data instanceof BigInt64Array)) throw new Error(`${name} is not an int64 tensor`);
    return data;
  }

  private assertListed(name: string): void {
    if (!this.specs.has(name)) throw new Error(`internal: builder read ${name}, which its tensor list does not declare`);
  }
}
