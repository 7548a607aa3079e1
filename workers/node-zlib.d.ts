// The part of node:zlib that workerd provides under the nodejs_compat flag and the Workers use
// (workers/shared/ingest/archive.ts: a gunzip that reads every member of a multi-member object).
declare module 'node:zlib' {
  interface Gunzip extends AsyncIterable<Uint8Array & { buffer: ArrayBuffer }> {
    write(chunk: Uint8Array): boolean;
    end(): void;
    destroy(error?: Error): void;
    once(event: 'drain', listener: () => void): void;
  }
  export function createGunzip(): Gunzip;
}
