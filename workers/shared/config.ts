/**
 * Worker configuration: each Worker parses its bindings and variables with one zod schema
 * (workers/<worker>/src/config.ts), made of sections that each read the keys they need from the
 * same env and give them typed. An entry point reads the sections it uses, so a bad variable is a
 * ConfigurationError (503) naming it where it matters: a bad cutover gate variable closes the gate
 * route, not /health; an Access placeholder closes the ingest Worker's /replay, not its queue.
 * (No Workers types here: Node tests and scripts import the sections too.)
 */
import { z } from 'zod';

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/** The one way problems become an error: "<Title> configuration is invalid:\n- <problem>…". */
export function configurationError(title: string, problems: readonly string[]): ConfigurationError {
  return new ConfigurationError(`${title} configuration is invalid:\n- ${problems.join('\n- ')}`);
}

type Kind = 'binding' | 'secret' | 'variable';

/**
 * An issue on one key reads "variable KEY: message", or "missing <kind> KEY: <what it should be>"
 * when it is absent (`present`); an issue on the whole env is already the whole line.
 */
function problemLine(issue: z.core.$ZodIssue, depth: number): string {
  const key = issue.path.slice(depth).join('.');
  const missing = issue.code === 'custom' ? (issue.params as { missing?: Kind } | undefined)?.missing : undefined;
  if (key === '') return issue.message;
  return missing ? `missing ${missing} ${key}: ${issue.message}` : `variable ${key}: ${issue.message}`;
}

/** A trimmed string; unset, blank or not a string counts as absent. */
export function trimmedOrUnset(value: unknown): string | undefined {
  return typeof value === 'string' ? value.trim() || undefined : undefined;
}

/** A key the section cannot do without: when absent, "missing <kind> KEY: <what>". */
export function present(kind: Kind, what: string) {
  return z.preprocess(
    trimmedOrUnset,
    z
      .string()
      .optional()
      .transform((value, context) => {
        if (value !== undefined) return value;
        context.addIssue({ code: 'custom', message: what, params: { missing: kind } });
        return z.NEVER;
      }),
  );
}

export type SectionResult<T> = { ok: true; value: T } | { ok: false; problems: string[] };

export interface ConfigSection<T> {
  /** Names the error: "<title> configuration is invalid". */
  title: string;
  /** Reads the Worker's whole env (a z.object keeps only its own keys). */
  schema: z.ZodType<T>;
  /** This section alone: its value, or every problem with it. */
  check(env: object): SectionResult<T>;
  /** This section alone: its value, or a ConfigurationError naming every problem. */
  read(env: object): T;
}

