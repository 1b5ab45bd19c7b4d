/**
 * The contenders: display names, the packages whose versions the report records, and a lazy loader for
 * each server module (loaded only inside its own child process, so the runner works even when one
 * contender's code does not load).
 */
import type { ContenderId, StartApp } from '../types.js';

export interface ContenderInfo {
  id: ContenderId;
  label: string;
  /** Packages whose installed versions describe this contender. */
  packages: string[];
  load(): Promise<{ start: StartApp }>;
}

export const contenders: Record<ContenderId, ContenderInfo> = {
  baseline: {
    id: 'baseline',
    label: 'baseline (Koa + raw driver)',
    packages: ['koa', '@koa/router', 'koa-bodyparser', 'mongodb'],
    load: () => import('./baseline.js'),
  },
  'koa-mongorest': {
    id: 'koa-mongorest',
    label: 'koa-mongorest',
    packages: ['koa', '@koa/router', 'mongoose'],
    load: () => import('./koa-mongorest.js'),
  },
  'express-restify-mongoose': {
    id: 'express-restify-mongoose',
    label: 'express-restify-mongoose',
    packages: ['express-restify-mongoose', 'express', 'mongoose'],
    load: () => import('./express-restify-mongoose.js'),
  },
};
