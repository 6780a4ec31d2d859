/**
 * A small builder for ONNX graphs. Networks are written as calls on a `GraphBuilder`; the
 * protobuf encoding is done by protobufjs with the generated ONNX classes from `onnx-proto`
 * (no hand-written protobuf). Large initializers go to an external weights file next to the
 * model, so a 700 MB network is never encoded into one protobuf message.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { float32ToFloat16Bits } from './float16.ts';

const { onnx } = onnxProto;

export type ElemType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool';

const ELEM_CODE: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};
const CODE_ELEM = new Map(Object.entries(ELEM_CODE).map(([k, v]) => [v, k as ElemType]));

/** A tensor-valued edge of the graph. */
export interface Value {
  readonly name: string;
}

/** A float attribute (plain numbers are ints, so floats are marked explicitly). */
export interface FloatAttr {
  readonly float: number;
}
export const f = (value: number): FloatAttr => ({ float: value });

export type AttrValue = number | number[] | string | FloatAttr | { readonly floats: number[] };

/** ONNX opset the builders target (Gelu needs 20, ReduceMean with an axes input 18). */
export const OPSET = 21;
const IR_VERSION = 10;
/** Initializers above this size go to the external weights file. */
const EXTERNAL_THRESHOLD_BYTES = 1024;
const EXTERNAL_ALIGNMENT = 64;

/** Appends initializer bytes to the weights file that the model references. */
export class ExternalWeightsFile {
  private fd: number | null;
  private offset = 0;

  /** `location` is the file name as written in the model (relative to the model file). */
  constructor(
    readonly filePath: string,
    readonly location: string,
  ) {
    this.fd = openSync(filePath, 'w');
  }

  append(bytes: Uint8Array): { offset: number; length: number } {
    if (this.fd === null) throw new Error('weights file already closed');
    const pad = (EXTERNAL_ALIGNMENT - (this.offset % EXTERNAL_ALIGNMENT)) % EXTERNAL_ALIGNMENT;
    if (pad > 0) {
      writeSync(this.fd, new Uint8Array(pad));
      this.offset += pad;
    }
    const at = this.offset;
    let written = 0;
    while (written < bytes.byteLength) written += writeSync(this.fd, bytes, written, bytes.byteLength - written);
    this.offset += bytes.byteLength;
    return { offset: at, length: bytes.byteLength };
  }

