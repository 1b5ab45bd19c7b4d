/**
 * Type-level checks of a typed Resource's configuration: the names it declares (`fields`,
 * `renameFields` keys, `filters` keys, `allowedOrdering`, `relatedResources`/`saveRelatedFields` keys)
 * against its model's schema paths, its renames and its own methods. `Resource<typeof Post>` types the
 * lists by the model; `Resource<typeof Post, PostResource>` (the class names itself) adds the checks
 * that need the class's own declarations: object keys, API names after renames, computed-field methods.
 * A mistake fails `tsc` with a message naming the setting and the key. Type-level only: the same
 * mistakes still throw at `register` for JavaScript users.
 */
import type { Resource } from '../resource.js';
import type { IsTyped, PathsByKey, RawDocumentOf, SchemaPathOf, SubPathsOf, TopPathOf } from './model.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- `any` stands for "no class given" and "any function" */

/**
 * The value type of `T[K]`, or `never` when `T` has no such key. An indexed access: matching `T` against
 * `{ readonly [P in K]?: infer V }` instead relates the whole class to a weak object type and runs an
 * inference, for each of the four settings read per resource (bench/typecheck-scale.ts).
 */
type Get<T, K extends PropertyKey> = K extends keyof T ? T[K] : never;

/** Members every Resource has: never computed fields. */
type BaseMember = keyof Resource;

/**
 * The keys of `K` that are not Resource's own members. `Exclude<K, BaseMember>` would do the same with
 * one more type-parameter instantiation per key (a class has about 60): this is per resource.
 */
type OwnKeyOf<K> = K extends BaseMember ? never : K;

/** The methods a resource class adds to Resource: the names a computed field may use. */
export type MethodNameOf<Self> = {
  [K in OwnKeyOf<keyof Self>]-?: Self[K] extends (...args: any[]) => unknown ? K : never;
}[OwnKeyOf<keyof Self>] &
  string;

/** Internal names a resource may output: `id`, schema paths (dotted too) and its computed-field methods. */
export type FieldNameOf<M, Self> = 'id' | SchemaPathOf<M> | MethodNameOf<Self>;

/** No renames: every field is exposed under its own name. */
type NoRenames = Record<never, string>;
/** The `renameFields` of a class, or none while it declares none (the inherited `Record<string, string>`). */
type RenamesOf<Self> = Get<Self, 'renameFields'> extends infer R ? (string extends keyof R ? NoRenames : R) : NoRenames;

/**
 * Paths a client names (filters, `_order_by`): `id` and every schema path, the first segment by its API
 * name after `renameFields` (renames apply to the first segment only).
 */
export type ApiPathOf<M, Self> = IsTyped<M> extends true ? ApiPathsOf<M, RawDocumentOf<M>, RenamesOf<Self>> : string;

/**
 * Without renames the API paths are the schema paths. With renames, the paths under the names not
 * renamed are read off the model's paths by top-level name (`PathsByKey`, computed once per model), and
 * the renamed names' paths are added back under the API name: a test per top-level name instead of per
 * path, and a few template types per renamed name.
 */
type ApiPathsOf<M, Raw, Renames> = [keyof Renames] extends [never]
  ? 'id' | SchemaPathOf<M>
  : RenamedApiPaths<Raw, Renames, keyof Renames & ('id' | TopPathOf<M>)>;

type RenamedApiPaths<Raw, Renames, Renamed extends keyof Renames & string> =
  | Exclude<'id' | '_id' | '__v', Renamed>
  | PathsByKey<Raw, []>[Exclude<keyof Raw & string, Renamed>]
  | {
      [K in Renamed]: (Renames[K] & string) | `${Renames[K] & string}.${K extends keyof Raw ? SubPathsOf<Raw[K]> : never}`;
    }[Renamed];

/**
 * A key that is not one of `Allowed` becomes a message type, so the error names the setting and the key.
 * When every key is allowed (the usual case) the answer is `unknown`: one union test, no mapped type.
 */
type CheckKeys<R, Allowed, Setting extends string, What extends string> = string extends keyof R
  ? unknown
  : [keyof R] extends [Allowed]
    ? unknown
    : { readonly [K in keyof R]: K extends Allowed ? R[K] : `${Setting}: "${K & string}" is not ${What}` };

/** `renameFields` keys must be fields; its values must be literal (`as const`) so the API names are known. */
type CheckRenames<R, Allowed> = string extends keyof R
  ? unknown
  : [keyof R] extends [Allowed]
    ? string extends R[keyof R]
      ? RenameErrors<R, Allowed>
      : unknown
    : RenameErrors<R, Allowed>;

type RenameErrors<R, Allowed> = {
  readonly [K in keyof R]: K extends Allowed
    ? string extends R[K]
      ? `renameFields: write the object \`as const\` so that the API name of "${K & string}" is known`
      : R[K]
    : `renameFields: "${K & string}" is not a field of this resource`;
};

/**
 * What `Self` (a Resource class passed as its own second type argument) must satisfy: the object-keyed
 * settings name only what exists. The lists are checked by their own declared types (see Resource).
 * Takes the model from Resource's first type argument: reading it off `Self['document']` made the
 * checker compare two instantiations of the model's type member by member (about 800 instantiations per
 * resource, bench/typecheck-scale.ts).
 */
export interface ResourceCheck<M, Self> {
  renameFields?: IsTyped<M> extends false ? unknown : CheckRenames<Get<Self, 'renameFields'>, 'id' | TopPathOf<M> | MethodNameOf<Self>>;
  filters?: CheckKeys<Get<Self, 'filters'>, ApiPathOf<M, Self>, 'filters', 'an API path of this resource'>;
  relatedResources?: CheckKeys<Get<Self, 'relatedResources'>, FieldNameOf<M, Self>, 'relatedResources', 'a field of this resource'>;
}

/*
 * `unknown extends Self`: true only when no class was given (`Self` is its default `any`). `IsAny<Self>`
 * answers the same but builds the intersection `1 & Self` for every class.
 */

/** Element type of `fields`/`optionalFields`. */
export type FieldOption<M, Self, This> =
  IsTyped<M> extends false ? string : unknown extends Self ? 'id' | SchemaPathOf<M> | (keyof This & string) : FieldNameOf<M, Self>;

/** Element type of `allowedOrdering`: API names, known only when the class names itself. */
export type OrderingOption<M, Self> = IsTyped<M> extends false ? string : unknown extends Self ? string : ApiPathOf<M, Self>;

/** Element type of `saveRelatedFields`: schema paths, and with the class named, keys of its `relatedResources`. */
export type SaveRelatedOption<M, Self> =
  IsTyped<M> extends false
    ? string
    : unknown extends Self
      ? SchemaPathOf<M>
      : SchemaPathOf<M> & RelatedKeyOf<Self>;

type RelatedKeyOf<Self> = Get<Self, 'relatedResources'> extends infer R ? keyof R & string : never;

/* eslint-enable @typescript-eslint/no-explicit-any */
