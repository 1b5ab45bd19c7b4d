/**
 * Types read off a Mongoose model type: its raw document, hydrated document and query types, and the
 * names of its schema paths (top-level and dotted into sub-documents). A model whose raw document type
 * is `any` (the library's own `AnyModel`, or an app's untyped model) is "untyped": every name type here
 * is then plain `string`, so nothing is checked. Type-level only; nothing here exists at run time.
 */
import type { Query, Types } from 'mongoose';
import type { AnyDocument } from '../types.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- `any` matches every model's other type arguments */

/** `true` for `any`, `false` otherwise. */
export type IsAny<T> = 0 extends 1 & T ? true : false;

/**
 * The raw document type of a model (what its schema declares, as `InferSchemaType` or the interface
 * given to `model<T>()`), e.g. `{ title: string; tags: string[] }`. Read off one method whose return type
 * it is (Mongoose 8 and 9 alike): matching the whole `Model<…>` interface instead costs the type-checker a
 * structural comparison of hundreds of members per model.
 */
export type RawDocumentOf<M> = M extends { castObject(...args: any[]): infer Raw } ? Raw : any;

/**
 * The hydrated document type of a model (what `new Model()` and `findOne()` give): hooks receive these.
 * `AnyDocument` for untyped models; `any` for `any` (the library's "any resource" positions, where a
 * typed hook is then compared with nothing). Read off `init()` (`Promise<THydratedDocumentType>` in
 * Mongoose 8 and 9), which takes no parameters: `hydrate()`'s `projection` parameter made the checker
 * build Mongoose's projection types for every model (about 450 instantiations each), and inferring from
 * the construct signature, which is generic, instantiates it (about 20 per resource;
 * bench/typecheck-scale.ts).
 */
export type DocumentOf<M> = IsAny<M> extends true
  ? any
  : IsAny<RawDocumentOf<M>> extends true
    ? AnyDocument
    : M extends { init(): Promise<infer Hydrated> }
      ? Hydrated
      : AnyDocument;

/** The query type of a model's lookups, as `hasReadPermission` receives it (`any` for `any`, as above). */
export type QueryOf<M> = IsAny<M> extends true ? any : IsAny<RawDocumentOf<M>> extends true ? Query<any, any> : Query<any, DocumentOf<M>, any, RawDocumentOf<M>, any, any>;

/** Whether names of this model's paths can be checked (its raw document type is known). */
export type IsTyped<M> = IsAny<RawDocumentOf<M>> extends true ? false : true;

/** Values whose inside is not a path: scalars and the BSON/Node classes Mongoose stores as single values. */
type Leaf =
  | string
  | number
  | boolean
  | bigint
  | symbol
  | null
  | undefined
  | Date
  | Types.ObjectId
  | Types.Decimal128
  | Types.UUID
  | Buffer
  | Map<any, any>
  | ((...args: any[]) => any);

/** How deep dotted paths go (sub-documents of sub-documents of sub-documents): bounds the type-check cost. */
type MaxDepth = 3;

/**
 * The dotted sub-paths below a value of type `V` (without the leading `key.`): the keys of a sub-document
 * or nested object, of the elements of a document array, recursively; `string` under a Mixed (`any`) path.
 */
export type SubPathsOf<V, Depth extends unknown[] = []> =
  IsAny<V> extends true
    ? string
    : Depth['length'] extends MaxDepth
      ? never
      : InnerPaths<NonNullable<V>, Depth>;

type InnerPaths<T, Depth extends unknown[]> = T extends Leaf
  ? never
  : T extends Types.DocumentArray<infer Element, any>
    ? KeyPaths<Element, [...Depth, 0]>
    : T extends readonly (infer Element)[]
      ? IsAny<Element> extends true
        ? string
        : InnerPaths<NonNullable<Element>, Depth>
      : T extends object
        ? KeyPaths<T, [...Depth, 0]>
        : never;

/**
 * `{ key: 'key' | 'key.sub.path' | … }` for every key of an object type: the paths under each top-level
 * name, so that the API paths (lib/typing/check.ts) can take the renamed names' entries out without
 * testing every path.
 */
export type PathsByKey<T, Depth extends unknown[]> = {
  [K in keyof T & string]-?: K | `${K}.${SubPathsOf<T[K], Depth>}`;
};

/** `key` and `key.sub.path` for every key of an object type. */
type KeyPaths<T, Depth extends unknown[]> = PathsByKey<T, Depth>[keyof T & string];

/** Top-level schema paths of a model, plus the `_id`/`__v` the raw type leaves out. */
export type TopPathOf<M> = IsTyped<M> extends true ? (keyof RawDocumentOf<M> & string) | '_id' | '__v' : string;

/** Every schema path of a model: top-level and dotted (sub-documents, nested objects, document arrays). */
export type SchemaPathOf<M> = IsTyped<M> extends true ? KeyPaths<RawDocumentOf<M>, []> | '_id' | '__v' : string;

/* eslint-enable @typescript-eslint/no-explicit-any */
