/** Shared type aliases: the few places where Mongoose's generics are deliberately erased. */
import type { Context } from 'koa';
import type { Document, Model, Query } from 'mongoose';

/* eslint-disable @typescript-eslint/no-explicit-any -- a resource may wrap any model; the erasure lives here only */
/** Any Mongoose model (six type arguments: Mongoose 8 has six, 9 a seventh with a default). */
export type AnyModel = Model<any, any, any, any, any, any>;
/** Any Mongoose query over a resource's collection (`Model.find()` and its refinements). */
export type AnyQuery = Query<any, any>;
/** A hydrated Mongoose document (writes go through these so validators, defaults and middleware run). */
export type AnyDocument = Document<any, any, any> & Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

/** A document as read with `lean()`: a plain object. */
export type PlainDocument = Record<string, unknown>;

/** The Koa context every hook receives. */
export type RequestContext = Context;

export type MaybePromise<T> = T | Promise<T>;

/** Query-string values as Koa's flat parser gives them. */
export type QueryValues = Record<string, string | string[] | undefined>;
