/** A few documents so the walk-through has something to show. */
import type { ExampleModels } from './models.js';

export async function seed({ User, Post, Comment, Image, Video }: ExampleModels): Promise<void> {
  if ((await User.estimatedDocumentCount()) > 0) return;
  const ada = await User.create({ name: 'Ada Lovelace', email: 'ada@example.com' });
  const alan = await User.create({ name: 'Alan Turing', email: 'alan@example.com' });
  const [engine] = await Post.create([
    { title: 'Notes on the Analytical Engine', author: ada._id, tags: ['history', 'computing'], published: true, created: new Date('1843-09-01'), content: { text: 'The engine weaves algebraic patterns just as the Jacquard loom weaves flowers and leaves.' } },
    { title: 'Computing Machinery and Intelligence', author: alan._id, tags: ['ai'], published: true, created: new Date('1950-10-01'), content: { text: 'I propose to consider the question, "Can machines think?"' } },
    { title: 'Draft: on computable numbers', author: alan._id, tags: ['math'], created: new Date('1936-05-28'), content: { text: 'Work in progress.' } },
  ]);
  await Comment.create([
    { post: engine!._id, author: 'Charles Babbage', text: 'She understood the engine better than I did.', created: new Date('1843-09-02') },
    { post: engine!._id, author: 'Alan Turing', text: 'Lady Lovelace’s objection deserves an answer.', created: new Date('1950-10-02') },
  ]);
  await Image.create({ title: 'The Analytical Engine', url: 'https://example.com/engine.png', post: engine!._id, width: 800, height: 600 });
  await Video.create({ title: 'A tour of the engine', url: 'https://example.com/engine.mp4', post: engine!._id, seconds: 95 });
}
