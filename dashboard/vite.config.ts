import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The SPA is built into dist/ and served by Cloudflare Pages; /api/* is handled by the Pages
// Function in functions/api, so the dev server needs no proxy when run under `wrangler pages dev`.
// docs.html is a second page (Pages serves it at /docs): the API reference, kept out of the SPA's
// bundle.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // Swagger UI's bundle (1.6 MB, 450 kB gzipped) is the docs page's alone; the SPA's chunks stay under 600 kB.
    chunkSizeWarningLimit: 1700,
    rolldownOptions: { input: { main: page('index.html'), docs: page('docs.html') } },
  },
});

function page(name: string): string {
  return fileURLToPath(new URL(name, import.meta.url));
}
