/**
 * The benchmark's data model, as Mongoose schemas (used by the Mongoose-based contenders) plus the
 * collection names the raw-driver baseline and the seeder use.
 */
import mongoose, { Schema, type Connection, type InferSchemaType } from 'mongoose';

export const collections = { posts: 'posts', users: 'users' } as const;

export const postStatuses = ['draft', 'published', 'archived'] as const;

export const userSchema = new Schema(
  {
    name: { type: String, required: true },
    email: { type: String, required: true },
    created: { type: Date, default: Date.now },
  },
  // Indexes are created once by the seeder, not by every server child at start.
  { collection: collections.users, autoIndex: false },
);

export const postSchema = new Schema(
  {
    title: { type: String, required: true, maxlength: 200 },
    body: { type: String, default: '' },
    status: { type: String, enum: postStatuses, default: 'draft' },
    score: { type: Number, min: 0, default: 0 },
    tags: { type: [String], default: [] },
    author: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    created: { type: Date, default: Date.now },
  },
  { collection: collections.posts, autoIndex: false },
);

export type UserShape = InferSchemaType<typeof userSchema>;
export type PostShape = InferSchemaType<typeof postSchema>;

/** Registers `User` and `Post` on a connection (the default one unless given), as an app would. */
export function defineModels(connection: Connection = mongoose.connection) {
  return {
    User: connection.model('User', userSchema),
    Post: connection.model('Post', postSchema),
  };
}
