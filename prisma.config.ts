// Prisma CLI configuration: where the schema and migrations live. The URL is only read by
// CLI commands that need a database; generate works without one.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations', seed: 'tsx prisma/seed.ts' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/clinic' },
});
