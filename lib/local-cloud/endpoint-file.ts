/**
 * The endpoint file a running `recomart local up` leaves in its state directory: how the CLI finds a
 * running local cloud. Kept apart from the local cloud itself, so that reading it loads nothing else.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EmulatorEndpoints } from './emulators';
import type { ScheduleInfo } from './schedules';

export interface LocalCloudInfo {
  readonly endpoint: string;
  readonly endpoints: EmulatorEndpoints & { states: string };
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  readonly stackName: string;
  readonly outputs: Record<string, string>;
  readonly resources: { logicalId: string; type: string; physicalName: string }[];
  readonly pid: number;
  readonly startedAt: string;
  /** Base URL of the mock metadata API (POST /_control to inject failures), when one runs. */
  readonly metadataApi?: string;
  /** Process ids of the emulator children. */
  readonly emulatorPids?: { host?: number; kinesis?: number };
  /** EventBridge schedules (not fired on their own locally: `recomart schedule fire`). */
  readonly schedules?: ScheduleInfo[];
}

/** The SDK environment that reaches a running local cloud (its endpoint, region and credentials) over `base`. */
export function localCloudEnv(
  info: LocalCloudInfo,
  base: Readonly<Record<string, string | undefined>> = {},
): Record<string, string | undefined> {
  return {
    ...base,
    AWS_ENDPOINT_URL: info.endpoint,
    AWS_REGION: info.region,
    AWS_ACCESS_KEY_ID: info.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: info.credentials.secretAccessKey,
  };
}

/** The endpoint file a running `recomart local up` leaves in its state directory, if any. */
export function readEndpointFile(stateDir = '.recomart'): LocalCloudInfo | undefined {
  const file = path.join(path.resolve(stateDir), 'endpoint.json');
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as LocalCloudInfo;
}
