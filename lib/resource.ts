/**
 * Resource: wraps a Mongoose model and says which fields, filters, renames and relations the API has.
 * Configuration is declared as class fields on a subclass; the methods are the override points apps
 * hook into. A fresh instance serves each request.
 */
import type mongoose from 'mongoose';
import { NotFound, PreconditionFailed } from './errors.js';
import { changedMeanwhile } from './write/concurrency.js';
import { bumpVersion, isGuarded, isStaleSave } from './versioning/version.js';
import { duplicateConflict, duplicateFields, isDuplicateKeyError, sharedUniqueValues } from './write/duplicates.js';
import { RequestDeadline } from './deadline/request-deadline.js';
import { runGatedWrite, writeOptions, type ClientSession } from './deadline/write-gate.js';
import { andThen, promiseOf } from './maybe-promise.js';
import type { JsonSchema } from './openapi/types.js';
import type { OperatorSpec } from './query/operators.js';
import { parsePage, type PagePlan } from './query/params.js';
import { andInto } from './query/conditions.js';
import { isQuery } from './query/thenable.js';
import { authorizeWrite, narrowForReader } from './resource/permissions.js';
import { defaultProjections, projectionOf } from './resource/projections.js';
import { getObjectDirect, getObjectQueried, readsDirectly, runTimed } from './resource/reads.js';
import { fieldsOnce, parsedFor, requestedFields, requestFieldsOf } from './resource/request-fields.js';
import { openScope, scopeKey, stateKey, type InstanceState, type PermissionHooks, type RequestScope } from './resource/scope.js';
import { metaOf, type ResourceMeta } from './resource-meta.js';
import { serializeOne, serializePage } from './serialize/related.js';
import { assertFiniteNumbers } from './write/finite.js';
import { flushRelatedWrites } from './write/nested.js';
import type { FieldOption, OrderingOption, ResourceCheck, SaveRelatedOption } from './typing/check.js';
import type { DocumentOf, QueryOf } from './typing/model.js';
import type {
  AnyDocument,
  AnyModel,
  AnyQuery,
  MaybePromise,
  PlainDocument,
  RequestContext,
} from './types.js';

/**
 * A Resource subclass, as the library takes it internally: typed or not (`Resource<any, any>`). Where an
 * app names resources (`relatedResources`, `childDocumentResources`, a view's type argument) the type is
 * `AnyResourceClass`, which the library turns into this with `resourceClass`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any resource, whatever its model
export type ResourceClass = new () => Resource<any, any>;

/**
 * What a view's type argument and the classes of `relatedResources`/`childDocumentResources` must be: a
 * Resource (the scope slot only Resource and its subclasses declare) serving a model. A typed class is
 * checked on these two members: relating it to the whole `Resource<any, any>` made the checker
 * instantiate every inherited member typed by its model (about 90 instantiations per typed resource,
 * bench/typecheck-scale.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any resource, whatever its model
export type AnyResource = Pick<Resource<any, any>, typeof scopeKey | 'document'>;

/** A Resource subclass, as an app names it in `relatedResources` and `childDocumentResources`. */
export type AnyResourceClass = new () => AnyResource;

/**
 * The resource of a view written without a type argument (`extends ResourceView`): any Resource class,
 * checked on the same two members as `AnyResource`, with an untyped model (`AnyModel`), so that the
 * view's hooks take any document and any query. Relating a typed resource class to the whole untyped
 * `Resource` compared its members typed by its model with the untyped ones (about 1,100 instantiations
 * per view, bench/typecheck-scale.ts).
 */
export type UntypedResource = Pick<Resource, typeof scopeKey | 'document'>;

/** A class of `relatedResources`/`childDocumentResources` as the library uses it: only Resource subclasses have `AnyResource`'s scope slot. */
export function resourceClass(Class: AnyResourceClass): ResourceClass {
  return Class as ResourceClass;
}

/** What `getObjects` returns: one page, whether more follow, and extra keys for the list envelope. */
export interface ObjectsPage {
  objects: PlainDocument[];
  hasMore: boolean;
  extra?: Record<string, unknown>;
}

/**
 * A save whose filter matched nothing: 412 when If-Match made it conditional (the version moved on
 * between the check and the save), 404 when the document is gone, else 409: another request changed it
 * since it was loaded (write/concurrency.ts).
 */
