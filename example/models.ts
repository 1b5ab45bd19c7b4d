/** The example blog's Mongoose models: users, and posts with embedded content and tags. */
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
  return { User, Post };
}

export type ExampleModels = ReturnType<typeof defineModels>;
