/**
 * RecoMart on the local cloud: the app synthesized from lib/app.ts (with a cached cloud assembly), and
 * a mock of the external product metadata API that the stack's metadata pull is pointed at (its base
 * URL goes into the synth as a fixed placeholder, so the assembly does not change with the mock's port;
 * its key is the one the template's secret holds).
 */
import { withConfigOverride } from './config';
import { synthesizeCached } from './local-cloud/assembly-cache';
import type { LocalCloudProfile } from './local-cloud/profile';
import { MockMetadataApi, type MockMetadataApiOptions } from './mock-metadata-api';

const MOCK_METADATA_PLACEHOLDER = 'http://mock-metadata-api.recomart.invalid';

export interface RecoMartProfileOptions {
  /** The mock metadata API. `false`: keep the configured URL. @default {} (a mock with 300 products) */
  readonly metadataApi?: MockMetadataApiOptions | false;
}

export function recomartProfile(options: RecoMartProfileOptions = {}): LocalCloudProfile {
  let mock: MockMetadataApi | undefined;
  return {
    async prepare(context, log) {
      const base = { stage: 'dev', ...context };
      if (options.metadataApi === false) return { context: base, replacements: {} as Record<string, string> };
      mock = new MockMetadataApi(options.metadataApi ?? {});
      const url = await mock.start();
      log(`mock metadata API at ${url}`);
      return {
        context: withConfigOverride(base, { metadata: { baseUrl: MOCK_METADATA_PLACEHOLDER } }),
        replacements: { [MOCK_METADATA_PLACEHOLDER]: url },
        metadataApi: url,
      };
    },
    synth: (context, log, synthOptions) => synthesizeCached(context, log, synthOptions),
    started(app) {
      if (!mock) return;
      // The mock accepts exactly the key the pull function will read from its secret.
      const arn = app.functionEnvironments.map((env) => env.METADATA_API_KEY_SECRET_ARN).find(Boolean);
      if (arn) mock.apiKey = app.secretValue(arn);
    },
    async stop() {
      await mock?.stop();
    },
  };
}
