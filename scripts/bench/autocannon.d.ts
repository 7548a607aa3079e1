// The part of autocannon's API the benchmark uses (the package ships no type definitions).
declare module 'autocannon' {
  interface Histogram {
    p50: number;
    p99: number;
    average: number;
    min: number;
    max: number;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    headers?: Record<string, string>;
  }
  interface Result {
    latency: Histogram;
    requests: Histogram & { total: number; sent: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
