// Reference of `npm run bench`: bare Fastify answering GET /ping with {ok:true}, in its own
// process, listening on 127.0.0.1:$PORT. What any route of ours is compared with.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/ping', async () => ({ ok: true }));

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
