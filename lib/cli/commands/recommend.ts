import type { Command } from 'commander';
import type { Env } from '../../../layers/aws/clients';
import { signedFetch } from '../../../layers/aws/signed-fetch';
import { CliError } from '../errors';
import { positiveInt } from '../progress';
import { resolveTarget } from '../target';

export interface ApiRecommendations {
  readonly userId: string;
  readonly modelVersion: string;
  readonly coldStart: boolean;
  readonly items: { itemId: string; score: number; source: string }[];
}

/**
 * GET the recommendations API, signed with SigV4 (the API requires IAM authorization unless the stage
 * opted out); a non-2xx answer becomes one clear error.
 */
export async function fetchRecommendations(
  endpoint: string,
  userId: string,
  k: number,
  env: Env = process.env,
): Promise<ApiRecommendations> {
  const url = `${endpoint.replace(/\/$/, '')}/users/${encodeURIComponent(userId)}/recommendations?k=${k}`;
  const res = await signedFetch(url, { env });
  const body = (await res.json().catch(() => ({}))) as { message?: string };
  if (!res.ok)
    throw new CliError(
      `The recommendations API answered ${res.status}: ${body.message ?? 'no message'}${res.status === 403 ? ' (it requires SigV4-signed requests from a principal allowed execute-api:Invoke)' : ''}.`,
      res.status === 400 ? 2 : 1,
    );
  return body as ApiRecommendations;
}

export function registerRecommend(program: Command): void {
  program
    .command('recommend')
    .description("Ask the recommendations API (AWS, LocalStack or a running local cloud) for a user's top-k.")
    .argument('<user-id>', 'customer id')
    .option('--k <n>', 'how many', positiveInt('--k'), 10)
    .option('--state <dir>', 'state directory of a running local cloud', '.recomart')
    .option('--stage <stage>', 'stage whose stack outputs name the API', 'dev')
    .option('--json', 'print the API response as JSON')
    .action(async (userId: string, opts: { k: number; state: string; stage: string; json?: boolean }) => {
      const target = resolveTarget(opts);
      const endpoint = await target.output('ApiEndpoint');
      const out = await fetchRecommendations(endpoint, userId, opts.k, target.env);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(out)}\n`);
        return;
      }
      const lines = [`${out.userId}: model ${out.modelVersion}${out.coldStart ? ' (cold start: popular items)' : ''}`];
      for (const [i, item] of out.items.entries()) {
        const score = item.source === 'model' ? item.score.toFixed(4) : '(recently viewed)';
        lines.push(`  ${String(i + 1).padStart(2)}. ${item.itemId}  ${score}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
