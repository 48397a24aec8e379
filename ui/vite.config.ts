import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true, host: "127.0.0.1" },
  build: {
    // WebKitGTK 2.50 (Debian 12) supports modern JS; safari16 is a safe floor
    target: ["es2022", "safari16"],
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
  },
  test: { environment: "node", include: ["test/**/*.test.ts"] },
});
