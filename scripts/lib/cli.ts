/**
 * The frame of the comparison CLIs (npm run parity, npm run shadow): strict option parsing,
 * --help, and the exit code — what `main` returns, or 2 on bad usage (the message and the usage
 * text) or on any other error (`<name>: message`).
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

/** Bad usage: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

export type CliValues<T extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true }>
>['values'];

/** Parses `process.argv`, answers --help (an option of `options`), runs `main` and sets `process.exitCode`. */
export function runCli<T extends ParseArgsOptionsConfig>(cli: {
  name: string;
  usage: string;
  options: T;
  main: (values: CliValues<T>) => Promise<number>;
}): void {
  const run = async (): Promise<number> => {
    let values: CliValues<T>;
    try {
      values = parseArgs({ args: process.argv.slice(2), options: cli.options, strict: true }).values;
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if ((values as { help?: boolean }).help) {
      console.log(cli.usage);
      return 0;
    }
    return cli.main(values);
  };
  run().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof UsageError) console.error(`${error.message}\n${cli.usage}`);
      else console.error(`${cli.name}: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 2;
    },
  );
}
