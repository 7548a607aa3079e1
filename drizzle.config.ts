import { defineConfig } from 'drizzle-kit';

// dbmate owns the schema (db/migrations); drizzle-kit is used only to inspect (`drizzle-kit
// studio`, `drizzle-kit pull`) and never to generate or push migrations.
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.ts',
  out: './db/drizzle',
  dbCredentials: { url: process.env.DATABASE_URL ?? '' },
});
