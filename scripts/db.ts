/**
 * `npm run db:migrate | db:rollback | db:status | db:seed` against DATABASE_URL.
 */
import { migrate, rollback, runDbmate, seed, withMigrationLock } from './lib/migrations.ts';
import { ConfigurationError, redact, requireDatabaseUrl } from './lib/postgres-url.ts';

const usage = 'usage: tsx scripts/db.ts <migrate|rollback|status|seed>   (target: DATABASE_URL)';

async function main(command: string | undefined): Promise<void> {
  const url = requireDatabaseUrl();
  switch (command) {
    case 'migrate':
      await migrate(url);
      break;
    case 'rollback':
      await rollback(url);
      break;
    case 'status':
      await withMigrationLock(url, () => runDbmate(url, 'status'));
      break;
    case 'seed':
      await seed(url);
      console.log(`seeded ${redact(url)}`);
      break;
    default:
      throw new ConfigurationError(usage);
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error instanceof ConfigurationError ? error.message : error);
  process.exit(1);
});
