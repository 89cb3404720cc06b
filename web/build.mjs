// Builds the web app into dist/: a bundle per page (app.js and app.css for the command center,
// audit.js and audit.css for the coverage audit) plus the pages.
// `npm run build`; `node build.mjs --watch` rebuilds on change while developing.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';

const watch = process.argv.includes('--watch');
rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
copyFileSync('index.html', 'dist/index.html');
copyFileSync('audit.html', 'dist/audit.html');

const options = {
  entryPoints: { app: 'src/main.js', audit: 'src/audit.js' },
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
