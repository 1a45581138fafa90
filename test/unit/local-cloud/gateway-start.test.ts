import * as net from 'node:net';
import { Gateway } from '../../../lib/local-cloud/gateway';

describe('the gateway while the cloud starts', () => {
  it('holds its port from the start and answers 503 until the services are wired', async () => {
    const gateway = new Gateway();
    const url = await gateway.start(0);
    try {
      const res = await fetch(`${url}/`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toEqual({ __type: 'ServiceUnavailable', message: 'the local cloud is starting' });
    } finally {
      await gateway.stop();
    }
  });

  it('refuses a taken port in one sentence', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      await expect(new Gateway().start(port)).rejects.toThrow(
        `Port ${port} on 127.0.0.1 is already in use; stop what holds it or choose another with --port.`,
      );
    } finally {
      holder.close();
    }
  });
});
