/**
 * The closest peer: express-restify-mongoose on Express 5, serving the same Mongoose models as
 * koa-mongorest. Configured as its README suggests, plus `runValidators` (koa-mongorest validates
 * updates) and a maximum page size equal to koa-mongorest's default `maxLimit` (100).
 */
import express from 'express';
import mongoose from 'mongoose';
import { serve } from 'express-restify-mongoose';
import { defineModels } from '../models.js';
import type { StartApp } from '../types.js';
import { listen } from './listen.js';

/** erm's typings name its own (nested) Mongoose's Model type; at run time it only calls model methods. */
type ErmModel = Parameters<typeof serve>[1];

export const start: StartApp = async ({ uri, dbName, poolSize }) => {
  await mongoose.connect(uri, { dbName, maxPoolSize: poolSize });
  const { User, Post } = defineModels();

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json());
  const options = { runValidators: true, limit: 100 };
  serve(app, Post as unknown as ErmModel, options);
  serve(app, User as unknown as ErmModel, options);

  const server = await listen(app);
  return {
    server,
    async close() {
      await server.close();
      await mongoose.disconnect();
    },
  };
};
