/**
 * Type tests of typed Resource configuration (issue 11 item 3), compiled by `npm run typecheck` (never
 * run): correct configurations compile, and each kind of typo fails to compile — every
 * `@ts-expect-error` below must meet an error, or tsc reports the directive as unused. One mistake per
 * class, so each directive proves exactly one check. Untyped resources stay as permissive as before.
 */
import { expectTypeOf } from 'expect-type';
import mongoose, { type HydratedDocument, type Types } from 'mongoose';
import {
  Resource,
  ResourceView,
  methods,
  ops,
  type AnyDocument,
  type AnyModel,
  type AnyQuery,
  type ApiPathOf,
  type DocumentOf,
  type FieldNameOf,
  type ModelOf,
  type OperatorSpec,
  type PlainDocument,
  type QueryOf,
  type RawDocumentOf,
  type RequestContext,
  type ResourceClass,
  type SchemaPathOf,
} from '../../lib/index.js';

const { ObjectId, Mixed } = mongoose.Schema.Types;

const contentSchema = new mongoose.Schema({ text: String, lang: { type: String, default: 'en' } }, { _id: false });
const commentSchema = new mongoose.Schema({ text: { type: String, required: true }, votes: Number });
const postSchema = new mongoose.Schema({
  title: { type: String, required: true },
  author: { type: ObjectId, ref: 'User' },
  tags: [String],
  is_published: Boolean,
  content: contentSchema,
  comments: [commentSchema],
  meta: { source: String, origin: { site: String } },
  extra: Mixed,
  created: Date,
});
const Post = mongoose.model('Post', postSchema);
const User = mongoose.model('User', new mongoose.Schema({ name: String, email: String }));
/** A model with a required path, so its documents and Post's are not assignable either way. */
export const Tag = mongoose.model('Tag', new mongoose.Schema({ label: { type: String, required: true } }));

// ---- the names a model offers --------------------------------------------------------------------

type PostPath = SchemaPathOf<typeof Post>;
expectTypeOf<'title' | 'content.lang' | 'comments.votes' | 'meta.origin.site' | 'extra.anything' | '_id'>().toExtend<PostPath>();
expectTypeOf<'titel'>().not.toExtend<PostPath>();
expectTypeOf<'tags.length'>().not.toExtend<PostPath>();
expectTypeOf<'author.name'>().not.toExtend<PostPath>();
expectTypeOf<RawDocumentOf<typeof Post>>().toHaveProperty('title').toEqualTypeOf<string>();
// Untyped models name anything.
expectTypeOf<SchemaPathOf<AnyModel>>().toEqualTypeOf<string>();

// ---- correct configurations compile --------------------------------------------------------------

class UserResource extends Resource<typeof User, UserResource> {
  document = User;
  fields = ['id', 'name'] as const;
}

class PostResource extends Resource<typeof Post, PostResource> {
  document = Post;
  fields = ['id', 'title', 'author', 'published_title', 'is_published', 'content', 'comments'] as const;
  optionalFields = ['meta', 'meta.source', 'extra', 'first_comment'] as const;
  renameFields = { is_published: 'published', author: 'author_id', published_title: 'headline' } as const;
  relatedResources = { author: UserResource, first_comment: UserResource };
  saveRelatedFields = ['author'] as const;
  filters = {
    id: [ops.In],
    title: [ops.Exact, ops.IContains],
    published: [ops.Boolean],
    author_id: [ops.Exact],
    'content.lang': [ops.Exact],
    'comments.votes': [ops.Gt],
    'meta.origin.site': [ops.Exact],
    'extra.anything.below': [ops.Exact],
    tags: [ops.In],
  };
  allowedOrdering = ['title', 'published', 'created', 'content.lang', 'id'] as const;
  defaultLimit = 20;

  /** A computed field (a method named in `fields`). */
  published_title(post: PlainDocument): string {
    return String(post.title);
  }
  first_comment(post: PlainDocument): unknown {
    return (post.comments as unknown[] | undefined)?.[0] ?? null;
  }
}

