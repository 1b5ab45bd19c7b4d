/** A few documents so the walk-through has something to show. */
import type { ExampleModels } from './models.js';

export async function seed({ User, Post }: ExampleModels): Promise<void> {
  if ((await User.estimatedDocumentCount()) > 0) return;
  const ada = await User.create({ name: 'Ada Lovelace', email: 'ada@example.com' });
  const alan = await User.create({ name: 'Alan Turing', email: 'alan@example.com' });
  await Post.create([
    { title: 'Notes on the Analytical Engine', author: ada._id, tags: ['history', 'computing'], published: true, content: { text: 'The engine weaves algebraic patterns just as the Jacquard loom weaves flowers and leaves.' } },
    { title: 'Computing Machinery and Intelligence', author: alan._id, tags: ['ai'], published: true, content: { text: 'I propose to consider the question, "Can machines think?"' } },
    { title: 'Draft: on computable numbers', author: alan._id, tags: ['math'], content: { text: 'Work in progress.' } },
  ]);
}
