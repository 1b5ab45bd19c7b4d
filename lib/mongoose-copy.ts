/**
 * Detects a model made by another copy of Mongoose than the one this package loads. Mongoose is a peer
 * dependency, so an app normally shares its copy; a second copy appears when the package resolves its own
 * (`npm link`, a folder install, a nested node_modules/mongoose). Values are recognised by shape wherever
 * that is enough (see guards.ts), but filters rely on `mongoose.trusted`/`sanitizeFilter`, whose marks are
 * private to one copy — so `register` refuses such a model with a message that says how to fix it.
 */
import mongoose from 'mongoose';
import type { AnyModel } from './types.js';

export function assertSameMongoose(model: AnyModel, owner: string): void {
  const base: unknown = (model as { base?: unknown }).base;
  if (base instanceof mongoose.Mongoose) return;
  const version = (base as { version?: unknown } | undefined)?.version;
  throw new Error(
    `${owner}.document (model ${JSON.stringify(model.modelName)}) was made by another copy of Mongoose` +
      ` (${typeof version === 'string' ? version : 'unknown version'}) than the one koa-mongorest loads (${mongoose.version}).` +
      ' Mongoose is a peer dependency: make `mongoose` resolve to the app\'s copy only — remove' +
      ' node_modules/koa-mongorest/node_modules/mongoose (`npm dedupe`), and install koa-mongorest from npm,' +
      ' a tarball or a git URL rather than with `npm link` or from a folder.',
  );
}