// Typed by the model only: the lists are checked against schema paths and the class's members.
class PostSummaryResource extends Resource<typeof Post> {
  document = Post;
  fields = ['id', 'title', 'summary'] as const;
  optionalFields = ['content.text'] as const;
  renameFields = { title: 'headline' };
  allowedOrdering = ['headline'];
  summary(post: PlainDocument): string {
    return String(post.title).slice(0, 10);
  }
}

// Untyped: exactly as permissive as before typing existed (names are checked at `register`).
class UntypedResource extends Resource {
  document = Post;
  fields = ['id', 'whatever'];
  optionalFields = ['more'];
  renameFields = { anything: 'goes' };
  filters = { anything: [ops.Exact] };
  allowedOrdering = ['anything'];
  relatedResources = { anything: UserResource };
  saveRelatedFields = ['anything'];
}
// A resource over an untyped model (`AnyModel`, as JavaScript apps or `mongoose.model(name, schema as any)` give).
declare const SomeModel: AnyModel;
class AnyModelResource extends Resource<AnyModel, AnyModelResource> {
  document = SomeModel;
  fields = ['id', 'whatever'];
  renameFields = { anything: 'goes' };
  filters = { anything: [ops.Exact] };
}

// Every kind is a Resource as views, relatedResources and MongoRest take it.
expectTypeOf<PostResource>().toExtend<Resource>();
expectTypeOf<PostSummaryResource>().toExtend<Resource>();
expectTypeOf<UntypedResource>().toExtend<Resource>();
expectTypeOf<AnyModelResource>().toExtend<Resource>();

// ---- each kind of typo fails ---------------------------------------------------------------------

export class FieldTypo extends Resource<typeof Post, FieldTypo> {
  document = Post;
  // @ts-expect-error -- 'titel' is not a schema path
  fields = ['id', 'titel'] as const;
}
export class FieldTypoModelOnly extends Resource<typeof Post> {
  document = Post;
  // @ts-expect-error -- typed by the model alone, fields are still checked
  fields = ['id', 'titel'] as const;
}
export class OptionalFieldTypo extends Resource<typeof Post, OptionalFieldTypo> {
  document = Post;
  // @ts-expect-error -- 'content.lnag' is not a sub-document path
  optionalFields = ['content.lnag'] as const;
}
export class MissingComputedMethod extends Resource<typeof Post, MissingComputedMethod> {
  document = Post;
  // @ts-expect-error -- 'summary' is neither a schema path nor a method of the class
  fields = ['id', 'summary'] as const;
}
export class ComputedNotAMethod extends Resource<typeof Post, ComputedNotAMethod> {
  document = Post;
  // @ts-expect-error -- 'paginate' is a member of Resource, not a computed-field method
  fields = ['id', 'paginate'] as const;
}
export class WideList extends Resource<typeof Post, WideList> {
  document = Post;
  // @ts-expect-error -- a typed resource's lists are written `as const` (a string[] could hold anything)
  fields = ['id', 'title'];
}
// @ts-expect-error -- renameFields: 'is_publishd' is not a field
export class RenameKeyTypo extends Resource<typeof Post, RenameKeyTypo> {
  document = Post;
  renameFields = { is_publishd: 'published' } as const;
}
// @ts-expect-error -- renameFields without `as const`: the API names would be unknown
export class RenameNotConst extends Resource<typeof Post, RenameNotConst> {
  document = Post;
  renameFields = { is_published: 'published' };
}
// @ts-expect-error -- filters: 'titel' is not an API path
export class FilterTypo extends Resource<typeof Post, FilterTypo> {
  document = Post;
  filters = { titel: [ops.Exact] };
}
// @ts-expect-error -- filters: 'content.lnag' is not a sub-document path
export class FilterDottedTypo extends Resource<typeof Post, FilterDottedTypo> {
  document = Post;
  filters = { 'content.lnag': [ops.Exact] };
}
// @ts-expect-error -- filters name API names: 'is_published' is exposed as 'published'
export class FilterInternalName extends Resource<typeof Post, FilterInternalName> {
  document = Post;
  renameFields = { is_published: 'published' } as const;
  filters = { is_published: [ops.Boolean] };
}
export class OrderingTypo extends Resource<typeof Post, OrderingTypo> {
  document = Post;
  // @ts-expect-error -- 'titel' is not an API field
  allowedOrdering = ['titel'] as const;
}
export class OrderingInternalName extends Resource<typeof Post, OrderingInternalName> {
  document = Post;
  renameFields = { is_published: 'published' } as const;
  // @ts-expect-error -- allowedOrdering names API names: 'is_published' is exposed as 'published'
  allowedOrdering = ['is_published'] as const;
}
// @ts-expect-error -- relatedResources: 'autor' is not a field
export class RelatedTypo extends Resource<typeof Post, RelatedTypo> {
  document = Post;
  relatedResources = { autor: UserResource };
}
export class SaveRelatedWithoutRelation extends Resource<typeof Post, SaveRelatedWithoutRelation> {
  document = Post;
  relatedResources = { author: UserResource };
  // @ts-expect-error -- 'title' has no related resource
  saveRelatedFields = ['title'] as const;
}
export class SaveRelatedTypo extends Resource<typeof Post> {
  document = Post;
  // @ts-expect-error -- 'autor' is not a schema path
  saveRelatedFields = ['autor'] as const;
}
export class WrongModel extends Resource<typeof Post, WrongModel> {
  // @ts-expect-error -- the document must be the model the class is typed with
  document = User;
}

