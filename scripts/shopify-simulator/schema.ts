/** The Admin API subset the simulator serves (schema.graphql), read once. */
import { readFileSync } from 'node:fs';
import { buildSchema } from 'graphql';

export const SIMULATOR_SCHEMA_SDL = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');
/** The Admin API subset as a graphql-js schema (validation, cost, execution). */
export const SIMULATOR_SCHEMA = buildSchema(SIMULATOR_SCHEMA_SDL);