export function configSection<T>(title: string, schema: z.ZodType<T>): ConfigSection<T> {
  const check = (env: object): SectionResult<T> => {
    const parsed = schema.safeParse(env);
    return parsed.success
      ? { ok: true, value: parsed.data }
      : { ok: false, problems: parsed.error.issues.map((issue) => problemLine(issue, 0)) };
  };
  return {
    title,
    schema,
    check,
    read(env) {
      const result = check(env);
      if (!result.ok) throw configurationError(title, result.problems);
      return result.value;
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: a record of sections of any value type
type Sections = Record<string, ConfigSection<any>>;
type SectionValue<S> = S extends ConfigSection<infer T> ? T : never;
export type WorkerConfigValues<S extends Sections> = { [K in keyof S]: SectionResult<SectionValue<S[K]>> };

export interface WorkerConfig<S extends Sections> {
  sections: S;
  /** The Worker's one schema: every section, each given the whole env. */
  schema: z.ZodType;
  /** Parses the env once (cached per env object); each section's value or problems. */
  parse(env: object): WorkerConfigValues<S>;
  /** One section's value, or a ConfigurationError naming every problem with that section. */
  read<K extends keyof S & string>(env: object, name: K): SectionValue<S[K]>;
}

export function defineWorkerConfig<S extends Sections>(sections: S): WorkerConfig<S> {
  const names = Object.keys(sections);
  // Each section validates by its own schema; the Worker's object collects every issue at once.
  const schema = z.object(Object.fromEntries(names.map((name) => [name, sections[name]?.schema ?? z.never()])));
  const parsedByEnv = new WeakMap<object, WorkerConfigValues<S>>();
  const parse = (env: object): WorkerConfigValues<S> => {
    const cached = parsedByEnv.get(env);
    if (cached) return cached;
    const parsed = schema.safeParse(Object.fromEntries(names.map((name) => [name, env])));
    const values = Object.fromEntries(
      names.map((name) => {
        if (parsed.success) return [name, { ok: true, value: parsed.data[name] }];
        const issues = parsed.error.issues.filter((issue) => issue.path[0] === name);
        if (issues.length === 0) {
          // Another section failed, so zod gave no output: this one on its own.
          return [name, sections[name]?.check(env)];
        }
        return [name, { ok: false, problems: issues.map((issue) => problemLine(issue, 1)) }];
      }),
    ) as WorkerConfigValues<S>;
    parsedByEnv.set(env, values);
    return values;
  };
  return {
    sections,
    schema,
    parse,
    read(env, name) {
      const result = parse(env)[name];
      if (!result?.ok) throw configurationError(sections[name]?.title ?? name, result?.problems ?? []);
      return result.value;
    },
  };
}

/** An unset or blank variable is absent, so its default applies. */
export function blankAsUnset(value: unknown): unknown {
  return value === '' || value === null ? undefined : value;
}

export const ENVIRONMENTS = ['development', 'test', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

const environmentSchema = z.enum(ENVIRONMENTS, { message: `must be one of ${ENVIRONMENTS.join(', ')}` });

const BINDINGS = {
  HYPERDRIVE: 'a Hyperdrive binding to the new database ([[hyperdrive]] binding = "HYPERDRIVE")',
  LEGACY_HYPERDRIVE: 'a Hyperdrive binding to the legacy database ([[hyperdrive]] binding = "LEGACY_HYPERDRIVE")',
  RAW_ARCHIVE: 'an R2 bucket binding ([[r2_buckets]] binding = "RAW_ARCHIVE")',
  INGEST_QUEUE: 'a Queue producer binding ([[queues.producers]] binding = "INGEST_QUEUE")',
} as const;

export type BindingName = keyof typeof BINDINGS;

/** The bindings an entry point needs, present (a Hyperdrive one with a connection string). */
export function bindingsSchema(bindings: readonly BindingName[]) {
  return z.record(z.string(), z.unknown()).superRefine((env, context) => {
    for (const name of bindings) {
      const binding = env[name];
      if (!binding) {
        context.addIssue({
          code: 'custom',
          path: [name],
          message: `expected ${BINDINGS[name]}`,
          params: { missing: 'binding' },
        });
      } else if (name.endsWith('HYPERDRIVE') && !(binding as { connectionString?: string }).connectionString) {
        context.addIssue({ code: 'custom', message: `binding ${name} has no connection string` });
      }
    }
  });
}

/**
 * What answers the Hyperdrive bindings' reads (HYPERDRIVE_CACHE_MODE, optional): `hyperdrive`, the
 * real Hyperdrive cache (deployed); `emulated`, the cache emulation in front of Postgres (npm start,
 * tests); `direct`, no cache (HYPERDRIVE_CACHE=off). Only deployed Workers have the first, and only
 * local ones the others: docs/testing.md "Hyperdrive's query cache in tests and npm start".
 */
export const HYPERDRIVE_CACHE_MODES = ['hyperdrive', 'emulated', 'direct'] as const;
const DEPLOYED: readonly Environment[] = ['staging', 'production'];

const environmentAndCacheSchema = z
  .object({
    ENVIRONMENT: environmentSchema,
    HYPERDRIVE_CACHE_MODE: z.preprocess(
      blankAsUnset,
      z.enum(HYPERDRIVE_CACHE_MODES, { message: `must be one of ${HYPERDRIVE_CACHE_MODES.join(', ')}` }).optional(),
    ),
  })
  .superRefine(({ ENVIRONMENT, HYPERDRIVE_CACHE_MODE: mode }, context) => {
    const deployed = DEPLOYED.includes(ENVIRONMENT);
    if (mode === undefined || (mode === 'hyperdrive') === deployed) return;
    const why = deployed
      ? 'a deployed Worker reads through Hyperdrive itself (hyperdrive)'
      : "only a deployed Worker has Hyperdrive's cache (emulated or direct here)";
    context.addIssue({
      code: 'custom',
      path: ['HYPERDRIVE_CACHE_MODE'],
      message: `${mode} contradicts ENVIRONMENT=${ENVIRONMENT}: ${why}`,
    });
  });

/** The section every Worker reads first: its bindings, which environment it runs in, its cache mode. */
export function workerSection(bindings: readonly BindingName[]) {
  return configSection(
    'Worker',
    bindingsSchema(bindings)
      .and(environmentAndCacheSchema)
      .transform((env) => ({ environment: env.ENVIRONMENT })),
  );
}
