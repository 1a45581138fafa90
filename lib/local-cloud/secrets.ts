import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { ApiError } from './plugins/plugin';

export interface LocalSecret {
  readonly arn: string;
  readonly name: string;
  value: string;
  readonly createdDate: number;
  versionId: string;
}

/**
 * Secrets Manager for the local cloud: secrets from the template (with generated values as
 * `GenerateSecretString` asks), kept in `<state>/secrets.json` so a value set with put-secret-value
 * survives restarts. Serves the JSON API subset SDKs and the AWS CLI use.
 */
export class LocalSecrets {
  private readonly secrets = new Map<string, LocalSecret>();

  constructor(private readonly file: string) {
    if (fs.existsSync(file)) {
      for (const s of JSON.parse(fs.readFileSync(file, 'utf8')) as LocalSecret[]) this.secrets.set(s.name, s);
    }
  }

  /** Create the secret unless it exists (then its stored value wins). */
  ensure(name: string, arn: string, props: Record<string, unknown>): LocalSecret {
    const existing = this.secrets.get(name);
    if (existing) return existing;
    const secret: LocalSecret = {
      arn,
      name,
      value: initialValue(props),
      createdDate: Date.now() / 1000,
      versionId: randomBytes(16).toString('hex'),
    };
    this.secrets.set(name, secret);
    this.save();
    return secret;
  }

  find(idOrArn: string): LocalSecret | undefined {
    return this.secrets.get(idOrArn) ?? [...this.secrets.values()].find((s) => s.arn === idOrArn);
  }

  api(action: string, body: Record<string, unknown>): unknown {
    const secret = () => {
      const s = this.find(String(body.SecretId));
      if (!s) throw new ApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      return s;
    };
    switch (action) {
      case 'GetSecretValue': {
        const s = secret();
        return {
          ARN: s.arn,
          Name: s.name,
          SecretString: s.value,
          VersionId: s.versionId,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: s.createdDate,
        };
      }
      case 'PutSecretValue': {
        const s = secret();
        if (typeof body.SecretString !== 'string')
          throw new ApiError('InvalidParameterException', 'SecretString is required locally');
        s.value = body.SecretString;
        s.versionId = randomBytes(16).toString('hex');
        this.save();
        return { ARN: s.arn, Name: s.name, VersionId: s.versionId, VersionStages: ['AWSCURRENT'] };
      }
      case 'DescribeSecret': {
        const s = secret();
        return { ARN: s.arn, Name: s.name, CreatedDate: s.createdDate };
      }
      case 'ListSecrets':
        return {
          SecretList: [...this.secrets.values()].map((s) => ({ ARN: s.arn, Name: s.name, CreatedDate: s.createdDate })),
        };
      default:
        throw new ApiError('UnknownOperationException', `${action} is not supported by the local cloud`);
    }
  }

  private save(): void {
    fs.writeFileSync(this.file, `${JSON.stringify([...this.secrets.values()], null, 2)}\n`, { mode: 0o600 });
  }
}

function initialValue(props: Record<string, unknown>): string {
  if (typeof props.SecretString === 'string') return props.SecretString;
  const gen = (props.GenerateSecretString ?? {}) as {
    PasswordLength?: number;
    ExcludePunctuation?: boolean;
    SecretStringTemplate?: string;
    GenerateStringKey?: string;
  };
  const alphabet = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${gen.ExcludePunctuation ? '' : '!#$%&*+-.:=?@^_~'}`;
  const length = gen.PasswordLength ?? 32;
  const password = [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
  if (gen.SecretStringTemplate && gen.GenerateStringKey) {
    return JSON.stringify({ ...(JSON.parse(gen.SecretStringTemplate) as object), [gen.GenerateStringKey]: password });
  }
  return password;
}