export class OrderingComputed extends Resource<typeof Post, OrderingComputed> {
  document = Post;
  fields = ['id', 'summary'] as const;
  // @ts-expect-error -- a computed field is not a stored path: sorting by it would do nothing
  allowedOrdering = ['summary'] as const;
  summary(): string {
    return '';
  }
}

// ---- documented ways around the limits (docs/resources.md, "Limits") ----------------------------

// A subclass that redeclares a list: the parent declares it with a union element type.
class ListedPostResource extends Resource<typeof Post, ListedPostResource> {
  document = Post;
  fields: readonly FieldNameOf<typeof Post, ListedPostResource>[] = ['id', 'title', 'tags'];
}
export class ShortPostResource extends ListedPostResource {
  fields = ['id', 'title'] as const;
}
export class BrokenShortPostResource extends ListedPostResource {
  // @ts-expect-error -- still checked against the parent's element type
  fields = ['id', 'titel'] as const;
}
// A filter key a custom operator invents: `Record<string, …>` leaves that resource's filter keys unchecked.
export class CustomKeyResource extends Resource<typeof Post, CustomKeyResource> {
  document = Post;
  filters: Record<string, readonly OperatorSpec[]> = { near: [ops.Exact] };
}

// ---- hooks get the model's types -----------------------------------------------------------------

type PostDocument = DocumentOf<typeof Post>;
expectTypeOf<PostDocument['title']>().toEqualTypeOf<string>();
expectTypeOf<PostDocument['author']>().toEqualTypeOf<Types.ObjectId | null | undefined>();
expectTypeOf<PostDocument['_id']>().toEqualTypeOf<Types.ObjectId>();
expectTypeOf<ModelOf<PostResource>>().toEqualTypeOf<typeof Post>();
expectTypeOf<DocumentOf<AnyModel>>().toEqualTypeOf<AnyDocument>();
expectTypeOf<QueryOf<AnyModel>>().toEqualTypeOf<AnyQuery>();

class PostView extends ResourceView<PostResource> {
  resource = PostResource;
  methods = [methods.List, methods.Fetch, methods.Update];

