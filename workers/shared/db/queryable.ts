import type postgres from 'postgres';

/** Anything queries run on: a client, a reserved connection or a transaction. Free of Workers types, so scripts share it. */
export type Queryable = postgres.ISql;
