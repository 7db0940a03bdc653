// Bundles the canvas into ../daggr/static/ (widget.js + widget.css), which the Python
// package ships as hatch artifacts. `node build.mjs --watch` rebuilds on change (pair it
// with ANYWIDGET_HMR=1 in the kernel for live reload).
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const options = {
  entryPoints: { widget: "src/index.ts" },
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  outdir: "../daggr/static",
  // UMD dependencies must not see RequireJS (VS Code, classic notebook) and register
  // themselves as AMD modules instead of exporting (anywidget#369).
  define: { "define.amd": "false" },
  legalComments: "none",
  logLevel: "info",
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