  get size(): number {
    return this.offset;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

export interface GraphBuilderOptions {
  name: string;
  /** Element type of the network's float tensors (weights and activations). */
  floatType: 'float32' | 'float16';
  /** Where large initializers go; without it every initializer is stored inline. */
  weights?: ExternalWeightsFile;
  /**
   * float16 builds: operator types computed in float32 anyway (their float16 inputs cast up,
   * their outputs cast back), for providers whose float16 kernels accumulate in float16.
   */
  keepFloat32?: readonly string[];
  /** Conv input channels are zero-padded to a multiple of this (default 1: none). */
  convChannelMultiple?: number;
}

type Dim = number | string;

interface PendingNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  name: string;
}

export class GraphBuilder {
  readonly floatType: 'float32' | 'float16';
  readonly convChannelMultiple: number;
  private readonly nodes: PendingNode[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly constCache = new Map<string, Value>();
  private readonly usedNames = new Set<string>();
  private counter = 0;
  private scopeStack: string[] = [];
  /** Element type of every value whose type is known (inputs, initializers, node outputs). */
  private readonly types = new Map<string, ElemType>();
  private readonly keepFloat32: ReadonlySet<string>;
  private computingInFloat32 = false;
  /** float16 outputs of kept operators -> the float32 values they were cast from. */
  private readonly float32Source = new Map<string, string>();

  constructor(private readonly options: GraphBuilderOptions) {
    this.floatType = options.floatType;
    this.convChannelMultiple = options.convChannelMultiple ?? 1;
    this.keepFloat32 = new Set(options.floatType === 'float16' ? (options.keepFloat32 ?? []) : []);
  }

  /** The element type a node's outputs get, from its inputs (enough for the operators used here). */
  private outputType(opType: string, inputs: string[], attrs: Record<string, AttrValue>): ElemType | undefined {
    if (opType === 'Cast') return CODE_ELEM.get(attrs.to as number);
    if (opType === 'Shape') return 'int64';
    if (opType === 'Equal' || opType === 'Less' || opType === 'Greater' || opType === 'Not') return 'bool';
    if (opType === 'Where') return this.types.get(inputs[1]);
    return this.types.get(inputs[0]);
  }

  /** Runs `fn` with node names prefixed by `name` (readable graphs and error messages). */
  scope<T>(name: string, fn: () => T): T {
    this.scopeStack.push(name);
    try {
      return fn();
    } finally {
      this.scopeStack.pop();
    }
  }

  private fresh(hint: string): string {
    const base = [...this.scopeStack, hint].join('/');
    let name = base;
    while (this.usedNames.has(name)) name = `${base}_${++this.counter}`;
    this.usedNames.add(name);
    return name;
  }

  input(name: string, type: ElemType, shape: Dim[]): Value {
    this.usedNames.add(name);
    this.types.set(name, type);
    this.inputs.push(valueInfo(name, type, shape));
    return { name };
  }

  output(value: Value, name: string, type: ElemType, shape: Dim[]): void {
    const v = this.op('Identity', [value], {}, name);
    this.outputs.push(valueInfo(v.name, type, shape));
  }

  /** Adds a node with one output. */
  op(opType: string, inputs: (Value | null)[], attrs: Record<string, AttrValue> = {}, outName?: string): Value {
    return this.opN(opType, inputs, 1, attrs, outName)[0];
  }

  /** Adds a node with `nOutputs` outputs. A null input is an omitted optional input. */
  opN(opType: string, inputs: (Value | null)[], nOutputs: number, attrs: Record<string, AttrValue> = {}, outName?: string): Value[] {
    if (!this.computingInFloat32 && this.keepFloat32.has(opType) && inputs.some((v) => v !== null && this.types.get(v.name) === 'float16')) return this.opInFloat32(opType, inputs, nOutputs, attrs, outName);
    const name = this.fresh(opType);
    const outputs: string[] = [];
    for (let i = 0; i < nOutputs; i++) {
      const o = outName !== undefined && i === 0 ? outName : `${name}:${i}`;
      this.usedNames.add(o);
      outputs.push(o);
    }
    const inputNames = inputs.map((v) => (v === null ? '' : v.name));
    this.nodes.push({ opType, inputs: inputNames, outputs, attrs, name });
    const type = this.outputType(opType, inputNames, attrs);
    if (type !== undefined) for (const o of outputs) this.types.set(o, type);
    return outputs.map((o) => ({ name: o }));
  }

  /**
   * `opType` with its float16 inputs cast to float32 and its float outputs cast back. An input
   * that is the cast-back output of another such operator is taken in float32 directly, so a
   * chain of kept operators is not rounded to float16 between them.
   */
  private opInFloat32(opType: string, inputs: (Value | null)[], nOutputs: number, attrs: Record<string, AttrValue>, outName?: string): Value[] {
    const up = inputs.map((v) => {
      if (v === null || this.types.get(v.name) !== 'float16') return v;
      const f32 = this.float32Source.get(v.name);
      return f32 !== undefined ? { name: f32 } : this.opN('Cast', [v], 1, { to: ELEM_CODE.float32 })[0];
    });
    this.computingInFloat32 = true;
    let outs: Value[];
    try {
      outs = this.opN(opType, up, nOutputs, attrs);
    } finally {
      this.computingInFloat32 = false;
    }
    return outs.map((o, i) => {
      if (this.types.get(o.name) !== 'float32') return o;
      const down = this.opN('Cast', [o], 1, { to: ELEM_CODE.float16 }, i === 0 ? outName : undefined)[0];
      this.float32Source.set(down.name, o.name);
      return down;
    });
  }

  /** A float initializer stored in the network's float type. */
  weight(name: string, data: Float32Array, dims: number[]): Value {
    return this.tensor(name, this.floatType, data, dims);
  }

  /** A float32 initializer whatever the network's float type (e.g. normalisation parameters). */
  weightF32(name: string, data: Float32Array, dims: number[]): Value {
    return this.tensor(name, 'float32', data, dims);
  }

  /** An initializer of any type. Float data is converted to `type`. */
  tensor(name: string, type: ElemType, data: Float32Array | BigInt64Array | Int32Array | Uint8Array, dims: number[]): Value {
    const n = dims.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new Error(`initializer ${name}: ${data.length} values for shape [${dims}]`);
    const bytes = encodeElements(type, data);
    const tensorName = this.fresh(name);
    const proto = new onnx.TensorProto({ name: tensorName, dims, dataType: ELEM_CODE[type] });
    if (this.options.weights !== undefined && bytes.byteLength > EXTERNAL_THRESHOLD_BYTES) {
      const { offset, length } = this.options.weights.append(bytes);
      proto.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      proto.externalData = [
        { key: 'location', value: this.options.weights.location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(length) },
      ];
    } else {
      proto.rawData = bytes;
    }
    this.initializers.push(proto);
    this.types.set(tensorName, type);
    return { name: tensorName };
  }

  /** A cached int64 constant (shapes, axes, indices). */
  ints(values: number[], dims: number[] = [values.length]): Value {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const v = this.tensor('const_i64', 'int64', BigInt64Array.from(values, (x) => BigInt(x)), dims);
    this.constCache.set(key, v);
    return v;
  }

  /** A cached float scalar in the network's float type (or float32). */
  scalar(value: number, type: 'float32' | 'float16' = this.floatType): Value {
    const key = `${type}:${value}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const v = this.tensor('const_scalar', type, Float32Array.of(value), []);
    this.constCache.set(key, v);
    return v;
  }

  /** Serialises the model. Call after every node is added. */
  encode(metadata: Record<string, string> = {}): Uint8Array {
    const graph = new onnx.GraphProto({
      name: this.options.name,
      node: this.nodes.map((n) =>
        new onnx.NodeProto({
          name: n.name,
          opType: n.opType,
          input: n.inputs,
          output: n.outputs,
          attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v)),
        }),
      ),
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    });
    const model = new onnx.ModelProto({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'heirloom',
      graph,
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    });
    return onnx.ModelProto.encode(model).finish();
  }

  get nodeCount(): number {
    return this.nodes.length;
  }
}

function valueInfo(name: string, type: ElemType, shape: Dim[]): InstanceType<typeof onnx.ValueInfoProto> {
  return new onnx.ValueInfoProto({
    name,
    type: {
      tensorType: {
        elemType: ELEM_CODE[type],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

function attribute(name: string, v: AttrValue): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: ${v} is not an integer; use f(${v}) for floats`);
    return new onnx.AttributeProto({ name, type: T.INT, i: v });
  }
  if (typeof v === 'string') return new onnx.AttributeProto({ name, type: T.STRING, s: new TextEncoder().encode(v) });
  if (Array.isArray(v)) return new onnx.AttributeProto({ name, type: T.INTS, ints: v });
  if ('float' in v) return new onnx.AttributeProto({ name, type: T.FLOAT, f: v.float });
  return new onnx.AttributeProto({ name, type: T.FLOATS, floats: v.floats });
}

function encodeElements(type: ElemType, data: Float32Array | BigInt64Array | Int32Array | Uint8Array): Uint8Array {
  const asBytes = (a: ArrayBufferView) => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  switch (type) {
    case 'float32':
      if (!(data instanceof Float32Array)) throw new Error('float32 initializer needs Float32Array data');
      return asBytes(data);
    case 'float16':
      if (!(data instanceof Float32Array)) throw new Error('float16 initializer needs Float32Array data');
      return asBytes(float32ToFloat16Bits(data));
    case 'int64':
      if (!(data instanceof BigInt64Array)) throw new Error('int64 initializer needs BigInt64Array data');
      return asBytes(data);
    case 'int32':
      if (!(data instanceof Int32Array)) throw new Error('int32 initializer needs Int32Array data');
      return asBytes(data);
    case 'bool':
      if (!(data instanceof Uint8Array)) throw new Error('bool initializer needs Uint8Array data');
      return asBytes(data);
  }
}
