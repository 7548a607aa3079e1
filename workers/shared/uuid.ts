/**
 * The one shape of an id: a UUID of any version, as Postgres writes them (gen_random_uuid), in
 * paths, bodies, queue messages, console links and CLI arguments alike.
 */
import { z } from 'zod';

export const uuidSchema = z.guid('must be a UUID');
