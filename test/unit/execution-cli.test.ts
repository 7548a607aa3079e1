/**
 * `npm run execution` / `npm run redrive`: bad usage is refused before any request (exit 2, with
 * the usage). The Worker's routes behind it are tested in workerd (test/workers/ingest/
 * executions.test.ts).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../scripts/execution.ts', import.meta.url));
const ID = '3f1c2a7e-5b7d-4a51-9a43-0c2f9e1d8b10';

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      // a URL nothing listens on: a request would fail with exit 1, not 2
      { env: { ...process.env, ACCESS_TOKEN: 'a-token', INGEST_URL: 'http://127.0.0.1:9/ingest' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run execution', () => {
  it('refuses bad usage with exit 2 and the usage, before any request', async () => {
    for (const [args, message] of [
      [[], 'name an action: show, redrive or fail'],
      [['cancel', ID], 'name an action: show, redrive or fail'],
      [['redrive'], 'name one execution id'],
      [['redrive', 'not-a-uuid'], 'not an execution id (a uuid): not-a-uuid'],
      [['fail', ID], 'say why with --reason'],
      [['redrive', ID, '--force'], "Unknown option '--force'"],
    ] as const) {
      const { code, stderr } = await cli(...args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toContain(message);
      expect(stderr).toContain('usage: npm run execution -- show <execution-id>');
    }
  });
});
