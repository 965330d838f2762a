import { defineConfig } from "vite";

// The build goes to src/Api/dashboard, which the API serves at /; `dotnet build` of src/Api runs it (Api.csproj).
// Not wwwroot: ASP.NET's static web assets catalogue wwwroot before the build and would miss files renamed by it.
export default defineConfig({
  base: "/",
  build: {
    outDir: "../Api/dashboard",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    // `npm run dev` beside `dotnet run --project src/Api`: the API on its default port.
    proxy: { "/api": "http://localhost:5000", "/hubs": { target: "http://localhost:5000", ws: true } },
    fs: { allow: ["../.."] },
  },
});
