/**
 * Builds the web console into console/dist, which `suanli server` serves at /. The console imports the core's job
 * spec parser (src/core/job-spec.ts), so the form validates exactly as the API does.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // ECharts alone is ~500 kB minified; one chunk for it keeps the app's own code small and cacheable.
    chunkSizeWarningLimit: 800,
    rollupOptions: {
      output: { manualChunks: (id) => (id.includes('echarts') || id.includes('zrender') ? 'charts' : undefined) },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
