// Builds the web app into dist/: one bundle (app.js, app.css) plus the page.
// `npm run build`; `node build.mjs --watch` rebuilds on change while developing.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';

const watch = process.argv.includes('--watch');
rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
copyFileSync('index.html', 'dist/index.html');

const options = {
  entryPoints: { app: 'src/main.js' },
  bundle: true,
  minify: !watch,
  sourcemap: true,
  target: ['es2020'],
  outdir: 'dist',
  logLevel: 'info',
};
if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
