import * as http from 'node:http';

/** An HTTP server on 127.0.0.1 (never another interface), started and stopped cleanly. */
export class LoopbackServer {
  private server?: http.Server;
  url = '';

  constructor(private readonly handler: http.RequestListener) {}

  /** Listen on `port` (0 = a free one); resolves to `http://127.0.0.1:<port>`. */
  async start(port = 0): Promise<string> {
    const server = http.createServer(this.handler);
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    return this.url;
  }

  /** Close open connections (stalled requests included) and stop listening. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
