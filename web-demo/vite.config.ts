import { defineConfig } from 'vitest/config';

// Library mode: one self-contained ES module (webrtc-adapter bundled in), dist/sipgateway.js.
// The demo page (public/) loads a copy of it from public/lib/ (scripts/copy-lib.mjs).
export default defineConfig({
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    lib: {
      entry: 'src/index.ts',
      formats: ['es'],
      fileName: () => 'sipgateway.js',
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    globals: true,
  },
});
