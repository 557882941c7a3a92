// Builds the dashboard into web/dist, which `landfall serve` serves at `/` (src/server/static.ts).
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [react()],
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  // `vite dev` against a local `landfall serve`: the API and its SSE watches go to the real server.
  server: { proxy: { "/apis": "http://127.0.0.1:7780", "/healthz": "http://127.0.0.1:7780" } },
});
