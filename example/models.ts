/** The example blog's Mongoose models: users, posts with embedded content and tags, their comments, media. */
import mongoose, { type Connection } from 'mongoose';
import validator from 'validator';

export function defineModels(connection: Connection) {
  const User = connection.model(
    'User',
    new mongoose.Schema({
      name: { type: String, required: true, maxlength: 100 },
      email: {
        type: String,
        required: true,
        unique: true,
        validate: { validator: (value: string) => validator.isEmail(value), message: 'Not a valid email address' },
      },
      created: { type: Date, default: () => new Date() },
    }),
  );
  const content = new mongoose.Schema({ text: { type: String, default: '' }, lang: { type: String, default: 'en' } }, { _id: false });
  const Post = connection.model(
    'Post',
    new mongoose.Schema({
      title: { type: String, required: true, maxlength: 200 },
      author: { type: mongoose.Schema.Types.ObjectId, ref: 'User' },
      content: { type: content, default: () => ({}) },
      tags: [{ type: String, maxlength: 30 }],
      published: { type: Boolean, default: false },
      created: { type: Date, default: () => new Date() },
    }),
  );
  // A polymorphic collection: one `media` collection, two document types (Mongoose discriminators).
  const Media = connection.model(
    'Media',
    new mongoose.Schema({
      title: { type: String, required: true, maxlength: 200 },
      post: { type: mongoose.Schema.Types.ObjectId, ref: 'Post' },
      url: { type: String, required: true, validate: { validator: (value: string) => validator.isURL(value), message: 'Not a valid URL' } },
    }),
  );
  // Comments live under their post: /api/posts/<id>/comments/ (a nested view, see api.ts).
  const Comment = connection.model(
    'Comment',
    new mongoose.Schema({
      post: { type: mongoose.Schema.Types.ObjectId, ref: 'Post', required: true },
      author: { type: String, required: true, maxlength: 100 },
      text: { type: String, required: true, maxlength: 2000 },
      created: { type: Date, default: () => new Date() },
    }),
  );
  const Image = Media.discriminator('Image', new mongoose.Schema({ width: { type: Number, required: true, min: 1 }, height: { type: Number, required: true, min: 1 } }));
  const Video = Media.discriminator('Video', new mongoose.Schema({ seconds: { type: Number, required: true, min: 0 } }));
  return { User, Post, Comment, Media, Image, Video };
}

export type ExampleModels = ReturnType<typeof defineModels>;
