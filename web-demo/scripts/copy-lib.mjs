// Copies the built library into the demo page's folder (public/lib/, git-ignored), which the
// gateway serves as it is (its --web-root defaults to web-demo/public).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'public', 'lib');
mkdirSync(out, { recursive: true });
for (const f of ['sipgateway.js', 'sipgateway.js.map']) {
  const src = join(root, 'dist', f);
  if (existsSync(src)) copyFileSync(src, join(out, f));
}
console.log(`copy-lib: dist/sipgateway.js → ${out}/`);
