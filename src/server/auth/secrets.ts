/** Signing secrets, generated into the data dir on first start (mode 0600). */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const SecretsFile = z.object({ jwtSecret: z.string().min(32), turnSecret: z.string().min(16) });
export type Secrets = z.infer<typeof SecretsFile>;

export function loadOrCreateSecrets(dataDir: string): Secrets {
  const file = path.join(dataDir, 'secrets.json');
  if (fs.existsSync(file)) return SecretsFile.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  const secrets: Secrets = {
    jwtSecret: randomBytes(48).toString('base64url'),
    turnSecret: randomBytes(32).toString('base64url'),
  };
  fs.mkdirSync(dataDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, file);
  return secrets;
}
