/**
 * What an application brings to the local cloud's engine: how its CDK app is synthesized, and what
 * runs beside AWS for it (a mock of a third-party API, say). The engine knows no application; the CLI
 * and the tests pass the application's profile (lib/local-profile.ts; docs/decisions/022-local-cloud-plugins.md).
 */
import type { CfnTemplate } from './template';

/** A synthesized cloud assembly. */
export interface SynthesizedApp {
  /** The cloud assembly directory (shared: never write into it). */
  readonly dir: string;
  readonly stackName: string;
  /** True when an earlier synth of the same sources and context was reused. */
  readonly reused: boolean;
  readonly key: string;
}

/** What a profile's preparation gives the engine before the synth. */
export interface PreparedApp {
  /** The CDK context to synthesize with. */
  readonly context: Record<string, unknown>;
  /** Text to replace in the synthesized template (a placeholder → the value known only at run time). */
  readonly replacements: Readonly<Record<string, string>>;
  /** URL of a mock service beside the cloud, written to the endpoint file. */
  readonly metadataApi?: string;
}

/** What the profile may read once the template's functions and secrets exist. */
export interface StartedApp {
  readonly functionEnvironments: readonly Readonly<Record<string, string>>[];
  readonly secretValue: (arnOrName: string) => string | undefined;
}

export interface LocalCloudProfile {
  /** Start what the app needs beside AWS, and say how to synthesize it. */
  prepare(context: Record<string, unknown>, log: (line: string) => void): Promise<PreparedApp>;
  /** Synthesize (or reuse) the app's cloud assembly. */
  synth(context: Record<string, unknown>, log: (line: string) => void, options: { verbose?: boolean }): SynthesizedApp;
  /** The template's resources exist. */
  started?(app: StartedApp): void;
  stop?(): Promise<void>;
}

/** What the caller of the local cloud's engine passes: the application's profile and how to run it. */
export interface LocalCloudOptions {
  /** Where emulator data, logs, the cloud assembly and endpoint.json live. @default '.recomart' */
  readonly stateDir?: string;
  /** The application: how it is synthesized and what runs beside it (./profile.ts). */
  readonly profile: LocalCloudProfile;
  /** CDK context for the synth, as the profile reads it. @default {} */
  readonly context?: Record<string, unknown>;
  /** Port of the single gateway endpoint. @default 0 (a free port) */
  readonly port?: number;
  /** Progress and diagnostics. @default - silent */
  readonly log?: (line: string) => void;
  /** Show what synth and bundling print (the CDK's "Bundling asset" lines). @default false */
  readonly verbose?: boolean;
  /** Delete emulator data left by an earlier run before starting. @default false */
  readonly fresh?: boolean;
  /** Step Functions retry waits, in ms, instead of the definition's. @default 100 */
  readonly retryIntervalMs?: number;
  /**
   * Evaluate every AWS call a function or task makes against its role's policies in the template, and
   * deny what AWS would deny. @default true
   */
  readonly enforceIam?: boolean;
  /** Change the template after synth (tests: take a grant away and watch the function fail). @default - none */
  readonly templateTransform?: (template: CfnTemplate) => CfnTemplate;
}