  override hasReadPermission(_ctx: RequestContext, query: QueryOf<typeof Post>) {
    return query.where({ is_published: true });
  }
  override hasChangePermission(ctx: RequestContext, post: PostDocument) {
    return String(post.author) === (ctx.state as { userId?: string }).userId;
  }
}
expectTypeOf<Parameters<PostView['hasChangePermission']>[1]>().toEqualTypeOf<PostDocument>();
expectTypeOf<Parameters<ResourceView<PostResource>['hasAddPermission']>[1]>().toEqualTypeOf<PostDocument>();
expectTypeOf<Parameters<ResourceView<PostResource>['hasReadPermission']>[1]>().toEqualTypeOf<QueryOf<typeof Post>>();
// Untyped views take any document, as before.
expectTypeOf<Parameters<ResourceView['hasDeletePermission']>[1]>().toEqualTypeOf<AnyDocument>();

export class WrongDocumentView extends ResourceView<PostResource> {
  resource = PostResource;
  methods = [methods.Update];
  // @ts-expect-error -- a Post view's hook does not receive a User document
  override hasChangePermission(_ctx: RequestContext, user: DocumentOf<typeof User> & { name: number }) {
    return user.name > 0;
  }
}
export class WrongResourceView extends ResourceView<PostResource> {
  // @ts-expect-error -- the view serves the resource it is typed with
  resource = UserResource;
  methods = [methods.List];
}

// A view's type argument and relatedResources take Resource classes only (`AnyResource`: the scope slot
// only Resource declares, and the model), however the other class is shaped.
class LookalikeResource {
  document = Post;
  fields = ['id', 'title'] as const;
}
// @ts-expect-error -- a view is typed with a Resource class, not a class that only looks like one
export class LookalikeView extends ResourceView<LookalikeResource> {
  resource = LookalikeResource;
  methods = [methods.List];
}
export class LookalikeRelation extends Resource<typeof Post> {
  document = Post;
  // @ts-expect-error -- a related resource is a Resource class
  relatedResources = { author: LookalikeResource };
}
// A view without a type argument serves any Resource class, typed or not (checked on the same two
// members, `UntypedResource`), and its hooks take any document.
export class PlainViewOfTypedResource extends ResourceView {
  resource = PostResource;
  methods = [methods.List, methods.Fetch];
  override hasChangePermission(_ctx: RequestContext, doc: AnyDocument) {
    return doc.get('title') !== '';
  }
}
expectTypeOf<Parameters<PlainViewOfTypedResource['hasReadPermission']>[1]>().toEqualTypeOf<AnyQuery>();
export class PlainLookalikeView extends ResourceView {
  // @ts-expect-error -- an untyped view's resource is still a Resource class
  resource = LookalikeResource;
  methods = [methods.List];
}

// ---- the resource's own hooks get the model's types too --------------------------------------------

