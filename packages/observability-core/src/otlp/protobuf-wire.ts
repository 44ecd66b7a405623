import { ObservabilityError } from "../errors/observability-error";
import { utf8Length } from "../export/utf8-length";

/** Protobuf wire types used by OTLP. */
export const WireType = { VARINT: 0, FIXED64: 1, LENGTH_DELIMITED: 2, FIXED32: 5 } as const;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: false });

/**
 * A small protobuf writer: varints, fixed 32/64-bit, doubles, strings, bytes and nested messages
 * (`fork` / `join`, which moves the nested bytes once to make room for their length). Enough for
 * OTLP's messages, and far smaller than a general protobuf runtime.
 */
export class ProtobufWriter {
  private buffer = new Uint8Array(4096);
  private view = new DataView(this.buffer.buffer);
  private position = 0;
  private readonly starts: number[] = [];

  finish(): Uint8Array<ArrayBuffer> {
    return this.buffer.slice(0, this.position);
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** A non-negative integer below 2^53. */
  varint(value: number): void {
    this.reserve(10);
    let remaining = value;
    while (remaining >= 0x80) {
      this.buffer[this.position++] = (remaining % 0x80) | 0x80;
      remaining = Math.floor(remaining / 0x80);
    }
    this.buffer[this.position++] = remaining;
  }

  /** A signed 64-bit integer (`int64`: two's complement, 10 bytes when negative). */
  int64(value: bigint): void {
    this.reserve(10);
    let remaining = BigInt.asUintN(64, value);
    while (remaining >= 0x80n) {
      this.buffer[this.position++] = Number(remaining & 0x7fn) | 0x80;
      remaining >>= 7n;
    }
    this.buffer[this.position++] = Number(remaining);
  }

  fixed32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.position, value >>> 0, true);
    this.position += 4;
  }

  fixed64(value: bigint): void {
    this.reserve(8);
    this.view.setBigUint64(this.position, BigInt.asUintN(64, value), true);
    this.position += 8;
  }

  double(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.position, value, true);
    this.position += 8;
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.position);
    this.position += value.length;
  }

  string(value: string): void {
    const length = utf8Length(value);
    this.varint(length);
    this.reserve(length);
    if (length === value.length) {
      // ASCII: one byte per character, no encoder call.
      for (let index = 0; index < length; index++)
        this.buffer[this.position + index] = value.charCodeAt(index);
    } else {
      textEncoder.encodeInto(value, this.buffer.subarray(this.position, this.position + length));
    }
    this.position += length;
  }

  /** Starts a nested message as field `field`; end it with `join()`. */
  fork(field: number): void {
    this.tag(field, WireType.LENGTH_DELIMITED);
    this.starts.push(this.position);
  }

  join(): void {
    const start = this.starts.pop()!;
    const length = this.position - start;
    const prefix = varintSize(length);
    this.reserve(prefix);
    this.buffer.copyWithin(start + prefix, start, this.position);
    const end = this.position + prefix;
    this.position = start;
    this.varint(length);
    this.position = end;
  }

  private reserve(bytes: number): void {
    if (this.position + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.position + bytes) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.position));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
}

function varintSize(value: number): number {
  let size = 1;
  let remaining = value;
  while (remaining >= 0x80) {
    remaining = Math.floor(remaining / 0x80);
    size++;
  }
  return size;
}

/** What `ProtobufReader` throws on a truncated or malformed message. */
function decodeError(message: string): ObservabilityError {
  return new ObservabilityError({ message: `Invalid OTLP protobuf: ${message}` });
}

/** Reads the protobuf wire format field by field; unknown fields are skipped by the caller. */
export class ProtobufReader {
  private position: number;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.position = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.position >= this.end;
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wireType: number } {
    const key = this.varint();
    const field = Math.floor(key / 8);
    if (field === 0) throw decodeError(`field number 0 at byte ${this.position}`);
    return { field, wireType: key % 8 };
  }

  /** A varint that fits a JS number exactly (lengths, enums, uint32). */
  varint(): number {
    const value = this.varint64();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw decodeError("varint out of range");
    return Number(value);
  }

  varint64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let count = 0; count < 10; count++) {
      if (this.position >= this.end) throw decodeError("truncated varint");
      const byte = this.bytes[this.position++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw decodeError("varint longer than 10 bytes");
  }

  fixed32(): number {
    this.need(4);
    const value = this.view.getUint32(this.position, true);
    this.position += 4;
    return value;
  }

  fixed64(): bigint {
    this.need(8);
    const value = this.view.getBigUint64(this.position, true);
    this.position += 8;
    return value;
  }

  double(): number {
    this.need(8);
    const value = this.view.getFloat64(this.position, true);
    this.position += 8;
    return value;
  }

  /** A length-delimited field as a reader over its bytes. */
  nested(): ProtobufReader {
    const length = this.varint();
    this.need(length);
    const reader = new ProtobufReader(this.bytes, this.position, this.position + length);
    this.position += length;
    return reader;
  }

  bytesField(): Uint8Array {
    const length = this.varint();
    this.need(length);
    const value = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return value;
  }

  string(): string {
    return textDecoder.decode(this.bytesField());
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WireType.VARINT:
        this.varint64();
        return;
      case WireType.FIXED64:
        this.need(8);
        this.position += 8;
        return;
      case WireType.LENGTH_DELIMITED:
        this.bytesField();
        return;
      case WireType.FIXED32:
        this.need(4);
        this.position += 4;
        return;
      default:
        throw decodeError(`unsupported wire type ${wireType}`);
    }
  }

  /** Checks that a field has the wire type its schema says. */
  expect(wireType: number, actual: number, field: string): void {
    if (wireType !== actual) throw decodeError(`${field} has wire type ${actual}, not ${wireType}`);
  }

  private need(bytes: number): void {
    if (this.position + bytes > this.end) throw decodeError("truncated message");
  }
}
