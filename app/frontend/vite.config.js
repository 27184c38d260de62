import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app only ever calls the relative path /api/...: in production nginx
// routes it to the backend; `npm run dev` proxies it to a local backend.
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': process.env.VITE_DEV_BACKEND || 'http://127.0.0.1:8000',
    },
  },
  build: {
    outDir: 'dist',
    sourcemap: false,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.js'],
    globals: false,
    restoreMocks: true,
    // Typing into forms with user-event is slow on a loaded machine; the
    // default 5 s per test is too tight there (see src/test/setup.js).
    testTimeout: 30000,
  },
});
