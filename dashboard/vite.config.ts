import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The SPA is built into dist/ and served by Cloudflare Pages; /api/* is handled by the Pages
// Function in functions/api, so the dev server needs no proxy when run under `wrangler pages dev`.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
});
