/**
 * A Postgres-protocol proxy that answers like Hyperdrive's query cache, for the Workers tests and
 * `npm start` (workerd's Hyperdrive bindings point here; the real server is behind it).
 *
 * Every client message goes to Postgres as usual, so prepared statements, portals and transactions
 * stay coherent on the server. When a read the cache may answer (hyperdrive-cache-rules.ts) has an
 * entry, the rows and CommandComplete Postgres sends for it are replaced by the cached ones:
 * - fresh (younger than maxAge): the cached answer;
 * - stale, within staleWhileRevalidate after that: the cached answer, and Postgres's answer becomes
 *   the entry (the revalidation);
 * - older, or none: Postgres's answer, which becomes the entry.
 * The key is the database (its oid, so a dropped and re-created database starts empty), the query
 * text, the parameters with their formats and the result formats.
 * Nothing is cached or answered from the cache inside an explicit transaction, or in an extended
 * protocol batch after a statement that is not a cacheable read (the batch is one implicit
 * transaction, and a read must see the writes before it).
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { cacheability, NON_IMMUTABLE_FUNCTIONS_QUERY } from './hyperdrive-cache-rules.ts';

export interface HyperdriveCacheOptions {
  /** The real Postgres server. */
  upstream: { host: string; port: number };
  /** Seconds an entry is served as fresh (Hyperdrive's max_age, default 60). */
  maxAgeSeconds?: number;
  /** Seconds a stale entry is still served while it is refreshed (default 15). */
  staleWhileRevalidateSeconds?: number;
  /** The clock, in milliseconds (tests move it instead of waiting). */
  now?: () => number;
  port?: number;
}

export interface HyperdriveCacheStats {
  fresh: number;
  stale: number;
  misses: number;
  uncacheable: number;
}

export interface HyperdriveCache {
  port: number;
  host: string;
  /** A connection string like `url`, pointing at the proxy instead. */
  urlFor(url: string): string;
  stats: HyperdriveCacheStats;
  clear(): void;
  close(): Promise<void>;
}

interface Entry {
  storedAt: number;
  rows: Buffer[];
  complete: Buffer;
}

interface Statement {
  text: string;
}

interface Portal {
  text: string;
  key: string;
}

