import { parseDockerfile } from '../../../lib/local-cloud/ecs-tasks';

describe('parseDockerfile', () => {
  it('reads the final stage: WORKDIR, ENV, ENTRYPOINT and CMD', () => {
    const dockerfile = [
      'FROM node:22 AS build',
      'WORKDIR /src',
      'ENTRYPOINT ["ignored"]',
      'FROM node:22-slim',
      'WORKDIR /app',
      'ENV MODE=train LEVEL="info debug"',
      'COPY index.js ./',
      'ENTRYPOINT ["node", "/app/index.js"]',
      'CMD ["--fast"]',
    ].join('\n');
    expect(parseDockerfile(dockerfile)).toEqual({
      workdir: '/app',
      env: { MODE: 'train', LEVEL: 'info debug' },
      entrypoint: ['node', '/app/index.js'],
      cmd: ['--fast'],
    });
  });

  it('turns shell-form instructions into sh -c', () => {
    expect(parseDockerfile('FROM x\nCMD node index.js').cmd).toEqual(['/bin/sh', '-c', 'node index.js']);
  });
});