async function staleSaveError(resource: Resource, doc: AnyDocument): Promise<unknown> {
  if (isGuarded(doc)) return new PreconditionFailed();
  const exists = await resource.run(resource.document.exists({ _id: doc._id }));
  // Changed by another request since it was loaded (an array: Mongoose's own version check) → 409.
  return exists ? changedMeanwhile() : new NotFound();
}

/**
 * A resource as the library's internals take it: configuration read as plain strings. A typed
 * `Resource<M>` is one at run time; its type parameters only narrow what the class may declare.
 */
function untyped(resource: object): Resource {
  return resource as Resource;
}

export interface GetObjectOptions {
  /** `true` for updates and deletes: the full hydrated Mongoose document instead of a lean projection. */
  forWrite?: boolean;
}

/**
 * The base of every resource. Untyped (`extends Resource`), names are plain strings, checked when the view
 * is registered. Typed by its model (`extends Resource<typeof Post>`), the name lists must be schema
 * paths (write them `as const`); naming the class itself too (`extends Resource<typeof Post, PostResource>`)
 * also checks `renameFields`, `filters` and `relatedResources` keys, the API names of `allowedOrdering`
 * and computed-field methods. See docs/resources.md.
 *
 * @example
 * ```ts
 * class PostResource extends Resource<typeof Post, PostResource> {
 *   document = Post;
 *   fields = ['id', 'title', 'summary'] as const;
 *   renameFields = { is_published: 'published' } as const;
 *   filters = { published: [ops.Boolean] };
 *   allowedOrdering = ['title', 'published'] as const;
 *   summary(post: PlainDocument) { return String(post.title).slice(0, 20); }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- `any`: no class given, nothing to check
export class Resource<M extends AnyModel = AnyModel, Self extends ResourceCheck<M, Self> = any> implements PermissionHooks {
  /** The Mongoose model this resource serves. Required. */
  document!: M;
  /** Internal names output by default; default: `id` then every schema path except `_id`/`__v`. */
  fields?: readonly FieldOption<M, Self, this>[];
  /** Output only when named in `_fields` or with `_fields=_all`. */
  optionalFields: readonly FieldOption<M, Self, this>[] = [];
  /** `{ internal: api }`, one-to-one; applies to output, input, filters, `_fields` and `_order_by`. */
  renameFields: Record<string, string> = {};
  /** `{ field: ResourceClass }`: references and sub-documents serialized by another resource. */
  relatedResources: Record<string, AnyResourceClass> = {};
  /** Related fields whose nested objects are created/updated on write. */
  saveRelatedFields: readonly SaveRelatedOption<M, Self>[] = [];
  /** `{ discriminatorName: ResourceClass }` for polymorphic collections. */
  childDocumentResources: Record<string, AnyResourceClass> = {};
  /** Discriminator used on create when the body names none. */
  defaultChildResourceDocument?: string;
  /**
   * JSON Schemas of computed fields for the OpenAPI document (internal names), e.g.
   * `{ initials: { type: 'string', maxLength: 3 } }`. A computed field without one is described as any value.
   */
  computedSchemas: Record<string, JsonSchema> = {};
  /** `{ apiField: [operators] }`; dotted keys filter sub-document paths. */
  filters: Record<string, readonly OperatorSpec[]> = {};
  /** API field names that `_order_by` may use, either direction. */
  allowedOrdering: readonly OrderingOption<M, Self>[] = [];
  /**
   * Whether ids written to plain `ref` fields (without a related resource) must name an existing
   * document (400 otherwise). One indexed query per write that sets such a field; `false` stores them
   * unchecked, as Mongoose does. Fields with a related resource are always checked.
   */
  checkReferences = true;
  /**
   * Writes to an item (PUT, PATCH, DELETE) must carry `If-Match` with the document's ETag (or `*`);
   * without it they answer 428. Needs the schema's version key.
   */
  requireIfMatch = false;
  /**
   * Whether a PUT may skip Mongoose documents — read the stored document lean, cast and validate only the
   * values sent, write them with one `findOneAndUpdate` by `_id` — where nothing can tell that from
   * loading, changing, validating and saving a document: no middleware of the app on the model's save,
   * validate, init, findOne or findOneAndUpdate, no overridden write method or `hasChangePermission`, no
   * `optimisticConcurrency` or `select: false` path, scalar paths (or arrays of them) with value
   * validators only, no If-Match or Idempotency-Key. Set `false` to always load and save — for
   * collections holding documents stored before a schema change, which the direct path neither
   * re-validates whole nor fills with new defaults (docs/performance.md, "PUT without Mongoose documents").
   *
   * @example
   * ```ts
   * class LegacyPostResource extends Resource {
   *   document = Post;
   *   directUpdates = false; // re-validate whole stored documents on every PUT
   * }
   * ```
   */
  directUpdates = true;
  /**
   * Whether a POST may insert its new document with one `insertOne` instead of `save()` — the document
   * is still built, validated (validate middleware included) and authorized as always — where nothing
   * can tell the difference: no save middleware of the app on the model (nor `save` listeners or tracing
   * subscribers), no overridden `createObject`, `validateDocument` or `saveDocument`, no sub-documents,
   * discriminators, sharding or `optimisticConcurrency`, and a document of scalars and arrays of scalars.
   * Timestamps and the version key are set as `save()` sets them. Set `false` to always `save()`
   * (docs/performance.md, "POST without save()").
   *
   * @example
   * ```ts
   * class AuditedPostResource extends Resource {
   *   document = Post;
   *   directCreates = false; // every POST through Mongoose's save()
   * }
   * ```
   */
  directCreates = true;
  paginate = true;
  defaultLimit = 100;
  maxLimit = 100;
  bulkUpdateLimit = 1000;
  /**
   * Most documents one NDJSON stream (`Accept: application/x-ndjson` on a list) sends; past it the stream
   * ends with `{"error": …, "truncated": true}`.
   */
  maxStreamDocuments = 100_000;
  /** Most items one bulk create (`POST` of an array) may hold; more → 400 before anything is written. */
  bulkCreateLimit = 100;
  /** Most documents one bulk delete may remove; more matches → 400 before anything is deleted. */
  bulkDeleteLimit = 1000;

  // ---- permissions -------------------------------------------------------------------------------

  /**
   * Narrows every read of this resource's documents, wherever they are read: as the resource a view
   * serves (before the view's own `hasReadPermission`, which narrows further), as a related resource on
   * output (a document outside the scope is dropped like a dangling reference), in reference checks and
   * nested writes (an id outside it is reported exactly like one that does not exist). Put tenant and
   * ownership rules here so they hold everywhere; return the query (narrowed) without awaiting it —
   * anything else answers 500. The hooks of a resource typed by its model receive its types
   * (`QueryOf<typeof Post>`, `DocumentOf<typeof Post>`); untyped, any query and any document.
   *
   * @example
   * ```ts
   * class AccountResource extends Resource {
   *   document = Account;
   *   hasReadPermission(ctx: RequestContext, query: AnyQuery) {
   *     return query.where({ owner: ctx.state.user.id });
   *   }
   * }
   *
   * class PostResource extends Resource<typeof Post, PostResource> {
   *   document = Post;
   *   hasChangePermission(ctx: RequestContext, post: DocumentOf<typeof Post>) {
   *     return String(post.author) === ctx.state.user.id;
   *   }
   * }
   * ```
   */
  hasReadPermission(_ctx: RequestContext, query: QueryOf<M>): MaybePromise<QueryOf<M>> {
    return query;
  }
  /**
   * Runs on a new document of this resource, built and validated, before it is saved — created through
   * a view or as a nested object of `saveRelatedFields`. Anything but `true` → 403, nothing written.
   */
  hasAddPermission(_ctx: RequestContext, _doc: DocumentOf<M>): MaybePromise<boolean> {
    return true;
  }
  /**
   * Runs on the stored state of a document of this resource before a change — through a view (item or
   * bulk update) or as a nested object of `saveRelatedFields`. Anything but `true` → 403, nothing written.
   */
  hasChangePermission(_ctx: RequestContext, _doc: DocumentOf<M>): MaybePromise<boolean> {
    return true;
  }
  /** Runs on the stored document before a view deletes it. Anything but `true` → 403. */
  hasDeletePermission(_ctx: RequestContext, _doc: DocumentOf<M>): MaybePromise<boolean> {
    return true;
  }

  /** Set by the view that serves the request (internal). */
  [scopeKey]: RequestScope = openScope;
  /** What this instance keeps of the request it serves (internal, see `stateKey`). */
  [stateKey]: InstanceState = {};

  /** The resolved configuration of this resource class (cached per class). */
  get meta(): ResourceMeta {
    return metaOf(untyped(this));
  }

  get schema(): mongoose.Schema {
    return this.document.schema;
  }

  // ---- lookups -------------------------------------------------------------------------------------

  /**
   * The base query every lookup starts from. Override to narrow what the resource ever serves.
   * Return the query synchronously: a Mongoose query is a thenable, so an `async` method returning
   * one would run it.
   */
  getQueryset(_ctx: RequestContext): AnyQuery {
    return this.document.find();
  }

  /**
   * One document by primary key, within the queryset and the reader's permission, or `null`.
   * Reads are lean and projected to the requested fields; writes get the full Mongoose document.
   */
  getObject(ctx: RequestContext, pk: unknown, options: GetObjectOptions = {}): Promise<PlainDocument | AnyDocument | null> {
    // Not `async`: the direct read's own promise is returned as it is (no wrapper per request).
    const resource = untyped(this);
    return promiseOf(() =>
      options.forWrite || !readsDirectly(resource, 'findOne')
        ? getObjectQueried(resource, ctx, pk, options)
        : andThen(requestFieldsOf(resource, ctx), (fields) => getObjectDirect(resource, pk, fields)),
    );
  }

  /**
   * One page of the (already filtered, ordered and projected) `query`: applies `_skip`/`_limit`, fetching
   * one document more than the page to learn `hasMore`. Override to add `extra` keys to the envelope.
   */
  async getObjects(ctx: RequestContext, query: AnyQuery): Promise<ObjectsPage> {
    const page = this.pagePlan(ctx);
    if (!page) return { objects: (await this.run(query.lean())) as PlainDocument[], hasMore: false };
    if (page.limit === 0) {
      // limit(0) would mean "no limit" to MongoDB: ask only whether anything is there.
      const probe = (await this.run(query.skip(page.skip).limit(1).select({ _id: 1 }).lean())) as unknown[];
      return { objects: [], hasMore: probe.length > 0 };
    }
    const rows = (await this.run(query.skip(page.skip).limit(page.limit + 1).lean())) as PlainDocument[];
    const hasMore = rows.length > page.limit;
    if (hasMore) rows.length = page.limit;
    return { objects: rows, hasMore };
  }

  /**
   * The base of every lookup, reads and writes: the queryset narrowed by the resource's and then the
   * view's `hasReadPermission`, then (nested views) to the children of the URL's parent, then ANDed with the client's `filter` (built from the declared filters). The
   * filter comes last so that nothing it holds can be overwritten by a hook's `query.where(...)` — and
   * `andInto` never overwrites what the hook set. The query comes back inert (see query/thenable.ts):
   * run it with `exec()`.
   */
  async readableQuery(ctx: RequestContext, filter?: Record<string, unknown>): Promise<AnyQuery> {
    const base = this.getQueryset(ctx);
    if (!isQuery(base)) throw new TypeError(`${this.meta.name}.getQueryset must return a Mongoose query.`);
    const query = await narrowForReader(untyped(this), ctx, base);
    // After the hooks, so that none of them can replace it; andInto never overwrites what they set.
    const { parent } = this[scopeKey];
    if (parent) andInto(query, { [parent.field]: parent.id });
    if (filter) andInto(query, filter);
    return query;
  }

  // ---- output --------------------------------------------------------------------------------------

  /**
   * Internal names of the fields this response outputs: the defaults, or those named by `_fields`
   * (API names; `_all` adds the optional fields; unknown names are ignored; an empty `_fields=` is absent).
   */
  getFields(ctx: RequestContext): MaybePromise<string[]> {
    return [...requestedFields(this.meta, ctx)];
  }

  /**
   * The output of one document (a lean object or `toObject()` of a Mongoose document): by the child
   * resource of its type when there is one, with its relations loaded (as a page of one unless
   * `serializeMany` loaded them for the whole page already). Overrides should pass the same `doc` object
   * to `super.serialize`.
   */
  serialize(doc: PlainDocument, ctx: RequestContext): Promise<PlainDocument> {
    return promiseOf(() => serializeOne(untyped(this), doc, ctx));
  }

  /** Serializes a page; the place where related documents are loaded in batch before `serialize`. */
  serializeMany(docs: PlainDocument[], ctx: RequestContext): Promise<PlainDocument[]> {
    return promiseOf(() => serializePage(untyped(this), docs, ctx, this.serialize === Resource.prototype.serialize));
  }

  // ---- writes --------------------------------------------------------------------------------------

  /** Hook for request-level checks beyond the schema; throw `ValidationError` to answer 400. */
  validateRequest(_ctx: RequestContext, _data: PlainDocument, _doc?: AnyDocument): MaybePromise<void> {}

  /**
   * Builds, validates, authorizes (hasAddPermission of the resource, then of the view, before anything
   * is saved) and saves a document.
   */
  async createObject(ctx: RequestContext, data: PlainDocument): Promise<AnyDocument> {
    const doc = new this.document(data) as AnyDocument;
    await this.validateDocument(doc);
    await authorizeWrite(untyped(this), 'hasAddPermission', ctx, doc);
    await this.saveDocument(doc);
    return doc;
  }

  /**
   * Authorizes on the stored state (hasChangePermission of the resource, then of the view), applies the
   * keys sent, validates and saves.
   */
  async updateObject(ctx: RequestContext, doc: AnyDocument, data: PlainDocument): Promise<AnyDocument> {
    await authorizeWrite(untyped(this), 'hasChangePermission', ctx, doc);
    this.applyChanges(doc, data);
    await this.validateDocument(doc);
    await this.saveDocument(doc);
    return doc;
  }

  /**
   * Bulk update, all or nothing as far as the server allows: every document is authorized
   * (hasChangePermission on its stored state), then changed and validated, before any is saved.
   * Returns how many were saved.
   */
  async updateObjects(ctx: RequestContext, docs: AnyDocument[], data: PlainDocument): Promise<number> {
    for (const doc of docs) await authorizeWrite(untyped(this), 'hasChangePermission', ctx, doc);
    for (const doc of docs) {
      this.applyChanges(doc, data);
      await this.validateDocument(doc);
    }
    // A unique value set on several documents would save the first and fail on the rest.
    const shared = sharedUniqueValues(this.meta, docs, data);
    if (shared.length > 0) throw duplicateConflict(this.meta, shared);
    // A document deleted since it was loaded is not counted (and not recreated); any other failure fails the request.
    const saved = await Promise.all(
      docs.map((doc) =>
        this.saveDocument(doc).then(
          () => 1,
          (error: unknown) => {
            if (error instanceof NotFound) return 0;
            throw error;
          },
        ),
      ),
    );
    return saved.reduce((sum, one) => sum + one, 0);
  }

  /**
   * Authorizes (hasDeletePermission of the resource, then of the view) and removes the document; 404 when
   * another request removed it first.
   */
  async deleteObject(ctx: RequestContext, doc: AnyDocument): Promise<void> {
    await authorizeWrite(untyped(this), 'hasDeletePermission', ctx, doc);
    const result = (await this.runWrite((session) => withSession(doc, doc.deleteOne(writeOptions(this.document, session))))) as { deletedCount?: number } | undefined;
    // A delete made conditional by If-Match that found the version moved on deleted nothing.
    if (result?.deletedCount === 0 && isGuarded(doc)) throw new PreconditionFailed();
    // Deleted by another request since it was loaded.
    if (result?.deletedCount === 0) throw new NotFound();
  }

  /**
   * Bulk delete: every document is authorized (hasDeletePermission of the resource, then of the view, on
   * its stored state) before any is
   * removed, then all go in one `deleteMany` by id — carrying each one's version when If-Match made the
   * deletes conditional. Returns how many were removed.
   */
  async deleteObjects(ctx: RequestContext, docs: AnyDocument[]): Promise<number> {
    for (const doc of docs) await authorizeWrite(untyped(this), 'hasDeletePermission', ctx, doc);
    if (docs.length === 0) return 0;
    const guarded = docs.some((doc) => isGuarded(doc));
    const filter = guarded ? { $or: docs.map((doc) => ({ _id: doc._id, ...(doc.$where as Record<string, unknown>) })) } : { _id: { $in: docs.map((doc) => doc._id) } };
    const { deletedCount } = (await this.runWrite((session) => this.document.deleteMany(filter, writeOptions(this.document, session)).exec())) as { deletedCount: number };
    // Some document changed (or went) between the If-Match check and the delete.
    if (guarded && deletedCount < docs.length) throw new PreconditionFailed();
    return deletedCount;
  }

  /** Mongoose validation (400 `field-errors`) plus the library's own rule: numbers are finite. */
  async validateDocument(doc: AnyDocument): Promise<void> {
    await doc.validate();
    assertFiniteNumbers(doc, this.meta);
  }

  /** Sets each top-level key sent; a nested object replaces the stored one (PUT semantics per key). */
  applyChanges(doc: AnyDocument, data: PlainDocument): void {
    for (const [key, value] of Object.entries(data)) doc.set(key, value);
  }

  // ---- plumbing ------------------------------------------------------------------------------------

  /** The database budget of the request this instance serves (a fresh one per call outside a request). */
  get deadline(): RequestDeadline {
    return this[scopeKey].deadline ?? new RequestDeadline(this[scopeKey].databaseTimeoutMS);
  }

  /**
   * Runs a read under the request's deadline: 503 (504 once a write of the request was sent) instead of
   * a hang. Give it the Mongoose query, not `query.exec()`: the query then carries `maxTimeMS` equal to
   * the time left, so the server stops the work when the client stops waiting.
   */
  async run<T>(operation: PromiseLike<T>): Promise<T> {
    return runTimed(untyped(this), (maxTimeMS) => {
      if (!isQuery(operation)) return operation;
      if (maxTimeMS !== undefined) operation.maxTimeMS(maxTimeMS);
      return operation.exec() as Promise<T>;
    });
  }

  /**
   * Runs a write so that a 503 is only ever answered for a write that was never sent and never will be
   * (deadline/write-gate.ts): `operation` receives the session to run in, e.g.
   * `this.runWrite((session) => doc.save({ session }))`. A write sent without an answer in time is 504.
   */
  runWrite<T>(operation: (session: ClientSession | undefined) => PromiseLike<T>): Promise<T> {
    return runGatedWrite(this.document, this.deadline, operation);
  }

  /**
   * `_skip`/`_limit` of this request, validated (400 on bad values); `undefined` when not paginating.
   * Parsed once per request (the list handler's plan and `getObjects` ask for it).
   */
  pagePlan(ctx: RequestContext): PagePlan | undefined {
    const parsed = parsedFor(untyped(this), ctx);
    parsed.page ??= { plan: parsePage(ctx.query, this) };
    return parsed.page.plan;
  }

  /** `getFields(ctx)`, computed once per request (a copy of its own: the library's is shared). */
  async requestFields(ctx: RequestContext): Promise<string[]> {
    return [...(await fieldsOnce(untyped(this), ctx))];
  }

  /**
   * The projection that loads just what `fields` output, pushed into the query. Computed fields may read
   * any path, so when one is requested the whole document is loaded.
   */
  projectionFor(fields: readonly string[]): Record<string, 1> | undefined {
    const meta = this.meta;
    // The default fields' projection is the same on every request: made once per class (and frozen).
    if (fields === meta.fields) return defaultProjections(untyped(this)).projection;
    return projectionOf(untyped(this), fields);
  }

  /**
   * Saves an already validated document under the deadline; a unique-index violation becomes a 409
   * naming the API field(s). A save that lost a race (write/concurrency.ts) becomes a 409 when another
   * request changed the document since it was loaded, a 404 when one deleted it.
   */
  async saveDocument(doc: AnyDocument): Promise<void> {
    // Nested documents of saveRelatedFields (prepared and validated with the request) go first.
    await flushRelatedWrites(untyped(this));
    // Every change moves the document's version (its ETag); a conditional write also filters on it.
    bumpVersion(doc);
    try {
      await this.runWrite((session) => withSession(doc, doc.save({ ...writeOptions(this.document, session), validateBeforeSave: false })));
    } catch (error) {
      if (isStaleSave(error)) throw await staleSaveError(untyped(this), doc);
      if (!isDuplicateKeyError(error)) throw error;
      throw duplicateConflict(this.meta, await duplicateFields(error, this.meta, doc, (operation) => this.run(operation)));
    }
  }
}

/** Detaches the write's session from the document once the write settles (Mongoose keeps it otherwise). */
async function withSession<T>(doc: AnyDocument, write: PromiseLike<T>): Promise<T> {
  try {
    return await write;
  } finally {
    doc.$session(null);
  }
}