/** One Execute (or one simple Query) awaiting its answer, in the order Postgres answers. */
interface Pending {
  kind: 'execute' | 'query' | 'sync';
  key?: string;
  /** Decided when its first answer arrives (the transaction status is known then). */
  decision?: 'hit' | 'record' | 'pass';
  /** A stale hit records Postgres's answer too. */
  revalidate?: boolean;
  /** The entry a hit answers with, as it was when decided (a revalidation or sweep may replace it). */
  served?: Entry;
  rows: Buffer[];
  cacheableText?: boolean;
  /** An earlier statement in the same batch was not a cacheable read. */
  afterWrite?: boolean;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function cString(buffer: Buffer, offset: number): [string, number] {
  const end = buffer.indexOf(0, offset);
  return [buffer.toString('utf8', offset, end), end + 1];
}

/** Splits whole messages off the front of a buffer: [type, whole message] pairs and the rest. */
function splitMessages(buffer: Buffer): [Array<[string, Buffer]>, Buffer] {
  const out: Array<[string, Buffer]> = [];
  let offset = 0;
  while (buffer.length - offset >= 5) {
    const length = buffer.readInt32BE(offset + 1);
    if (buffer.length - offset < length + 1) break;
    out.push([String.fromCharCode(buffer[offset] as number), buffer.subarray(offset, offset + length + 1)]);
    offset += length + 1;
  }
  return [out, buffer.subarray(offset)];
}

/** Per database oid: the functions that make a query uncacheable. */
type FunctionLists = Map<string, Set<string>>;

export async function startHyperdriveCache(options: HyperdriveCacheOptions): Promise<HyperdriveCache> {
  const maxAge = (options.maxAgeSeconds ?? 60) * 1000;
  const swr = (options.staleWhileRevalidateSeconds ?? 15) * 1000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const functionLists: FunctionLists = new Map();
  const stats: HyperdriveCacheStats = { fresh: 0, stale: 0, misses: 0, uncacheable: 0 };
  const sockets = new Set<Socket>();

  const sweep = setInterval(() => {
    const cutoff = now() - maxAge - swr;
    for (const [key, entry] of entries) if (entry.storedAt < cutoff) entries.delete(key);
  }, 10_000);
  sweep.unref();

  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    serveConnection(client, { ...options.upstream }, { entries, functionLists, stats, maxAge, swr, now, sockets });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    host: '127.0.0.1',
    stats,
    urlFor(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    clear: () => entries.clear(),
    close: async () => {
      clearInterval(sweep);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Shared {
  entries: Map<string, Entry>;
  functionLists: FunctionLists;
  stats: HyperdriveCacheStats;
  maxAge: number;
  swr: number;
  now: () => number;
  sockets: Set<Socket>;
}

function serveConnection(client: Socket, upstreamAddress: { host: string; port: number }, shared: Shared): void {
  const { entries, functionLists, stats, maxAge, swr, now } = shared;
  const upstream = tcpConnect(upstreamAddress);
  // Small protocol messages go out at once (Nagle's algorithm would hold each for an ACK).
  upstream.setNoDelay(true);
  client.setNoDelay(true);
  shared.sockets.add(upstream);
  upstream.on('close', () => {
    shared.sockets.delete(upstream);
    client.destroy();
  });
  client.on('close', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());

  let startedUp = false;
  let clientBuffer: Buffer = Buffer.alloc(0);
  let serverBuffer: Buffer = Buffer.alloc(0);
  /** While the proxy asks the server about the database, client messages wait here. */
  const held: Buffer[] = [];
  let introduction: 'oid' | 'functions' | 'done' | 'waiting' = 'waiting';
  let heldReady: Buffer | undefined;
  let introductionRows: string[] = [];
  let database = '';
  let functions: Set<string> = new Set();
  const statements = new Map<string, Statement>();
  const portals = new Map<string, Portal>();
  const pending: Pending[] = [];
  let transactionStatus = 'I';
  let batchAfterWrite = false;

  const toUpstream = (data: Buffer) => {
    if (introduction === 'oid' || introduction === 'functions') held.push(data);
    else upstream.write(data);
  };

  function onStartup(data: Buffer): void {
    const code = data.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      client.write('N');
      return;
    }
    if (code === CANCEL_REQUEST) {
      upstream.end(data);
      return;
    }
    startedUp = true;
    upstream.write(data);
  }

  function onClientMessage(type: string, data: Buffer): void {
    const body = data.subarray(5);
    if (type === 'P') {
      const [name, offset] = cString(body, 0);
      const [text] = cString(body, offset);
      statements.set(name, { text });
    } else if (type === 'B') {
      const [portal, afterPortal] = cString(body, 0);
      const [statementName, offset] = cString(body, afterPortal);
      // Formats, parameters and result formats, as sent: together with the text they are the key.
      const text = statements.get(statementName)?.text ?? '';
      portals.set(portal, { text, key: keyOf(text, body.subarray(offset)) });
    } else if (type === 'E') {
      const [portalName, offset] = cString(body, 0);
      const maxRows = body.readInt32BE(offset);
      const portal = portals.get(portalName);
      const cacheableText = portal !== undefined && maxRows === 0 && isCacheable(portal.text);
      pending.push({ kind: 'execute', key: portal?.key, rows: [], cacheableText, afterWrite: batchAfterWrite });
      if (!cacheableText) batchAfterWrite = true;
    } else if (type === 'S' || type === 'F') {
      // A Sync, or a FunctionCall (answered with its own ReadyForQuery): the end of a batch.
      pending.push({ kind: 'sync', rows: [] });
      batchAfterWrite = false;
    } else if (type === 'Q') {
      const [text] = cString(body, 0);
      const cacheableText = isCacheable(text);
      pending.push({ kind: 'query', key: keyOf(text, Buffer.alloc(0)), rows: [], cacheableText, afterWrite: false });
    } else if (type === 'C' && body[0] === 'S'.charCodeAt(0)) {
      statements.delete(cString(body, 1)[0]);
    }
    toUpstream(data);
  }

  function isCacheable(text: string): boolean {
    const verdict = cacheability(text, functions).cacheable;
    if (!verdict) stats.uncacheable += 1;
    return verdict;
  }

  function keyOf(text: string, bindTail: Buffer): string {
    return createHash('sha256').update(database).update('\0').update(text).update('\0').update(bindTail).digest('hex');
  }

  function decide(item: Pending): void {
    if (item.decision) return;
    if (!item.cacheableText || item.afterWrite || transactionStatus !== 'I' || !item.key) {
      item.decision = 'pass';
      return;
    }
    const entry = entries.get(item.key);
    const age = entry ? now() - entry.storedAt : Number.POSITIVE_INFINITY;
    if (entry && age < maxAge) {
      stats.fresh += 1;
      Object.assign(item, { decision: 'hit', served: entry });
    } else if (entry && age < maxAge + swr) {
      stats.stale += 1;
      Object.assign(item, { decision: 'hit', served: entry, revalidate: true });
    } else {
      stats.misses += 1;
      item.decision = 'record';
    }
  }

  /** The next Execute or Query the server's answers belong to. */
  const current = () => pending.find((item) => item.kind !== 'sync');

  function onServerMessage(type: string, data: Buffer): Buffer[] {
    if (introduction !== 'done') return introduce(type, data);
    const item = current();
    if (type === 'D' && item) {
      decide(item);
      if (item.decision === 'record' || item.revalidate) item.rows.push(data);
      return item.decision === 'hit' ? [] : [data];
    }
    if ((type === 'C' || type === 'I' || type === 's') && item) {
      decide(item);
      const cached = item.served;
      const out = item.decision === 'hit' && cached ? [...cached.rows, cached.complete] : [data];
      if (type === 'C' && (item.decision === 'record' || item.revalidate) && item.key) {
        entries.set(item.key, { storedAt: now(), rows: item.rows, complete: data });
      }
      if (item.kind === 'execute') pending.splice(pending.indexOf(item), 1);
      else Object.assign(item, { cacheableText: false, decision: undefined, served: undefined, rows: [] }); // later statements of a simple Query
      return out;
    }
    if (type === 'E' && item) {
      // In a batch, the server skips everything up to Sync: drop what it will not answer.
      const end = pending.findIndex((p) => p.kind !== 'execute');
      pending.splice(0, end < 0 ? pending.length : end);
      const head = pending[0];
      if (head?.kind === 'query') Object.assign(head, { cacheableText: false, decision: undefined, rows: [] });
      return [data];
    }
    if (type === 'Z') {
      transactionStatus = String.fromCharCode(data[5] as number);
      const end = pending.findIndex((p) => p.kind === 'sync' || p.kind === 'query');
      if (end >= 0) pending.splice(0, end + 1);
      return [data];
    }
    return [data];
  }

  /**
   * After the server's first ReadyForQuery, asks it (on this connection, before the client may
   * speak) which database this is and, once per database, which functions are not immutable.
   */
  function introduce(type: string, data: Buffer): Buffer[] {
    if (introduction === 'waiting') {
      if (type !== 'Z') return [data];
      introduction = 'oid';
      heldReady = data;
      upstream.write(
        message(
          'Q',
          Buffer.from("select oid::text || ':' || datname from pg_database where datname = current_database()\0"),
        ),
      );
      return [];
    }
    if (type === 'D') {
      const length = data.readInt32BE(7);
      introductionRows.push(data.toString('utf8', 11, 11 + length));
      return [];
    }
    if (type === 'E') {
      console.error(`hyperdrive-cache: could not read the database's functions: ${data.toString('utf8', 5)}`);
      client.destroy();
      return [];
    }
    if (type !== 'Z') return [];
    if (introduction === 'oid') {
      database = introductionRows[0] ?? '';
      introductionRows = [];
      const known = functionLists.get(database);
      if (!known) {
        introduction = 'functions';
        upstream.write(message('Q', Buffer.from(`${NON_IMMUTABLE_FUNCTIONS_QUERY}\0`)));
        return [];
      }
      functions = known;
    } else {
      functions = new Set(introductionRows);
      functionLists.set(database, functions);
    }
    introduction = 'done';
    for (const data of held.splice(0)) upstream.write(data);
    return [heldReady as Buffer];
  }

  client.on('data', (chunk: Buffer) => {
    clientBuffer = Buffer.concat([clientBuffer, chunk]);
    while (!startedUp && clientBuffer.length >= 8) {
      const length = clientBuffer.readInt32BE(0);
      if (clientBuffer.length < length) return;
      const startup = clientBuffer.subarray(0, length);
      clientBuffer = clientBuffer.subarray(length);
      onStartup(startup);
    }
    if (!startedUp) return;
    const [messages, rest] = splitMessages(clientBuffer);
    clientBuffer = rest;
    for (const [type, data] of messages) onClientMessage(type, data);
  });

  upstream.on('data', (chunk: Buffer) => {
    serverBuffer = Buffer.concat([serverBuffer, chunk]);
    const [messages, rest] = splitMessages(serverBuffer);
    serverBuffer = rest;
    const out: Buffer[] = [];
    for (const [type, data] of messages) {
      // Before the client may speak, authentication messages pass straight through.
      if (!startedUp) out.push(data);
      else out.push(...onServerMessage(type, data));
    }
    if (out.length > 0) client.write(Buffer.concat(out));
  });
}
