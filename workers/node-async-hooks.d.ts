// The part of node:async_hooks that workerd provides under the nodejs_compat flag and the Workers
// use (workers/shared/logging.ts); the Workers' tsconfig does not load all of @types/node.
declare module 'node:async_hooks' {
  export class AsyncLocalStorage<T> {
    getStore(): T | undefined;
    run<R>(store: T, callback: () => R): R;
  }
}
