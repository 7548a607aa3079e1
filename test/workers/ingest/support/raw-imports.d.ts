// Vite's `?raw` imports (text files bundled into Workers tests, which have no file system).
declare module '*.jsonl?raw' {
  const text: string;
  export default text;
}