class OwnedPostResource extends Resource<typeof Post, OwnedPostResource> {
  document = Post;
  override hasReadPermission(_ctx: RequestContext, query: QueryOf<typeof Post>) {
    return query.where({ is_published: true });
  }
  override hasAddPermission(_ctx: RequestContext, post: PostDocument) {
    return post.title.length > 0;
  }
  override hasChangePermission(ctx: RequestContext, post: DocumentOf<typeof Post>) {
    return String(post.author) === (ctx.state as { userId?: string }).userId;
  }
  override async hasDeletePermission(_ctx: RequestContext, post: PostDocument) {
    return post.comments.length === 0;
  }
}
// Typed by the model alone, the hooks are typed as well.
export class ModelOnlyHooks extends Resource<typeof Post> {
  document = Post;
  override hasChangePermission(_ctx: RequestContext, post: PostDocument) {
    return post.is_published !== true;
  }
}
expectTypeOf<Parameters<OwnedPostResource['hasChangePermission']>[1]>().toEqualTypeOf<PostDocument>();
expectTypeOf<Parameters<Resource<typeof Post>['hasAddPermission']>[1]>().toEqualTypeOf<PostDocument>();
expectTypeOf<Parameters<PostSummaryResource['hasDeletePermission']>[1]>().toEqualTypeOf<PostDocument>();
expectTypeOf<Parameters<PostResource['hasReadPermission']>[1]>().toEqualTypeOf<QueryOf<typeof Post>>();
expectTypeOf<ReturnType<PostResource['hasReadPermission']>>().toEqualTypeOf<QueryOf<typeof Post> | Promise<QueryOf<typeof Post>>>();
// Untyped resources (and resources over an untyped model) take any document and any query, as before.
expectTypeOf<Parameters<Resource['hasChangePermission']>[1]>().toEqualTypeOf<AnyDocument>();
expectTypeOf<Parameters<UntypedResource['hasReadPermission']>[1]>().toEqualTypeOf<AnyQuery>();
expectTypeOf<Parameters<AnyModelResource['hasAddPermission']>[1]>().toEqualTypeOf<AnyDocument>();
export class UntypedHooks extends Resource {
  document = Post;
  override hasReadPermission(_ctx: RequestContext, query: AnyQuery) {
    return query.where({ anything: 1 });
  }
  override hasChangePermission(_ctx: RequestContext, doc: AnyDocument) {
    return doc.get('whatever') !== undefined;
  }
}
// A typed resource with hooks is still a Resource wherever the library takes one.
expectTypeOf<OwnedPostResource>().toExtend<Resource>();
expectTypeOf<typeof OwnedPostResource>().toExtend<ResourceClass>();

// The issue's own spelling: a model typed by an interface, its hook taking `HydratedDocument<IArticle>`.
interface IArticle {
  title: string;
  published?: boolean;
}
const Article = mongoose.model<IArticle>('Article', new mongoose.Schema<IArticle>({ title: { type: String, required: true }, published: Boolean }));
expectTypeOf<DocumentOf<typeof Article>>().toEqualTypeOf<HydratedDocument<IArticle>>();
export class ArticleResource extends Resource<typeof Article, ArticleResource> {
  document = Article;
  fields = ['id', 'title', 'published'] as const;
  override hasChangePermission(_ctx: RequestContext, article: HydratedDocument<IArticle>) {
    return article.published !== true;
  }
}
export class WrongArticleResource extends Resource<typeof Article, WrongArticleResource> {
  document = Article;
  // @ts-expect-error -- an Article's title is a string
  override hasChangePermission(_ctx: RequestContext, article: HydratedDocument<{ title: number }>) {
    return article.title > 0;
  }
}

export class WrongDocumentResource extends Resource<typeof Post, WrongDocumentResource> {
  document = Post;
  // @ts-expect-error -- a Post resource's hook does not receive a Tag document
  override hasChangePermission(_ctx: RequestContext, tag: DocumentOf<typeof Tag>) {
    return tag.label !== '';
  }
}
export class WrongFieldTypeResource extends Resource<typeof Post> {
  document = Post;
  // @ts-expect-error -- a Post's title is a string
  override hasAddPermission(_ctx: RequestContext, post: { title: number }) {
    return post.title > 0;
  }
}
export class WrongQueryResource extends Resource<typeof Post> {
  document = Post;
  // @ts-expect-error -- the read hook receives a query of Posts, not of Tags
  override hasReadPermission(_ctx: RequestContext, query: QueryOf<typeof Tag>) {
    return query;
  }
}

// ---- the helper types --------------------------------------------------------------------------

expectTypeOf<'published' | 'author_id' | 'content.lang' | 'id'>().toExtend<ApiPathOf<typeof Post, PostResource>>();
expectTypeOf<'is_published'>().not.toExtend<ApiPathOf<typeof Post, PostResource>>();
expectTypeOf<'published_title' | 'first_comment' | 'title'>().toExtend<FieldNameOf<typeof Post, PostResource>>();
expectTypeOf<'defaultLimit'>().not.toExtend<FieldNameOf<typeof Post, PostResource>>();

export { PostView, PostResource, PostSummaryResource, UntypedResource, AnyModelResource, OwnedPostResource };
