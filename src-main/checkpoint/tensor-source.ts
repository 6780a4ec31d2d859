/** Element types a checkpoint may hold (safetensors names). */
export type DType = 'F32' | 'F16' | 'BF16' | 'I64';

export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
}

/** A tensor's values. Floating tensors are widened to float32; I64 stays BigInt64Array. */
export type TensorData = Float32Array | BigInt64Array;

/**
 * A named set of tensors read one at a time (a safetensors file, or the formula-generated
 * test checkpoint). Graph builders only ever see this interface, so a 923 MB checkpoint is
 * never held in memory as a whole.
 */
export interface TensorSource {
  /** Every tensor's name, dtype and shape, in file order. */
  list(): TensorInfo[];
  info(name: string): TensorInfo | undefined;
  /** Reads one tensor from disk (or generates it). Throws a clear error when it is absent. */
  read(name: string): Promise<TensorData>;
  close(): Promise<void>;
}
