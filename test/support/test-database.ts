import { Client } from 'pg';

/** Where the test database lives; written by global-setup, read by every test file. */
export const TEST_DATABASE_URL_ENV = 'TEST_DATABASE_URL';

export function testDatabaseUrl(): string {
  const url = process.env[TEST_DATABASE_URL_ENV];
  if (!url) throw new Error(`${TEST_DATABASE_URL_ENV} is not set: run the tests through jest (global-setup creates the database)`);
  return url;
}

/** A direct connection for assertions and for provoking locks, outside the service. */
export async function connectDirect(): Promise<Client> {
  const client = new Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  return client;
}

export async function withDirect<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await connectDirect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The stored `rendered_fields` of a live task instance (an empty list when it has none). */
export async function storedFields(taskInstanceId: string): Promise<unknown[]> {
  return withDirect(async (c) => {
    const r = await c.query(
      `select r.rendered_fields from rendered_task_instance_fields r
         join task_instance ti using (dag_id, task_id, run_id, map_index) where ti.id = $1`,
      [taskInstanceId],
    );
    return r.rows.map((row) => row.rendered_fields);
  });
}
