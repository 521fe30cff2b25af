/** The part of pako 1.x Kiln uses: a push-based zlib inflater that reports output in chunks. */
export class Inflate {
  constructor(options?: { chunkSize?: number; raw?: boolean });
  /** Called with each chunk of output; throwing from it stops `push`. */
  onData: (chunk: Uint8Array) => void;
  onEnd: (status: number) => void;
  push(data: Uint8Array, mode?: boolean | number): boolean;
  err: number;
  msg: string;
}
declare const pako: { Inflate: typeof Inflate };
export default pako;
